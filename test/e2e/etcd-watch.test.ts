// status --watch and events --follow on etcd wait on etcd's watch stream
// (/v3/watch through the gateway), not by polling: idle, they send etcd no
// read at all and print nothing; a change another process commits shows up at
// once, even with an --interval far longer than the test: a line per change,
// the events as `events` lists them; SIGTERM ends them with exit 0. (This was
// also etcd.test.ts's watch test, with --interval 100ms: merged here.)
import {describe, expect, test} from 'vitest'
import {commandsInProcess, dlmctl, spawnDlmctl, succeeded} from './helpers.js'
import {ownEtcd} from '../unit/helpers/etcd-shared.js'

// The commands that set up and change the state run in this process (another process
// than the watchers, which are processes of their own: signals, streams).
commandsInProcess()

// Its own etcd: the test counts the server's range requests, which other files would add to.
const etcd = ownEtcd(1)

/** Range requests etcd has served so far (its Prometheus metrics). */
async function ranges(): Promise<number> {
  const text = await (await fetch(`http://${etcd().members[0].endpoint}/metrics`)).text()
  let n = 0
  for (const m of text.matchAll(/^grpc_server_started_total\{grpc_method="Range",[^}]*\} (\d+)/gm)) n += Number(m[1])
  return n
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('watching an etcd state', () => {
  test('status --watch (--interval 1h) and events --follow: no reads while idle; another process\'s change shows up at once', async () => {
    const url = etcd().url(`watch${process.pid}`)
    succeeded(await dlmctl(url, 'init', '--nodes', 'n1,n2,n3', '--fs', 'fs1', '--json'))
    const start = (args: string[]) => {
      const c = spawnDlmctl(url, args, {timeout: 50_000})
      const o = {text: '', c}
      c.stdout!.on('data', (d: Buffer) => (o.text += d.toString()))
      return o
    }
    const lines = (t: string) => t.split('\n').filter(Boolean)
    const until = async (o: {text: string}, what: (t: string) => boolean, ms = 15_000) => {
      const end = Date.now() + ms
      while (!what(o.text) && Date.now() < end) await sleep(50)
      expect(what(o.text), o.text).toBe(true)
    }
    // Off a terminal status --watch writes JSON lines without --json.
    const watch = start(['status', '--watch', '--interval', '1h'])
    const follow = start(['events', '--follow', '--json'])
    await until(watch, (t) => lines(t).length >= 1)
    await until(follow, (t) => /"type":"init"/.test(t))
    await sleep(500)
    // Idle: a poll every 250 ms would send several range requests in this second.
    const before = await ranges()
    await sleep(1000)
    expect(await ranges()).toBe(before)
    expect(lines(watch.text)).toHaveLength(1)
    expect(JSON.parse(lines(watch.text)[0]).domains[0]).toMatchObject({name: 'fs1', state: 'normal', deadNodes: []})
    // Another process changes the state: both see it well inside the 1 h interval.
    succeeded(await dlmctl(url, 'lock', 'request', 'fs1', 'r/new', '--node', 'n3', '--mode', 'PR'))
    succeeded(await dlmctl(url, 'node', 'mark-dead', 'n2', '--yes'))
    await until(watch, (t) => lines(t).length >= 2 && JSON.parse(lines(t).at(-1)!).generation === 2 && JSON.parse(lines(t).at(-1)!).domains[0].deadNodes.includes('n2'))
    await until(follow, (t) => /"type":"node\.dead"/.test(t))
    // What --follow printed is the event log as `events` lists it.
    const evs = lines(follow.text).map((l) => JSON.parse(l))
    expect(evs.map((e) => e.type)).toEqual(succeeded(await dlmctl(url, 'events', '--json')).json.events.map((e: {type: string}) => e.type))
    for (const o of [watch, follow]) o.c.kill('SIGTERM')
    for (const o of [watch, follow]) expect((await o.c).exitCode).toBe(0)
  }, 60_000)
})
