// Throwaway etcd servers for the tests: Debian's etcd-server (3.4) on loopback,
// a temporary data dir, free ports, no fsync (speed; durability of etcd itself
// is not what these tests check). A test that needs etcd FAILS when it cannot
// start one: never a skip.
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface EtcdMember {
  name: string
  clientPort: number
  peerPort: number
  proc: ChildProcess
  dataDir: string
  /** host:port for --state etcd://… */
  endpoint: string
}

export interface EtcdCluster {
  members: EtcdMember[]
  /** `etcd://a,b,c/<prefix>` for a fresh prefix. */
  url(prefix: string): string
  stop(): Promise<void>
}

/** A loopback TCP port nothing listens on (for a server to start, or for an endpoint that refuses). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

async function healthy(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/v3/kv/range`, {method: 'POST', body: JSON.stringify({key: 'AA=='}), signal: AbortSignal.timeout(1000)})
    return r.ok
  } catch {
    return false
  }
}

/** Start `size` members (1 or 3) and wait until every one answers. */
export async function startEtcd(size = 1, opts: {fsync?: boolean; /** more etcd flags, e.g. a smaller --max-request-bytes */ args?: string[]} = {}): Promise<EtcdCluster> {
  const bin = process.env.DLMCTL_TEST_ETCD ?? 'etcd'
  const specs: Array<{name: string; clientPort: number; peerPort: number}> = []
  for (let i = 0; i < size; i++) specs.push({name: `m${i}`, clientPort: await freePort(), peerPort: await freePort()})
  const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',')
  const token = `dlmctl-test-${process.pid}-${Date.now()}`
  const members: EtcdMember[] = specs.map((s) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dlmctl-etcd-'))
    const args = [
      '--name', s.name,
      '--data-dir', dataDir,
      '--listen-client-urls', `http://127.0.0.1:${s.clientPort}`,
      '--advertise-client-urls', `http://127.0.0.1:${s.clientPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${s.peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${s.peerPort}`,
      '--initial-cluster', initialCluster,
      '--initial-cluster-token', token,
      '--initial-cluster-state', 'new',
      ...(opts.fsync ? [] : ['--unsafe-no-fsync']),
      '--log-level', 'error',
      ...(opts.args ?? []),
    ]
    const proc = spawn(bin, args, {stdio: ['ignore', 'ignore', 'pipe']})
    leftOnExit(proc, dataDir)
    let err = ''
    proc.stderr?.on('data', (d: Buffer) => {
      if (err.length < 4000) err += d.toString()
    })
    proc.on('error', (e) => {
      err += String(e)
    })
    ;(proc as ChildProcess & {errText: () => string}).errText = () => err
    return {...s, proc, dataDir, endpoint: `127.0.0.1:${s.clientPort}`}
  })
  const cluster: EtcdCluster = {
    members,
    url: (prefix) => `etcd://${members.map((m) => m.endpoint).join(',')}/${prefix}`,
    async stop() {
      await Promise.all(
        members.map(
          (m) =>
            new Promise<void>((resolve) => {
              if (m.proc.exitCode !== null || m.proc.signalCode !== null) return resolve()
              m.proc.once('exit', () => resolve())
              m.proc.kill('SIGKILL')
            }),
        ),
      )
      for (const m of members) rmSync(m.dataDir, {recursive: true, force: true})
    },
  }
  const deadline = Date.now() + 20_000
  for (const m of members) {
    while (!(await healthy(m.clientPort))) {
      if (m.proc.exitCode !== null || Date.now() > deadline) {
        const why = (m.proc as ChildProcess & {errText: () => string}).errText().trim().split('\n').slice(-3).join(' | ')
        await cluster.stop()
        throw new Error(`could not start etcd (${bin}) for the tests: ${why || 'no answer in 20 s'} — install Debian's etcd-server`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return cluster
}

// Members still running when this process ends without stopping them are killed,
// their data removed: orphaned etcd servers were found running after some runs
// (after an unhandled rejection, and after a passing run whose forks vitest ended).
// On exit, this process kills them itself; killed by a signal, it cannot, so a
// watchdog shell waits for it to be gone and kills the member then (checking the
// pid is still that etcd, by its data directory in its command line).
const running = new Map<ChildProcess, string>()
let exitHook = false
function leftOnExit(proc: ChildProcess, dataDir: string): void {
  running.set(proc, dataDir)
  proc.once('exit', () => running.delete(proc))
  // GNU tail waits on the pid without a process a second (the loop: where tail has no --pid).
  const watch = `tail --pid=${process.pid} -f /dev/null 2>/dev/null || while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; grep -qaF -- '${dataDir}' /proc/${proc.pid}/cmdline 2>/dev/null && kill -9 ${proc.pid}; rm -rf '${dataDir}'`
  spawn('sh', ['-c', watch], {detached: true, stdio: 'ignore'}).unref()
  if (exitHook) return
  exitHook = true
  process.once('exit', () => {
    for (const [p, dir] of running) {
      p.kill('SIGKILL')
      rmSync(dir, {recursive: true, force: true})
    }
  })
}

/** Resolves once `pid` is stopped (state T in /proc): a signal is delivered asynchronously. */
export async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (/^\d+ \(.*\) T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`process ${pid} did not stop`)
}
