import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {fsCheckpoint} from '../../src/core/fs.js'
import {renderCheckpoint} from '../../src/render/results.js'

export default defineCommand({
  summary: "Checkpoint a live node's journal: apply its committed records to the metadata",
  examples: ['<%= config.bin %> fs checkpoint fs1 --node n1'],
  args: {fs: Args.string({description: 'file system', required: true})},
  flags: {node: Flags.string({description: 'the node whose journal to checkpoint', required: true})},
  async run({args, flags}, cx) {
    const r = await fsCheckpoint(cx.ctx(flags), args.fs, flags.node)
    await cx.emit(r, () => renderCheckpoint(r))
  },
})
