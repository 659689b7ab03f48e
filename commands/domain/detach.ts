import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {parseRecoveryId} from '../../src/model/names.js'
import {detachConfirmed} from '../../src/core/confirmed.js'
import {renderDetach, renderDetachConfirm} from '../../src/render/results.js'

export default defineCommand({
  summary: 'Forget a recovery id (abandon that attach)',
  examples: ['<%= config.bin %> domain detach fs1 --id 1 --yes', '<%= config.bin %> domain detach fs1 --id 1 --yes --expect-generation 7'],
  args: {fs: Args.string({description: 'file system (lock domain)', required: true})},
  flags: {
    id: Flags.string({description: 'recovery id', required: true}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation'}),
    'expect-generation': Flags.integer({description: 'refuse (exit 5, STATE_CHANGED) unless the membership generation is still N (from status --json)', min: 0}),
  },
  async run({args, flags}, cx) {
    const id = parseRecoveryId(flags.id)
    const r = await detachConfirmed(cx.ctx(flags), args.fs, id, {expectGeneration: flags['expect-generation']}, {
      confirm: () => cx.confirm(renderDetachConfirm(args.fs, id), flags.yes),
    })
    await cx.emit(r, () => renderDetach(args.fs, id))
  },
})
