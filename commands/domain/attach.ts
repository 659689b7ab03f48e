import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {attachOp} from '../../src/core/domains.js'
import {renderAttach} from '../../src/render/results.js'

export default defineCommand({
  summary: "Attach to a domain's recovery: prints a recovery id that remembers the epoch",
  description: 'validate --id answers MORE_RECOVERY if a member dies after this attach.',
  examples: ['<%= config.bin %> domain attach fs1 --node n1', 'id=$(<%= config.bin %> domain attach fs1 --node n1 --json | jq .id)'],
  args: {fs: Args.string({description: 'file system (lock domain)', required: true})},
  flags: {node: Flags.string({description: 'the survivor running the recovery', required: true})},
  async run({args, flags}, cx) {
    const r = await attachOp(cx.ctx(flags), args.fs, flags.node)
    await cx.emit(r, () => renderAttach(r))
  },
})
