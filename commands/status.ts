import {DlmCommand} from '../src/cli/base.js'
import {status} from '../src/core/inspect.js'
import {renderStatus} from '../src/render/views.js'

export default class Status extends DlmCommand {
  static override summary = 'Cluster, generation, nodes, domains and their recovery state at a glance'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --state ./c1 --json']

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    const r = await status(this.ctx(flags))
    await this.emit(r, () => renderStatus(r))
  }
}
