import {DlmCommand} from '../../src/cli/base.js'
import {listNodes} from '../../src/core/nodes.js'
import {renderNodes} from '../../src/render/views.js'

export default class NodeList extends DlmCommand {
  static override summary = 'List nodes with their state, incarnation, last heartbeat and domains'
  static override examples = ['<%= config.bin %> node list', '<%= config.bin %> node list --json']

  async run(): Promise<void> {
    const {flags} = await this.parse(NodeList)
    const r = await listNodes(this.ctx(flags))
    await this.emit(r, () => renderNodes(r))
  }
}
