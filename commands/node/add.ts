import * as Args from '@oclif/core/args'
import {defineCommand} from '../../src/cli/define.js'
import {addNode} from '../../src/core/nodes.js'
import {renderNodeAdded} from '../../src/render/results.js'

export default defineCommand({
  summary: 'Add a new node to the cluster (up, in no domain yet)',
  examples: ['<%= config.bin %> node add n4', '<%= config.bin %> node add n4 && <%= config.bin %> node join n4 --fs fs1'],
  args: {node: Args.string({description: 'node name', required: true})},
  async run({args, flags}, cx) {
    const r = await addNode(cx.ctx(flags), args.node)
    await cx.emit(r, () => renderNodeAdded(r))
  },
})
