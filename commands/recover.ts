import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../src/cli/define.js'
import {runRecover} from '../src/cli/recover.js'

export default defineCommand({
  summary: 'Run the whole recovery of file systems: pick a survivor, attach, replay, validate, restart on MORE_RECOVERY',
  description: 'Domains recover in parallel. The runner (--as, or the first up member by name) holds EX on recovery/<fs> while the other survivors wait on it with PR; it attaches, replays every dead node\'s journal and validates; when another member dies meanwhile it starts again, up to --max-attempts, then reports FAILED (exit 3). Killed at any point, running it again finishes the job.',
  strict: false,
  examples: ['<%= config.bin %> recover fs1 --yes', '<%= config.bin %> recover --all --yes --json', '<%= config.bin %> recover fs1 fs2 --as n3 --yes', '<%= config.bin %> recover   # on a terminal: choose, see the plan, y/N (Ctrl-C or Escape: nothing changed)', '<%= config.bin %> recover --all --yes --expect-generation 7'],
  args: {fs: Args.string({description: 'file systems to recover (several allowed)'})},
  flags: {
    all: Flags.boolean({description: 'every recovering file system'}),
    as: Flags.string({description: 'the survivor that runs the recovery'}),
    'max-attempts': Flags.integer({description: 'attempts before giving up', default: 5}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation'}),
    'dry-run': Flags.boolean({description: 'show the plan (runner, journals to replay, orphans to release) and change nothing'}),
    'expect-generation': Flags.integer({description: 'refuse (exit 5, STATE_CHANGED) unless the membership generation is still N (from status --json)', min: 0}),
  },
  async run({argv, flags}, cx) {
    await runRecover(cx.ctx(flags), argv as string[], {
      all: flags.all,
      as: flags.as,
      maxAttempts: flags['max-attempts'],
      yes: flags.yes,
      dryRun: flags['dry-run'],
      expectGeneration: flags['expect-generation'],
    }, cx)
  },
})
