// Many dlmctl processes on one state directory (SPEC §3 "Concurrency-safe"): no
// update is ever lost, lock ids are never handed out twice, different domains do
// not serialize on each other, and a busy directory gives exit 6 after --wait.
import {closeSync, openSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {HEAVY, commandsInProcess, copyFixture, dlmctl, dlmctlWith, leftovers, stackLines, treeFiles} from './helpers.js'

const fsx = createRequire(import.meta.url)('fs-native-extensions') as {
  tryLock(fd: number, opts?: {shared?: boolean}): boolean
  unlock(fd: number): void
}

// The racing writers are real dlmctl processes ({process: true}): the point is that
// processes serialise on the store. What only reads the state before and after
// (export, lock list, check) and the rules of a busy directory run in this process;
// the same command code, taking the same kernel locks (OFD locks conflict between
// open files of one process too), without a start-up each.
commandsInProcess()
/** A real `node bin/run.js` process. */
const spawned = (s: string, ...args: string[]) => dlmctlWith({process: true}, s, ...args)

type Lock = {lockId: number; domain: string; resource: string; node: string; status: string}

async function exportJson(s: string) {
  const r = await dlmctl(s, 'export')
  expect(r.exitCode).toBe(0)
  return JSON.parse(r.stdout) as {domains: {name: string; nextLockId: number; resources: {name: string}[]}[]}
}

/** Hold the scope lock `lock/<scope>.lock` from this process, as a running dlmctl would. */
function holdScope(state: string, scope: string): {release(): void} {
  const fd = openSync(join(state, 'lock', `${scope}.lock`), 'r+')
  if (!fsx.tryLock(fd, {shared: false})) {
    closeSync(fd)
    throw new Error(`could not take ${scope}`)
  }
  let held = true
  return {
    release() {
      if (!held) return
      held = false
      fsx.unlock(fd)
      closeSync(fd)
    },
  }
}

describe('parallel request/release pairs on one domain', () => {
  // The store's serialisation itself is proven in-process by txdir.test.ts
  // (6 processes × 15 transactions, × 40 under FULL); this is the small end-to-end proof that
  // dlmctl processes use it: 4 processes request at once on one domain, then 4
  // release at once (8 spawns; the mixed waits of EX requests are in the next test).
  test('4 processes × 1 pair on fs1: unique lock ids, no lost update, only the deadman locks left, check clean', async () => {
    const N = 4
    const K = 1
    const s = copyFixture('basic')
    const [before, listBefore] = await Promise.all([exportJson(s), dlmctl(s, 'lock', 'list', 'fs1', '--json')])
    const next0 = before.domains.find((d) => d.name === 'fs1')!.nextLockId
    const nodes = ['n1', 'n2', 'n3']

    const worker = async (p: number) => {
      const ids: number[] = []
      const failures: string[] = []
      for (let i = 0; i < K; i++) {
        // NL and PR on r/0..r/2: all compatible, so nothing ever waits.
        const resource = `r/${(p + i) % 3}`
        const mode = (p + i) % 2 ? 'NL' : 'PR'
        // --wait 60s: this test is about lost updates, not about how long a loaded machine takes.
        const req = await spawned(s, 'lock', 'request', 'fs1', resource, '--node', nodes[p % 3], '--mode', mode, '--wait', '60s', '--json')
        if (req.exitCode !== 0) {
          failures.push(`request ${p}/${i}: exit ${req.exitCode} ${req.stdout}${req.stderr}`)
          continue
        }
        const lock = req.json as Lock
        if (lock.status !== 'granted' || lock.resource !== resource) failures.push(`request ${p}/${i}: ${JSON.stringify(lock)}`)
        ids.push(lock.lockId)
        const rel = await spawned(s, 'lock', 'release', 'fs1', String(lock.lockId), '--wait', '60s', '--json')
        if (rel.exitCode !== 0 || rel.json.released?.lockId !== lock.lockId) failures.push(`release ${p}/${i} (${lock.lockId}): exit ${rel.exitCode} ${rel.stdout}${rel.stderr}`)
      }
      return {ids, failures}
    }
    const results = await Promise.all(Array.from({length: N}, (_, p) => worker(p)))

    expect(results.flatMap((r) => r.failures)).toEqual([])
    const ids = results.flatMap((r) => r.ids)
    expect(ids).toHaveLength(N * K)
    expect(new Set(ids).size).toBe(N * K) // every request got its own id
    // No lost update: the domain's id counter advanced by exactly the number of requests,
    // and the ids handed out are exactly next0 .. next0 + N*K - 1.
    const after = await exportJson(s)
    const fs1 = after.domains.find((d) => d.name === 'fs1')!
    expect(fs1.nextLockId).toBe(next0 + N * K)
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({length: N * K}, (_, i) => next0 + i))
    // Every release happened: only the deadman locks are left, exactly as before.
    const [listAfter, chk] = await Promise.all([dlmctl(s, 'lock', 'list', 'fs1', '--json'), dlmctl(s, 'check', '--json')])
    expect(listAfter.json).toEqual(listBefore.json)
    expect((listAfter.json.locks as Lock[]).every((l) => l.resource.startsWith('deadman/'))).toBe(true)
    expect(fs1.resources.map((r) => r.name).filter((n) => !n.startsWith('deadman/'))).toEqual([])
    expect(chk.exitCode).toBe(0)
    expect(chk.json).toMatchObject({ok: true, problems: [], warnings: []})
    expect(leftovers(s)).toEqual([])
  }, HEAVY)

  // 3 processes × 2 requests at once: one on fs1, two on fs2.
  test('fs1 and fs2 mutated at the same time: both succeed, each domain counts its own ids', async () => {
    const s = copyFixture('basic')
    const before = await exportJson(s)
    const loop = async (fs: string, node: string) => {
      const out: number[] = []
      for (let i = 0; i < 2; i++) {
        const r = await spawned(s, 'lock', 'request', fs, `p/${i}`, '--node', node, '--mode', 'EX', '--wait', '60s', '--json')
        expect({fs, i, exit: r.exitCode, stderr: r.stderr}).toEqual({fs, i, exit: 0, stderr: ''})
        out.push(r.json.lockId)
      }
      return out
    }
    const [a, b, c] = await Promise.all([loop('fs1', 'n1'), loop('fs2', 'n2'), loop('fs2', 'n1')])
    const after = await exportJson(s)
    const next = (x: typeof before, fs: string) => x.domains.find((d) => d.name === fs)!.nextLockId
    expect(next(after, 'fs1') - next(before, 'fs1')).toBe(2)
    expect(next(after, 'fs2') - next(before, 'fs2')).toBe(4)
    expect(new Set(a).size).toBe(2)
    expect(new Set([...b, ...c]).size).toBe(4)
    // EX on p/i by two nodes of fs2: exactly one of each pair waits.
    const list = await dlmctl(s, 'lock', 'list', 'fs2', '--resource', 'p/*', '--json')
    const locks = list.json.locks as Lock[]
    for (let i = 0; i < 2; i++) {
      expect(locks.filter((l) => l.resource === `p/${i}`).map((l) => l.status).sort()).toEqual(['granted', 'waiting'])
    }
    expect((await dlmctl(s, 'check')).exitCode).toBe(0)
  }, HEAVY)
})

describe('a busy state directory', () => {
  test('--wait 200ms (or 0) on a domain held by someone else: exit 6 BUSY, nothing changed; other domains go on; then it succeeds', async () => {
    const s = copyFixture('basic')
    const hold = holdScope(s, 'domain.fs1')
    try {
      const before = treeFiles(s)
      const t0 = Date.now()
      const [j, h, st, dead, other] = await Promise.all([
        dlmctl(s, 'lock', 'request', 'fs1', 'r/1', '--node', 'n1', '--mode', 'EX', '--wait', '200ms', '--json'),
        // The one real process: its exit status and its one line on stderr.
        spawned(s, 'lock', 'request', 'fs1', 'r/1', '--node', 'n1', '--mode', 'EX', '--wait', '0'),
        dlmctl(s, 'status', '--wait', '200ms', '--json'), // readers wait for writers too
        dlmctl(s, 'node', 'mark-dead', 'n3', '--yes', '--wait', '200ms', '--json'),
        // fs2 does not serialize on fs1:
        dlmctl(s, 'lock', 'request', 'fs2', 'r/1', '--node', 'n1', '--mode', 'EX', '--wait', '200ms', '--json'),
      ])
      expect(Date.now() - t0).toBeLessThan(9_500) // not the default 10 s wait
      for (const r of [j, st, dead]) {
        expect({exit: r.exitCode, stderr: r.stderr}).toEqual({exit: 6, stderr: ''})
        expect(r.json.error.code).toBe('BUSY')
        expect(r.json.error.message).toContain('domain.fs1')
      }
      expect(h.exitCode).toBe(6)
      expect(h.stdout).toBe('')
      expect(h.stderr).toMatch(/^dlmctl: [^\n]*busy[^\n]*\n$/)
      expect(stackLines(h.stderr)).toEqual([])
      expect(other.exitCode).toBe(0)
      expect(other.json).toMatchObject({domain: 'fs2', status: 'granted'})
      // The BUSY commands changed nothing; only fs2's files changed.
      const now = treeFiles(s)
      const changed = Object.keys({...before, ...now}).filter((k) => before[k] !== now[k])
      expect(changed.length).toBeGreaterThan(0)
      expect(changed.filter((k) => !k.startsWith('domains/fs2/') && !k.startsWith('commit/'))).toEqual([])
    } finally {
      hold.release()
    }
    const ok = await dlmctl(s, 'lock', 'request', 'fs1', 'r/1', '--node', 'n1', '--mode', 'EX', '--wait', '200ms', '--json')
    expect(ok.exitCode).toBe(0)
    expect(ok.json).toMatchObject({domain: 'fs1', resource: 'r/1', status: 'granted'})
  })

  test('a command waits for a scope held briefly and then goes on (default --wait)', async () => {
    const s = copyFixture('basic')
    const hold = holdScope(s, 'membership')
    const timer = setTimeout(() => hold.release(), 600)
    try {
      const t0 = Date.now()
      const r = await dlmctl(s, 'node', 'mark-dead', 'n3', '--yes', '--json')
      expect(r.exitCode).toBe(0)
      expect(r.json).toMatchObject({node: 'n3', alreadyDead: false})
      expect(Date.now() - t0).toBeGreaterThanOrEqual(500) // it really waited for the holder
    } finally {
      clearTimeout(timer)
      hold.release()
    }
  })
})
