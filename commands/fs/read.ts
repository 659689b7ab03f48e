import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {fsRead} from '../../src/core/fs.js'
import {renderFsRead} from '../../src/render/results.js'

export default defineCommand({
  summary: 'Read a metadata key as a node (needs a granted, valid lock of at least CR on meta/<key>), or --raw',
  description: "As a node: the newest committed value, from the applied metadata and the live nodes' journals. Refused (exit 5) without a granted lock of at least CR on meta/<key> (LOCK_NOT_HELD) or while it is not valid (VALNOTVALID: e.g. a persistent lock while the domain recovers). --raw is the operator's view of the applied metadata; its `valid` is false while the domain awaits replay.",
  examples: ['<%= config.bin %> fs read fs1 a --node n1', '<%= config.bin %> fs read fs1 a --raw --json'],
  args: {
    fs: Args.string({description: 'file system', required: true}),
    key: Args.string({description: 'metadata key', required: true}),
  },
  flags: {
    node: Flags.string({description: 'read as this node'}),
    raw: Flags.boolean({description: 'read the applied metadata directly (no lock needed)'}),
  },
  async run({args, flags}, cx) {
    const r = await fsRead(cx.ctx(flags), args.fs, args.key, {node: flags.node, raw: flags.raw})
    await cx.emit(r, () => renderFsRead(r))
  },
})
