// Issue 14's defects, each reproduced in-process through the store's I/O seam
// (src/store/io.ts, whose methods the tests wrap). Each failed on the code
// before the fix (commit f07a204).
import {cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {constants} from 'node:fs'
import {join} from 'node:path'
import {afterAll, afterEach, describe, expect, it} from 'vitest'
import type {Ctx} from '../../src/core/context.js'
import {attachOp, validateOp} from '../../src/core/domains.js'
import {fsRead, fsWrite} from '../../src/core/fs.js'
import {initCluster, type InitSpec} from '../../src/core/init.js'
import {canonicalJson, checkState, exportState} from '../../src/core/cluster-views.js'
import {requestLockOp} from '../../src/core/locks.js'
import {addNode, joinNode, markDead} from '../../src/core/nodes.js'
import {recover} from '../../src/core/recover.js'
import {replayOp} from '../../src/core/replay.js'
import {DlmError} from '../../src/errors.js'
import {io} from '../../src/store/io.js'
import {transact, view} from '../../src/store/txdir.js'
import {TEST_BASE, testClock} from './helpers/clusters.js'

const roots: string[] = []
const newDir = (p = 'defects') => {
  const d = mkdtempSync(join(TEST_BASE, `dlmctl-${p}-`))
  roots.push(d)
  return d
}
afterAll(() => roots.forEach((r) => rmSync(r, {recursive: true, force: true})))

type IoMap = Record<string, (...a: never[]) => Promise<unknown>>
const realIo = {...io} as unknown as IoMap
/** Wrap io methods for one test; afterEach puts the real ones back. */
function patchIo(over: Record<string, (real: (...a: unknown[]) => Promise<unknown>, ...a: unknown[]) => Promise<unknown>>): void {
  for (const [k, f] of Object.entries(over)) {
    ;(io as unknown as Record<string, unknown>)[k] = (...a: unknown[]) => f(realIo[k] as (...a: unknown[]) => Promise<unknown>, ...a)
  }
}
afterEach(() => Object.assign(io, realIo))

const errno = (code: string, path?: string) => Object.assign(new Error(`${code}: injected`), {code, ...(path ? {path} : {})})
const codeOf = async (p: Promise<unknown>): Promise<string | null> =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof DlmError ? e.code : `${(e as Error).name}: ${(e as Error).message}`),
  )

const spec = (nodes: string[], fs: InitSpec['fs']): InitSpec => ({name: 'c', nodes, fs, lvbSize: 8, fenceCmd: null, fenceTimeoutMs: 30_000})
async function cluster(fsNames = ['fs1']): Promise<Ctx> {
  const root = join(newDir(), 'c')
  const nodes = ['n1', 'n2', 'n3']
  await initCluster(root, spec(nodes, fsNames.map((name) => ({name, members: nodes}))), testClock)
  return {root, waitMs: 2000, clock: testClock}
}
const copyCtx = (ctx: Ctx): Ctx => {
  const root = join(newDir(), 'c')
  cpSync(ctx.root, root, {recursive: true})
  return {...ctx, root}
}
const exported = async (ctx: Ctx) => canonicalJson(await exportState(ctx))

/** The first exclusive open (read-write) of a journal after arming: the start of a commit record's apply. */
const isJournalApply = (path: unknown, flags: unknown) => typeof path === 'string' && path.includes('/journal/') && typeof flags === 'number' && (flags & constants.O_RDWR) !== 0

describe('defect 1: journals are read through the pending-commit overlay', () => {
  it('fs write stopped after its commit point: export and fs read show exactly the new state before any roll-forward', async () => {
    const ctx = await cluster()
    await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/a', node: 'n2', mode: 'EX', persistent: true})
    const clean = copyCtx(ctx)
    await fsWrite(clean, 'fs1', 'n2', [['a', '42']], [])
    // The writer dies as it starts applying its commit record (the journal append).
    patchIo({open: (real, path, flags, mode) => (isJournalApply(path, flags) ? Promise.reject(new Error('killed')) : real(path, flags, mode))})
    await expect(fsWrite(ctx, 'fs1', 'n2', [['a', '42']], [])).rejects.toThrow('killed')
    Object.assign(io, realIo)
    expect(readdirSync(join(ctx.root, 'commit'))).toHaveLength(1) // pending: nobody rolled it forward
    expect(await exported(ctx)).toBe(await exported(clean))
    expect((await fsRead(ctx, 'fs1', 'a', {node: 'n2'})).value).toBe('42')
  })
})

describe('defect 1 (writers): a file read without its lock is read through the pending records too', () => {
  it('node add stopped after its commit point: a lock request on fs1 (which reads membership without its lock) sees the new node', async () => {
    const ctx = await cluster()
    let committed = false
    patchIo({
      rename: async (real, from, to) => {
        await real(from, to)
        if (String(to).includes('/commit/')) committed = true
      },
      open: (real, path, flags, mode) => (committed && typeof flags === 'number' ? Promise.reject(new Error('killed')) : real(path, flags, mode)),
    })
    await expect(addNode(ctx, 'n4')).rejects.toThrow('killed')
    Object.assign(io, realIo)
    expect(readdirSync(join(ctx.root, 'commit')).filter((f) => f.endsWith('.json'))).toHaveLength(1)
    // n4 exists (it just does not mount fs1): NOT_MEMBER, not UNKNOWN_NODE.
    expect(await codeOf(requestLockOp(ctx, {fs: 'fs1', resource: 'r/1', node: 'n4', mode: 'PR'}))).toBe('NOT_MEMBER')
    // The domain's writer left the membership record alone (not its scope).
    expect(readdirSync(join(ctx.root, 'commit')).filter((f) => f.endsWith('.json'))).toHaveLength(1)
  })
})

describe('defect 2: check applies a pending commit record virtually, as views do', () => {
  it('a rejoin whose commit record is pending (point past the journal on disk) is a healthy state', async () => {
    const ctx = await cluster()
    await requestLockOp(ctx, {fs: 'fs1', resource: 'meta/a', node: 'n2', mode: 'EX', persistent: true})
    await fsWrite(ctx, 'fs1', 'n2', [['a', '1']], [], {simulateTorn: true}) // n2 dies mid-write: a torn tail
    await markDead(ctx, 'n2', {skipFence: true})
    const r = await recover(ctx, ['fs1'], {maxAttempts: 2})
    expect(r.domains[0].result).toBe('RECOVERED')
    // The rejoin completes the torn line and moves n2's point past it; it dies applying that.
    patchIo({open: (real, path, flags, mode) => (isJournalApply(path, flags) ? Promise.reject(new Error('killed')) : real(path, flags, mode))})
    await expect(joinNode(ctx, 'n2')).rejects.toThrow('killed')
    Object.assign(io, realIo)
    expect(readdirSync(join(ctx.root, 'commit'))).toHaveLength(1)
    const c = await checkState(ctx)
    expect(c.problems).toEqual([])
    expect(c.ok).toBe(true)
  })
})

describe('defect 3: a roll-forward makes everything it relies on durable, and never overwrites other bytes', () => {
  const opts = (root: string) => ({root, scopes: ['domain.a'], waitMs: 2000})
  const paths = new Map<unknown, string>()
  /** A tx appending to `log` whose writer dies at the log's fsync, after its commit record is durable. */
  async function pendingAppend(root: string) {
    let armed = false
    patchIo({
      open: async (real, path, ...rest) => {
        const fh = await real(path, ...rest)
        paths.set(fh, path as string)
        return fh
      },
      fsync: (real, fh) => (armed && paths.get(fh)?.endsWith('/log') ? Promise.reject(new Error('killed')) : real(fh)),
      rename: async (real, from, to) => {
        await real(from, to)
        if (String(to).includes('/commit/')) armed = true
      },
    })
    await expect(
      transact(opts(root), async (tx) => {
        tx.append('log', 'new\n')
        tx.write('a.json', '{"v":2}')
      }),
    ).rejects.toThrow('killed')
    Object.assign(io, realIo)
  }

  it('finds the appended bytes already there: still fsyncs the file before deleting the record', async () => {
    const root = newDir('rf')
    mkdirSync(join(root, 'commit'))
    writeFileSync(join(root, 'log'), 'old\n')
    await pendingAppend(root) // commit record durable, then killed at the log's fsync
    expect(readFileSync(join(root, 'log'), 'utf8')).toBe('old\nnew\n') // written, not synced
    expect(readdirSync(join(root, 'commit')).filter((f) => f.endsWith('.json'))).toHaveLength(1)
    // The next writer rolls it forward: the log must be fsynced before the record goes.
    const events: string[] = []
    patchIo({
      open: async (real, path, ...rest) => {
        const fh = await real(path, ...rest)
        paths.set(fh, path as string)
        return fh
      },
      fsync: (real, fh) => {
        events.push(`fsync ${paths.get(fh)?.replace(root, '')}`)
        return real(fh)
      },
      unlink: (real, path) => {
        events.push(`unlink ${String(path).replace(root, '').replace(/[0-9a-z-]+\.json$/, 'R')}`)
        return real(path)
      },
    })
    await transact(opts(root), async () => {})
    const syncedLog = events.indexOf('fsync /log')
    const recordGone = events.indexOf('unlink /commit/R')
    expect(syncedLog).toBeGreaterThanOrEqual(0)
    expect(recordGone).toBeGreaterThan(syncedLog)
  })

  it('bytes that differ from the record\'s are damage: exit 4 naming the file, nothing overwritten', async () => {
    const root = newDir('rf')
    mkdirSync(join(root, 'commit'))
    writeFileSync(join(root, 'log'), 'old\n')
    await pendingAppend(root)
    // Something else wrote over the appended bytes meanwhile.
    writeFileSync(join(root, 'log'), 'old\nXYZ\n')
    const e = await transact(opts(root), async () => {}).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(DlmError)
    expect((e as DlmError).exitCode).toBe(4)
    expect((e as DlmError).message).toContain('log')
    expect(readFileSync(join(root, 'log'), 'utf8')).toBe('old\nXYZ\n')
    // Readers refuse it the same way.
    expect(await codeOf(view(opts(root), (r) => r.read('log')))).toBe('STATE_CORRUPT')
  })
})

describe('defect 5: recovery races', () => {
  /** n2 wrote a=1 under its persistent EX lock, then died; n1 attached (id 1). */
  async function deadWriter(fs = ['fs1']): Promise<Ctx> {
    const ctx = await cluster(fs)
    for (const f of fs) {
      await requestLockOp(ctx, {fs: f, resource: 'meta/a', node: 'n2', mode: 'EX', persistent: true})
      await fsWrite(ctx, f, 'n2', [['a', '1']], [])
    }
    await markDead(ctx, 'n2', {skipFence: true})
    return ctx
  }

  it('a replay started before a validate --force of the same domain is refused at its commit (the id was retired)', async () => {
    const ctx = await deadWriter()
    const {id} = await attachOp(ctx, 'fs1', 'n1')
    // The validate --force runs while the replay is between its scan and its commit.
    let fired = false
    patchIo({
      open: async (real, path, flags, mode) => {
        if (!fired && String(path).endsWith('lock/domain.fs1.lock') && typeof flags === 'number') {
          fired = true
          Object.assign(io, realIo)
          await validateOp(ctx, 'fs1', id, {force: true})
        }
        return real(path, flags, mode)
      },
    })
    const replay = replayOp(ctx, 'fs1', id)
    const e = await replay.catch((x: unknown) => x)
    expect(fired).toBe(true)
    expect(e).toBeInstanceOf(DlmError)
    expect((e as DlmError).code).toBe('RECOVERY_ID_RETIRED')
    expect((e as DlmError).exitCode).toBe(5)
    // Nothing of the abandoned journal got into the normal domain.
    expect((await fsRead(ctx, 'fs1', 'a', {raw: true})).value).toBe(null)
    expect(await codeOf(validateOp(ctx, 'fs1', id))).toBe('RECOVERY_ID_RETIRED')
    expect(await codeOf(replayOp(ctx, 'fs1', 99))).toBe('UNKNOWN_RECOVERY_ID')
  })

  /** Run recover A, paused at its first exclusive lock of the domain, while `during` runs. */
  async function whileRecovering(ctx: Ctx, during: () => Promise<void>) {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let paused!: () => void
    const isPaused = new Promise<void>((r) => (paused = r))
    let first = true
    patchIo({
      open: async (real, path, flags, mode) => {
        if (first && String(path).endsWith('lock/domain.fs1.lock') && typeof flags === 'number') {
          first = false
          paused()
          await gate
        }
        return real(path, flags, mode)
      },
    })
    const a = recover(ctx, ['fs1'], {maxAttempts: 2})
    await isPaused
    try {
      await during()
    } finally {
      release()
    }
    return a
  }

  it('a second recover of a domain being recovered waits, then gives up with BUSY naming the holder; the procedure runs once', async () => {
    const ctx = await deadWriter()
    let second: Awaited<ReturnType<typeof recover>> | undefined
    const first = await whileRecovering(ctx, async () => {
      second = await recover({...ctx, waitMs: 100}, ['fs1'], {maxAttempts: 2})
    })
    expect(first.domains[0].result).toBe('RECOVERED')
    expect(second!.domains[0]).toMatchObject({result: 'FAILED', error: {code: 'BUSY', exitCode: 6}})
    expect(second!.domains[0].message).toMatch(/recover fs1.*pid \d+/)
    const starts = (await exportState(ctx)).events.filter((e) => e.type === 'recover.start')
    expect(starts).toHaveLength(1)
  })

  it('one that waits long enough finds nothing left to do', async () => {
    const ctx = await deadWriter()
    let second: Promise<Awaited<ReturnType<typeof recover>>> | undefined
    const first = await whileRecovering(ctx, async () => {
      second = recover({...ctx, waitMs: 10_000}, ['fs1'], {maxAttempts: 2})
      await new Promise((r) => setTimeout(r, 50)) // it is waiting now
    })
    expect(first.domains[0].result).toBe('RECOVERED')
    expect((await second!).domains[0]).toMatchObject({result: 'RECOVERED', message: 'nothing to recover', attempts: 0})
    const e = await exportState(ctx)
    expect(e.events.filter((x) => x.type === 'recover.start')).toHaveLength(1)
    expect(e.events.filter((x) => x.type === 'fs.replay')).toHaveLength(1)
  })
})

describe('defect 6: environment errors name the file and exit 9; a change past its commit point is reported done', () => {
  it.each([
    ['EISDIR', 'a directory where domain.json should be'],
    ['EACCES', 'a state file it may not read'],
    ['EIO', 'an I/O error reading a state file'],
  ])('%s (%s): STORE_IO, exit 9, one line naming the file', async (code) => {
    const ctx = await cluster()
    const file = join(ctx.root, 'domains/fs1/domain.json')
    if (code === 'EISDIR') {
      rmSync(file)
      mkdirSync(file)
    } else patchIo({readFile: (real, path) => (path === file ? Promise.reject(errno(code, file)) : real(path))})
    // check lists it as a problem (exit 9 for the CLI) and goes on with the other files.
    const c = await checkState(ctx)
    expect(c).toMatchObject({ok: false, unreadable: true})
    expect(c.problems).toEqual([expect.objectContaining({file: 'domains/fs1/domain.json', errno: code})])
    expect(c.problems[0].message).toContain(code)
    for (const run of [() => requestLockOp(ctx, {fs: 'fs1', resource: 'r/1', node: 'n1', mode: 'PR'}), () => exportState(ctx)]) {
      const e = await run().catch((x: unknown) => x)
      expect(e).toBeInstanceOf(DlmError)
      expect(e).toMatchObject({code: 'STORE_IO', exitCode: 9})
      const msg = (e as Error).message
      expect(msg).toContain('domains/fs1/domain.json')
      expect(msg).toContain(code)
      expect(msg).not.toContain('\n')
    }
  })

  it.each(['ENOSPC', 'EIO', 'EDQUOT'])('%s writing a new image: STORE_IO naming the file, the old state, nothing left behind', async (code) => {
    const ctx = await cluster()
    const before = await exported(ctx)
    patchIo({write: () => Promise.reject(errno(code))})
    const e = await requestLockOp(ctx, {fs: 'fs1', resource: 'r/1', node: 'n1', mode: 'PR'}).catch((x: unknown) => x)
    Object.assign(io, realIo)
    expect(e).toMatchObject({code: 'STORE_IO', exitCode: 9})
    expect((e as Error).message).toMatch(new RegExp(`${code}.*then run the command again|${code}.*dmesg`))
    expect(await exported(ctx)).toBe(before)
    expect(readdirSync(join(ctx.root, 'commit'))).toEqual([])
  })

  it('EIO removing the commit record after the change was applied: the request succeeds (one lock), with a warning', async () => {
    const ctx = await cluster()
    patchIo({unlink: (real, path) => (String(path).includes('/commit/') ? Promise.reject(errno('EIO', String(path))) : real(path))})
    const r = await requestLockOp(ctx, {fs: 'fs1', resource: 'r/1', node: 'n1', mode: 'PR', persistent: true})
    Object.assign(io, realIo)
    expect(r).toMatchObject({resource: 'r/1', node: 'n1'})
    const {takeNotices} = await import('../../src/store/envfail.js')
    expect(takeNotices().join('\n')).toMatch(/committed.*EIO.*next dlmctl command/)
    const e = await exportState(ctx)
    expect(e.domains[0].resources.filter((x) => x.name === 'r/1').flatMap((x) => x.grantQueue)).toHaveLength(1)
    expect((await checkState(ctx)).ok).toBe(true)
  })
})

describe('defect 7: found by killing and power-cutting every call', () => {
  it('recover --all killed in its last step, rerun: no attachment or recovery lock of the killed run is left', async () => {
    const ctx = await cluster(['fs1', 'fs2'])
    await markDead(ctx, 'n2', {skipFence: true})
    // Killed as it releases the recovery lock (after validate): every io call fails from then on.
    let validated = 0
    let dead = false
    const kill = (real: (...a: unknown[]) => Promise<unknown>, ...a: unknown[]) => (dead ? Promise.reject(new Error('killed')) : real(...a))
    patchIo({
      readFile: kill,
      open: kill,
      write: kill,
      fsync: kill,
      unlink: kill,
      readdir: kill,
      stat: kill,
      mkdir: kill,
      rename: async (real, from, to) => {
        if (dead) throw new Error('killed')
        await real(from, to)
        if (String(to).endsWith('fs2/domain.json') && readFileSync(String(to), 'utf8').includes('"state": "normal"')) validated++
        if (validated === 1) dead = true
      },
    })
    await recover(ctx, ['fs1', 'fs2'], {maxAttempts: 2}).catch(() => {})
    Object.assign(io, realIo)
    const r = await recover(ctx, ['fs1', 'fs2'], {maxAttempts: 2})
    expect(r.domains.map((d) => d.result)).toEqual(['RECOVERED', 'RECOVERED'])
    const e = await exportState(ctx)
    for (const d of e.domains) {
      expect(d.attachments).toEqual([])
      expect(d.resources.filter((x) => x.name.startsWith('recovery/'))).toEqual([])
    }
    expect((await checkState(ctx)).ok).toBe(true)
  })

  it('init killed at any of its operations can be run again on the same directory', async () => {
    const base = newDir('init')
    const s = spec(['n1', 'n2'], [{name: 'fs1', members: ['n1', 'n2']}])
    // Count init's mutating calls, then kill it at each in turn.
    let n = 0
    const count = (real: (...a: unknown[]) => Promise<unknown>, ...a: unknown[]) => {
      n++
      return real(...a)
    }
    patchIo({open: count, write: count, fsync: count, rename: count, unlink: count, mkdir: count})
    await initCluster(join(base, 'probe'), s, testClock)
    Object.assign(io, realIo)
    const total = n
    expect(total).toBeGreaterThan(10)
    const refused: number[] = []
    for (let k = 0; k < total; k++) {
      const root = join(base, `c${k}`)
      let i = 0
      let dead = false
      const kill = (real: (...a: unknown[]) => Promise<unknown>, ...a: unknown[]) => {
        if (dead || i++ === k) {
          dead = true
          return Promise.reject(new Error('killed'))
        }
        return real(...a)
      }
      patchIo({open: kill, write: kill, fsync: kill, rename: kill, unlink: kill, mkdir: kill})
      await initCluster(root, s, testClock).catch(() => {})
      Object.assign(io, realIo)
      const again = await codeOf(initCluster(root, s, testClock))
      // After its commit point (cluster.json) the cluster exists: refused as such; before it, a rerun succeeds.
      if (again === 'NOT_EMPTY' && !existsSync(join(root, 'cluster.json'))) refused.push(k)
      else if (again !== null && again !== 'NOT_EMPTY') refused.push(k)
    }
    expect(refused).toEqual([])
  })

  it('init creating a new directory fsyncs its parent before exiting 0', async () => {
    const parent = newDir('init')
    const root = join(parent, 'new-cluster')
    const opened = new Map<unknown, string>()
    const synced: string[] = []
    patchIo({
      open: async (real, path, ...rest) => {
        const fh = await real(path, ...rest)
        opened.set(fh, String(path))
        return fh
      },
      fsync: (real, fh) => {
        synced.push(opened.get(fh) ?? '?')
        return real(fh)
      },
    })
    await initCluster(root, spec(['n1'], [{name: 'fs1', members: ['n1']}]), testClock)
    expect(synced).toContain(parent)
  })

  it('with DLMCTL_CLOCK fixed, recover --all from the same state gives the same export, however its domains interleave', async () => {
    const ctx = await cluster(['fs1', 'fs2'])
    await markDead(ctx, 'n2', {skipFence: true})
    const a = copyCtx(ctx)
    const b = copyCtx(ctx)
    await recover(a, ['fs1', 'fs2'], {maxAttempts: 2})
    // The second run: fs1's writes are slowed down, so fs2's steps happen first.
    patchIo({
      rename: async (real, from, to) => {
        if (String(to).includes('/domains/fs1/')) await new Promise((r) => setTimeout(r, 15))
        return real(from, to)
      },
    })
    await recover(b, ['fs1', 'fs2'], {maxAttempts: 2})
    Object.assign(io, realIo)
    expect(await exported(b)).toBe(await exported(a))
  })
})
