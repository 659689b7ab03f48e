import {DlmCommand} from '../../src/cli/base.js'
import {outputFlag, outputFormat, writeListing} from '../../src/cli/output.js'
import {listDomains} from '../../src/core/domains.js'
import {domainsOf} from '../../src/core/nodes.js'
import {renderDomains} from '../../src/render/views.js'

export default class DomainList extends DlmCommand {
  static override summary = 'List lock domains with state, epoch, members, dead nodes awaiting replay and recovery ids'
  static override examples = ['<%= config.bin %> domain list', '<%= config.bin %> domain list --json', '<%= config.bin %> domain list -o tsv']
  static override flags = {output: outputFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(DomainList)
    const format = outputFormat(flags)
    if (format === 'json') this.jsonMode = true
    const ctx = this.ctx(flags)
    const r = await listDomains(ctx, await domainsOf(ctx))
    if (await writeListing(format, r, r.domains, ['name', 'state', 'epoch', 'members', 'deadNodes', 'attachments'])) return
    await this.emit(r, () => renderDomains(r))
  }
}
