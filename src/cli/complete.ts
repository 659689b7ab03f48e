// `dlmctl completion <shell> --complete <index> -- <words...>`: what the completion
// scripts run on every Tab. main.ts calls this before loading oclif, so that a
// Tab costs little more than starting node (a shell waits for it).
import {realpathSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {complete, dirFiles, loadManifest, stateSource, type StateFiles} from '../core/complete.js'
import {isEtcdState} from '../store/etcd/url.js'

/** How long a Tab may wait for each etcd read before it completes no names. */
const ETCD_TAB_WAIT_MS = 1500

/** The candidates, one per line; false if argv is not a well-formed completion request. */
export async function runComplete(argv: string[], binPath: string): Promise<boolean> {
  const at = argv.indexOf('--complete')
  const dashes = argv.indexOf('--')
  const cword = Number(argv[at + 1])
  if (at < 0 || dashes < at || !Number.isInteger(cword) || cword < 1) return false
  // The line's words (the program name first) follow the first `--`, taken raw:
  // a word being typed may itself be `--` or look like a flag.
  const words = argv.slice(dashes + 1)
  const manifest = loadManifest(join(dirname(realpathSync(binPath)), '..', 'oclif.manifest.json'))
  const opened: {close(): void}[] = []
  const files = async (state: string): Promise<StateFiles> => {
    // etcd's client only when the state is an etcd URL: a directory's Tab loads none of it.
    if (!isEtcdState(state)) return dirFiles(resolve(state))
    const f = (await import('../store/etcd/loose.js')).looseEtcdFiles(state, ETCD_TAB_WAIT_MS)
    opened.push(f)
    return f
  }
  const lazy = (state: string): StateFiles => {
    let got: Promise<StateFiles> | undefined
    const f = () => (got ??= files(state))
    return {text: async (rel) => (await f()).text(rel), list: async (rel) => (await f()).list(rel)}
  }
  try {
    const out = await complete(manifest, words.slice(1), cword - 1, (state) => stateSource(lazy(state ?? process.env.DLMCTL_STATE ?? './dlm-cluster')))
    if (out.length) process.stdout.write(out.join('\n') + '\n')
  } finally {
    for (const f of opened) f.close()
  }
  return true
}
