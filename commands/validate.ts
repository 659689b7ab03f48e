import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../src/cli/define.js'
import {exitOf} from '../src/cli/exit.js'
import {validateOp} from '../src/core/domains.js'
import {parseRecoveryId} from '../src/model/names.js'
import {previewForcedValidate, validateConfirmed} from '../src/core/confirmed.js'
import {confirmedChange} from '../src/cli/confirm.js'
import {renderForcedValidate} from '../src/render/safety.js'
import {renderValidate} from '../src/render/results.js'

export default defineCommand({
  summary: 'Validate a recovery domain after its dead nodes\' journals are replayed',
  description: 'Answers MORE_RECOVERY (exit 3, nothing changed) when a member died since the attach that gave --id; otherwise persistent locks become valid, orphans of the dead nodes are released, their deadman locks cleaned up, the value blocks of persistent resources that a death left not valid are zeroed and valid again (revalidated), and the domain returns to normal.',
  examples: ['<%= config.bin %> validate fs1 --id 1', '<%= config.bin %> validate fs1 --id 2 --json', '<%= config.bin %> validate fs1 --id 2 --force   # names the transactions it abandons, asks y/N', '<%= config.bin %> validate fs1 --id 2 --expect-generation 7'],
  args: {fs: Args.string({description: 'file system (lock domain)', required: true})},
  flags: {
    id: Flags.string({description: 'recovery id from domain attach', required: true}),
    force: Flags.boolean({description: 'validate although journals still hold unreplayed committed records (asks first)'}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation (with --force)'}),
    'dry-run': Flags.boolean({description: 'show what validate would do and change nothing'}),
    'expect-generation': Flags.integer({description: 'refuse (exit 5, STATE_CHANGED) unless the membership generation is still N (from status --json)', min: 0}),
  },
  async run({args, flags}, cx) {
    const id = parseRecoveryId(flags.id)
    const ctx = cx.ctx(flags)
    // Check the domain and the id before asking (the preview does): a typo should not cost a confirmation.
    const r = await confirmedChange(cx, {
      dryRun: flags['dry-run'],
      dry: () => validateOp(ctx, args.fs, id, {force: flags.force, dryRun: true}),
      yes: flags.yes,
      ask: !!flags.force,
      preview: () => previewForcedValidate(ctx, args.fs, id),
      question: (p) => renderForcedValidate(args.fs, p),
      change: (shown) => validateConfirmed(ctx, args.fs, id, {preview: shown, expectGeneration: flags['expect-generation']}, {force: flags.force}),
    })
    await cx.emit(r, () => renderValidate(r, args.fs, id, !!flags['dry-run']))
    cx.setExit(exitOf('recovery', r))
  },
})
