import * as Args from '@oclif/core/args'
import {defineCommand} from '../../src/cli/define.js'
import {heartbeat} from '../../src/core/nodes.js'
import {renderHeartbeat} from '../../src/render/results.js'

export default defineCommand({
  summary: "Record a node's heartbeat (now, or DLMCTL_CLOCK)",
  examples: ['<%= config.bin %> node heartbeat n1', 'DLMCTL_CLOCK=2026-01-01T00:00:05Z <%= config.bin %> node heartbeat n1'],
  args: {node: Args.string({description: 'node name', required: true})},
  async run({args, flags}, cx) {
    const r = await heartbeat(cx.ctx(flags), args.node)
    await cx.emit(r, () => renderHeartbeat(r))
  },
})
