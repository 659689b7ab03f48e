// Shell completion on an etcd state (--state etcd://… on the line, or
// DLMCTL_STATE): node names, file systems, recovery ids and lock ids come from
// the etcd keys as they come from a directory's files; an unreachable etcd
// completes no names, quickly and silently (a Tab must not hang or print errors).
// And what messages call the state: on etcd its URL, never "state directory".
import {beforeAll, describe, expect, test} from 'vitest'
import {ROOT, baseEnv, commandsInProcess, dlmctl, inOneProcess, succeeded, type CliRun} from './helpers.js'
import {sharedEtcd} from '../unit/helpers/etcd-shared.js'
import {EtcdClient} from '../../src/store/etcd/client.js'

const etcd = sharedEtcd()
// The set-up and the messages are rules of the commands: they run in this process (the same
// command code, no start-up each). A Tab's completion is answered by bin/run.js before any
// command (main.ts): a test's Tabs run together in one process of the built CLI
// (inOneProcess, as bin/run.js runs each); ux-completion.test.ts runs them from a shell.
commandsInProcess()
let url: string
beforeAll(async () => {
  url = etcd.url('tab')
  succeeded(await dlmctl(url, 'init', '--nodes', 'n1,n2,n3', '--fs', 'fs1,fs2:n1+n2'))
  succeeded(await dlmctl(url, 'lock', 'request', 'fs1', 'r/a', '--node', 'n1', '--mode', 'EX'))
  succeeded(await dlmctl(url, 'lock', 'request', 'fs1', 'r/b', '--node', 'n2', '--mode', 'PR'))
}, 60_000)

/** A Tab at the end of `words` (the bash script's call), with DLMCTL_STATE = `state`. */
const tab = (state: string, ...words: string[]): CliRun => ({
  args: ['completion', 'bash', '--complete', String(words.length), '--', 'dlmctl', ...words],
  env: baseEnv(state, {NO_COLOR: '1'}),
  cwd: ROOT,
})

/** What each Tab offers; each must exit 0 with nothing on stderr. */
async function offers(runs: CliRun[]): Promise<string[][]> {
  const answers = await inOneProcess(runs)
  expect(answers.map((a) => ({exit: a.exit, stderr: a.stderr}))).toEqual(runs.map(() => ({exit: 0, stderr: ''})))
  return answers.map((a) => a.stdout.split('\n').filter(Boolean))
}

describe('completion on an etcd state', () => {
  test('nodes, file systems and lock ids come from etcd (DLMCTL_STATE and --state on the line)', async () => {
    const ids = (succeeded(await dlmctl(url, 'lock', 'list', 'fs1', '--json')).json.locks as {lockId: number; resource: string}[])
      .map((l) => String(l.lockId))
      .sort((a, b) => Number(a) - Number(b))
    expect(ids.length).toBeGreaterThanOrEqual(2)
    const got = await offers([
      tab(url, 'lock', 'request', 'fs1', 'r', '--node', ''),
      tab(url, 'lock', 'release', ''),
      tab(url, 'lock', 'release', 'fs1', ''),
      tab(url, 'node', 'mark-dead', 'n'),
      // --state on the line wins over DLMCTL_STATE.
      tab('/nonexistent', 'lock', 'release', '--state', url, ''),
    ])
    expect(got).toEqual([['n1', 'n2', 'n3'], ['fs1', 'fs2'], ids, ['n1', 'n2', 'n3'], ['fs1', 'fs2']])
  })

  test('an unreachable etcd completes no names, without an error and without waiting long', async () => {
    const dead = 'etcd://127.0.0.1:9/none'
    const t0 = Date.now()
    expect(await offers([tab(dead, 'lock', 'release', ''), tab(dead, 'lock', 'rel')])).toEqual([[], ['release']])
    expect(Date.now() - t0).toBeLessThan(20_000)
  })
})

describe('messages name the etcd state, not a "state directory"', () => {
  test("check's line names the URL; a cluster missing its membership says which etcd state", async () => {
    const chk = succeeded(await dlmctl(url, 'check'))
    expect(chk.stdout).toBe(`etcd state ${url} is consistent\n`)
    const broken = etcd.url('tabx')
    succeeded(await dlmctl(broken, 'init', '--nodes', 'n1'))
    const client = new EtcdClient([etcd.endpoint])
    try {
      await client.txn([], [{del: `${broken.split('/').slice(3).join('/')}/membership.json`}])
    } finally {
      client.close()
    }
    const st = await dlmctl(broken, 'status')
    expect(st.stderr).toBe(`dlmctl: etcd state ${broken} has cluster.json but no membership.json\n`)
    expect(st.stderr).not.toContain('directory')
    expect(st.exitCode).toBe(4)
  })
})
