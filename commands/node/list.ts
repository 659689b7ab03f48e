import {DlmCommand} from '../../src/cli/base.js'
import {outputFlag, outputFormat, writeListing} from '../../src/cli/output.js'
import {listNodes} from '../../src/core/nodes.js'
import {renderNodes} from '../../src/render/views.js'

export default class NodeList extends DlmCommand {
  static override summary = 'List nodes with their state, incarnation, last heartbeat and domains'
  static override examples = ['<%= config.bin %> node list', '<%= config.bin %> node list --json', '<%= config.bin %> node list -o tsv']
  static override flags = {output: outputFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(NodeList)
    const format = outputFormat(flags)
    if (format === 'json') this.jsonMode = true
    const r = await listNodes(this.ctx(flags))
    if (await writeListing(format, r, r.nodes, ['name', 'state', 'incarnation', 'heartbeat', 'domains'])) return
    await this.emit(r, () => renderNodes(r))
  }
}
