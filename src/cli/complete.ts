// `dlmctl completion <shell> --complete <index> -- <words...>`: what the completion
// scripts run on every Tab. main.ts calls this before loading oclif, so that a
// Tab costs little more than starting node (a shell waits for it).
import {realpathSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {complete, loadManifest, stateSource} from '../core/complete.js'

/** The candidates, one per line; false if argv is not a well-formed completion request. */
export function runComplete(argv: string[], binPath: string): boolean {
  const at = argv.indexOf('--complete')
  const dashes = argv.indexOf('--')
  const cword = Number(argv[at + 1])
  if (at < 0 || dashes < at || !Number.isInteger(cword) || cword < 1) return false
  // The line's words (the program name first) follow the first `--`, taken raw:
  // a word being typed may itself be `--` or look like a flag.
  const words = argv.slice(dashes + 1)
  const manifest = loadManifest(join(dirname(realpathSync(binPath)), '..', 'oclif.manifest.json'))
  const out = complete(manifest, words.slice(1), cword - 1, (dir) => stateSource(resolve(dir ?? process.env.DLMCTL_STATE ?? './dlm-cluster')))
  if (out.length) process.stdout.write(out.join('\n') + '\n')
  return true
}
