import {defineCommand} from '../../src/cli/define.js'
import {outputFlag, outputFormat, writeListing} from '../../src/cli/output.js'
import {listDomains} from '../../src/core/domains.js'
import {domainsOf} from '../../src/core/nodes.js'
import {renderDomains} from '../../src/render/views.js'

export default defineCommand({
  summary: 'List lock domains with state, epoch, members, dead nodes awaiting replay and recovery ids',
  examples: ['<%= config.bin %> domain list', '<%= config.bin %> domain list --json', '<%= config.bin %> domain list -o tsv'],
  flags: {output: outputFlag},
  async run({flags}, cx) {
    const format = outputFormat(flags)
    if (format === 'json') cx.json = true
    const ctx = cx.ctx(flags)
    const r = await listDomains(ctx, await domainsOf(ctx))
    if (await writeListing(format, r, r.domains, ['name', 'state', 'epoch', 'members', 'deadNodes', 'attachments'])) return
    await cx.emit(r, () => renderDomains(r))
  },
})
