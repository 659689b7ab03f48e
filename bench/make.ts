// bench:make — create a benchmark cluster through the store.
//
//   npm run -s bench:make -- --state DIR --locks N --node-locks M [--records R]
//
// Nodes n1..n4, file system fs1 mounted by all. N locks in fs1 (besides the 16
// deadman locks init takes), M of them persistent EX held by n2 on meta/k<i>,
// the rest NL/CR/PR held by n1/n3/n4 on their own resources, all granted.
// Prints one line of JSON on stdout:
//   {"state":"<abs dir>","domain":"fs1","node":"n2","replayNode":null}
// Exit 0 on success, 2 for bad flags (one line on stderr), else the dlmctl exit code.
import {parseArgs} from 'node:util'
import {DlmError, EXIT, usage} from '../src/errors.js'
import {makeCluster, type MakeOptions} from './lib/cluster.js'

function count(flag: string, v: string | undefined, required: boolean): number | undefined {
  if (v === undefined) {
    if (required) throw usage(`--${flag} is required`)
    return undefined
  }
  if (!/^[0-9]{1,15}$/.test(v)) throw usage(`--${flag} must be a whole number ≥ 0 (got '${v}')`)
  return Number(v)
}

function parse(argv: string[]): MakeOptions {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({values} = parseArgs({
      args: argv,
      options: {
        state: {type: 'string'},
        locks: {type: 'string'},
        'node-locks': {type: 'string'},
        records: {type: 'string'},
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (e) {
    throw usage(`${(e as Error).message.split('\n')[0]} (usage: bench:make --state DIR --locks N --node-locks M [--records R])`)
  }
  const state = values.state as string | undefined
  if (!state) throw usage('--state DIR is required')
  return {
    state,
    locks: count('locks', values.locks as string | undefined, true)!,
    nodeLocks: count('node-locks', values['node-locks'] as string | undefined, true)!,
    records: count('records', values.records as string | undefined, false),
  }
}

try {
  const r = await makeCluster(parse(process.argv.slice(2)))
  process.stdout.write(JSON.stringify(r) + '\n')
} catch (e) {
  const err = e as Error
  const exit = err instanceof DlmError ? err.exitCode : EXIT.INTERNAL
  process.stderr.write(`bench:make: ${err.message.split('\n')[0]}\n`)
  if (!(err instanceof DlmError) && process.env.DLMCTL_DEBUG) process.stderr.write(`${err.stack}\n`)
  process.exitCode = exit
}
