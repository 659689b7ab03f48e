import * as Args from '@oclif/core/args'
import {DlmCommand} from '../../src/cli/base.js'
import {heartbeat} from '../../src/core/nodes.js'
import {renderHeartbeat} from '../../src/render/results.js'

export default class NodeHeartbeat extends DlmCommand {
  static override summary = "Record a node's heartbeat (now, or DLMCTL_CLOCK)"
  static override examples = ['<%= config.bin %> node heartbeat n1', 'DLMCTL_CLOCK=2026-01-01T00:00:05Z <%= config.bin %> node heartbeat n1']
  static override args = {node: Args.string({description: 'node name', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(NodeHeartbeat)
    const r = await heartbeat(this.ctx(flags), args.node)
    await this.emit(r, () => renderHeartbeat(r))
  }
}
