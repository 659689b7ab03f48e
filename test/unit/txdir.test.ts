import {spawn, type ChildProcess} from 'node:child_process'
import {buildSync} from 'esbuild'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {TEST_BASE} from '../tmpbase.js'
import {DlmError, StoreBusy} from '../../src/errors.js'
import {io} from '../../src/store/io.js'
import {takeNotices} from '../../src/store/envfail.js'
import {initLockFiles} from '../../src/store/filelock.js'
import {pendingRecords, transact, view, type Reader} from '../../src/store/txdir.js'
import {FULL} from '../full.js'

const CRC32C = createRequire(import.meta.url)('crc-32/crc32c.js') as {str(s: string): number}
const PROJECT = fileURLToPath(new URL('../..', import.meta.url))
// Bundled engine + child helper; inside node_modules so the
// children resolve fs-native-extensions and crc-32 from the project.
const OUT = join(PROJECT, 'node_modules/.cache/dlmctl-txdir-test')
const CHILD = join(OUT, 'test/unit/helpers/txchild.js')

const tmps: string[] = []
function newRoot(): string {
  const d = mkdtempSync(join(TEST_BASE, 'dlmctl-txdir-'))
  tmps.push(d)
  return d
}

beforeAll(() => {
  // esbuild, not tsc: a bundle of the child and the engine it runs takes ~0.1 s
  // (type-checking is tsc's job elsewhere in `npm test`).
  rmSync(OUT, {recursive: true, force: true})
  buildSync({
    entryPoints: [join(PROJECT, 'test/unit/helpers/txchild.ts')],
    outfile: CHILD,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  })
  writeFileSync(join(OUT, 'package.json'), '{"type":"module"}\n') // node_modules/ is outside the project's package scope
}, 60_000)

afterAll(() => {
  for (const d of tmps) rmSync(d, {recursive: true, force: true})
})

interface Child {
  proc: ChildProcess
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}>
  saw(text: string): Promise<void>
}

function runChild(args: string[], crashPoint?: string): Child {
  const env = {...process.env}
  delete env.DLMCTL_CRASH_POINT
  if (crashPoint) env.DLMCTL_CRASH_POINT = crashPoint
  const proc = spawn(process.execPath, [CHILD, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  const waiters: {text: string; resolve(): void}[] = []
  proc.stdout!.on('data', (b: Buffer) => {
    out += b.toString()
    for (const w of waiters) if (out.includes(w.text)) w.resolve()
  })
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()))
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}>((res) =>
    proc.on('exit', (code, signal) => res({code, signal, stderr: err})),
  )
  return {
    proc,
    exited,
    saw: (text) =>
      new Promise<void>((res, rej) => {
        if (out.includes(text)) return res()
        waiters.push({text, resolve: res})
        void exited.then((x) => rej(new Error(`child exited (${x.code ?? x.signal}) before "${text}": ${x.stderr}`)))
      }),
  }
}

/** Every file and directory under root with its content: to prove a reader changed nothing. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name)
      const rel = relative(root, abs)
      if (statSync(abs).isDirectory()) {
        out[rel + '/'] = ''
        walk(abs)
      } else out[rel] = readFileSync(abs, 'latin1')
    }
  }
  walk(root)
  return out
}

const opts = (root: string, scopes = ['domain.a'], waitMs = 2000) => ({root, scopes, waitMs})
const OLD = {a: '{"v":"old-a"}', b: '{"v":"old-b"}', log: 'old\n'}
const NEW = {a: '{"v":"new-a"}', b: '{"v":"new-b"}', log: 'old\nnew\n'}

async function seed(root: string): Promise<void> {
  await initLockFiles(root, ['membership', 'domain.a', 'domain.z', 'events'])
  await transact(opts(root), async (tx) => {
    tx.write('a.json', OLD.a)
    tx.write('sub/b.json', OLD.b)
    tx.append('log', OLD.log)
  })
}

const read3 = (r: Reader) =>
  Promise.all(['a.json', 'sub/b.json', 'log'].map(async (p) => (await r.read(p))?.toString('utf8') ?? null)).then(([a, b, log]) => ({
    a,
    b,
    log,
  }))

const txTemps = (root: string) => Object.keys(snapshot(root)).filter((p) => p.includes('.tx-'))

describe('transact / view basics', () => {
  it('commits a multi-file transaction, sees staged data, writes nothing on error', async () => {
    const root = newRoot()
    await seed(root)
    expect(await view(opts(root), read3)).toEqual(OLD)
    expect(statSync(join(root, 'a.json')).mode & 0o777).toBe(0o600)

    await transact(opts(root), async (tx) => {
      tx.write('a.json', 'A2')
      tx.write('sub/c.json', 'C')
      tx.remove('sub/b.json')
      tx.append('log', 'x\n')
      tx.append('log', 'y\n')
      expect((await tx.read('a.json'))!.toString()).toBe('A2')
      expect(await tx.read('sub/b.json')).toBeNull()
      expect((await tx.read('log'))!.toString()).toBe('old\nx\ny\n')
      expect(await tx.list('sub')).toEqual(['c.json'])
      expect(await tx.list('')).toEqual(['a.json', 'log', 'sub'])
    })
    expect(await view(opts(root), read3)).toEqual({a: 'A2', b: null, log: 'old\nx\ny\n'})
    expect(await view(opts(root), (r) => r.read('sub/c.json').then((b) => b!.toString()))).toBe('C')
    expect(readdirSync(join(root, 'commit'))).toEqual([])
    expect(txTemps(root)).toEqual([])

    const before = snapshot(root)
    await expect(
      transact(opts(root), async (tx) => {
        tx.write('a.json', 'nope')
        tx.write('d.json', 'nope')
        tx.append('log', 'nope\n')
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(snapshot(root)).toEqual(before)
  })

  it('throws NO_STATE for a missing root; a view without lock files creates nothing', async () => {
    const missing = join(newRoot(), 'nope')
    // Each promise is made only when it is awaited: one made early could reject unhandled meanwhile.
    for (const start of [() => view(opts(missing), async () => 0), () => transact(opts(missing), async () => 0)]) {
      const p = start()
      await expect(p).rejects.toBeInstanceOf(DlmError)
      await expect(p).rejects.toMatchObject({code: 'NO_STATE'})
    }
    expect(existsSync(missing)).toBe(false)
    const bare = newRoot()
    writeFileSync(join(bare, 'f'), 'x')
    expect(await view(opts(bare, ['membership', 'domain.q']), (r) => r.list(''))).toEqual(['f'])
    expect(readdirSync(bare)).toEqual(['f'])
  })
})

describe('crash safety', () => {
  const cases: [string, typeof OLD][] = [
    ['commit.before-record', OLD],
    ['commit.after-record', NEW],
    ['commit.apply#1', NEW],
    ['commit.apply#2', NEW],
    ['commit.after-apply', NEW],
  ]
  it.each(cases)('SIGKILL at %s: all old or all new, view read-only, transact rolls forward', async (point, expected) => {
    const root = newRoot()
    await seed(root)
    const {signal, stderr} = await runChild(['crash', root], point).exited
    expect(signal, stderr).toBe('SIGKILL')

    expect(readdirSync(join(root, 'commit'))).toHaveLength(expected === NEW ? 1 : 0) // the roll-forward path is exercised
    const before = snapshot(root)
    expect(await view(opts(root), read3)).toEqual(expected)
    expect(snapshot(root)).toEqual(before) // view wrote, renamed, deleted nothing

    await transact(opts(root), async () => {})
    expect(await view(opts(root), read3)).toEqual(expected)
    expect(readdirSync(join(root, 'commit'))).toEqual([])
    if (expected === NEW) expect(txTemps(root)).toEqual([])
    // Stray temps of an uncommitted tx are never data.
    expect(await view(opts(root), (r) => r.list('sub'))).toEqual(['b.json'])
  })

  it('an I/O error mid-apply (after the commit point) succeeds with a notice and leaves the record for the next opener', async () => {
    const root = newRoot()
    await seed(root)
    const rename = io.rename
    let n = 0
    io.rename = async (from, to) => {
      if (from.includes('.tx-') && ++n === 2) throw Object.assign(new Error('injected EIO'), {code: 'EIO'})
      return rename(from, to)
    }
    try {
      // The change is committed: the caller must not be told it failed (a script would retry it).
      await expect(
        transact(opts(root), async (tx) => {
          tx.write('a.json', NEW.a)
          tx.write('sub/b.json', NEW.b)
          tx.append('log', 'new\n')
          return 'done'
        }),
      ).resolves.toBe('done')
    } finally {
      io.rename = rename
    }
    const notes = takeNotices()
    expect(notes).toHaveLength(1)
    expect(notes[0]).toMatch(/committed.*EIO.*next dlmctl command/)
    expect(readFileSync(join(root, 'a.json'), 'utf8')).toBe(NEW.a) // half applied on disk...
    expect(readFileSync(join(root, 'sub/b.json'), 'utf8')).toBe(OLD.b)
    expect(await view(opts(root), read3)).toEqual(NEW) // ...but never seen half applied
    await transact(opts(root), async () => {})
    expect(readdirSync(join(root, 'commit'))).toEqual([])
    expect(await view(opts(root), read3)).toEqual(NEW)
  })

  it('rolls forward a record spanning more scopes than ours (lock union), leaves disjoint ones alone', async () => {
    const root = newRoot()
    await seed(root)
    await runChild(['crash', root, 'membership', 'domain.a'], 'commit.apply#2').exited
    expect(await view(opts(root), read3)).toEqual(NEW)
    await transact(opts(root), async () => {})
    expect(readdirSync(join(root, 'commit'))).toEqual([])
    expect(await view(opts(root, ['membership']), read3)).toEqual(NEW)

    const other = newRoot()
    await seed(other)
    await runChild(['crash', other, 'domain.z'], 'commit.after-record').exited
    await transact(opts(other), async () => {}) // domain.a: not its business
    expect(readdirSync(join(other, 'commit'))).toHaveLength(1)
    expect(await view(opts(other), read3)).toEqual(OLD)
    expect(await view(opts(other, ['domain.z']), read3)).toEqual(NEW)
    await transact(opts(other, ['domain.z']), async () => {})
    expect(readdirSync(join(other, 'commit'))).toEqual([])
    expect(await view(opts(other), read3)).toEqual(NEW)
  })

  it('discards a torn record and never applies it', async () => {
    const root = newRoot()
    await seed(root)
    const txid = '000000001-1-0000'
    const body = {v: 1, txid, scopes: ['domain.a'], writes: ['a.json'], removes: ['log'], appends: []}
    const crc = (CRC32C.str(JSON.stringify(body)) >>> 0) ^ 1
    writeFileSync(join(root, `a.json.tx-${txid}.tmp`), 'EVIL')
    writeFileSync(join(root, 'commit', `${txid}.json`), JSON.stringify({...body, crc}))
    writeFileSync(join(root, 'commit', '000000002-1-0000.json'), '{"v":1,"txid":"0000') // cut short
    const pend = await pendingRecords(root)
    expect(pend.map((p) => [p.ok, !p.ok && p.torn])).toEqual([
      [false, true],
      [false, true],
    ])
    expect(await view(opts(root), read3)).toEqual(OLD)
    await transact(opts(root), async () => {})
    expect(readdirSync(join(root, 'commit'))).toEqual([])
    expect(existsSync(join(root, `a.json.tx-${txid}.tmp`))).toBe(false)
    expect(await view(opts(root), read3)).toEqual(OLD)

    // The same record with the right CRC is applied.
    writeFileSync(join(root, `a.json.tx-${txid}.tmp`), 'GOOD')
    writeFileSync(join(root, 'commit', `${txid}.json`), JSON.stringify({...body, crc: crc ^ 1}))
    expect(await view(opts(root), read3)).toEqual({a: 'GOOD', b: OLD.b, log: null})
    await transact(opts(root), async () => {})
    expect(await view(opts(root), read3)).toEqual({a: 'GOOD', b: OLD.b, log: null})
  })
})

describe('locking', () => {
  // npm test: 6 processes × 15 read-modify-write transactions on one scope, all
  // started together (90 commits that race); under FULL 6 × 40. (At 6 × 40 on a
  // loaded 2-CPU machine this test ran into its 30 s limit.)
  const TX = FULL ? 40 : 15
  it(`serialises 6 processes x ${TX} transactions`, async () => {
    const root = newRoot()
    await initLockFiles(root, ['domain.a'])
    const kids = Array.from({length: 6}, () => runChild(['counter', root, String(TX)]))
    for (const k of kids) expect((await k.exited).code, (await k.exited).stderr).toBe(0)
    const counter = await view(opts(root), (r) => r.read('counter.json'))
    expect(JSON.parse(counter!.toString())).toEqual({n: 6 * TX})
    const lines = readFileSync(join(root, 'log'), 'utf8').split('\n').filter(Boolean)
    expect(lines).toHaveLength(6 * TX)
    expect(new Set(lines).size).toBe(6 * TX)
    expect(readdirSync(join(root, 'commit'))).toEqual([])
  }, 30_000)

  it('times out with StoreBusy, and gets the lock soon after the holder is SIGKILLed', async () => {
    const root = newRoot()
    await initLockFiles(root, ['domain.a'])
    const kid = runChild(['hold', root, 'domain.a', '2000'])
    await kid.saw('locked')
    const t0 = Date.now()
    await expect(transact(opts(root, ['domain.a'], 200), async () => {})).rejects.toBeInstanceOf(StoreBusy)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190)

    const waiting = transact(opts(root, ['domain.a'], 5000), async () => Date.now())
    await new Promise((r) => setTimeout(r, 100))
    const killedAt = Date.now()
    kid.proc.kill('SIGKILL')
    // Soon after the kill, not at the end of the holder's 2 s (at least 1.7 s after the
    // kill): the kernel dropped the dead holder's lock. (The margin was 200 ms; on a
    // 2-CPU machine at load 16 the killed child took a few ms more to be reaped.)
    expect(await waiting).toBeLessThan(killedAt + 1000)
    expect((await kid.exited).signal).toBe('SIGKILL')
  })

  it('a shared view waits for an exclusive holder; views share', async () => {
    const root = newRoot()
    await initLockFiles(root, ['domain.a'])
    const kid = runChild(['hold', root, 'domain.a', '600'])
    await kid.saw('locked')
    await expect(view(opts(root, ['domain.a'], 100), async () => 0)).rejects.toBeInstanceOf(StoreBusy)
    const t0 = Date.now()
    await view(opts(root, ['domain.a'], 5000), async () => 0)
    expect(Date.now() - t0).toBeGreaterThan(200) // only once the child let go
    expect((await kid.exited).code).toBe(0)

    // Two views at once: each waits inside fn for the other to be inside too.
    let enter!: () => void
    const bothIn = new Promise<void>((r) => (enter = r))
    let n = 0
    const v = () =>
      view(opts(root, ['domain.a'], 1000), async () => {
        if (++n === 2) enter()
        await bothIn
      })
    await Promise.all([v(), v()])
    // ... and an exclusive transact is refused while a view is held.
    await view(opts(root, ['domain.a']), async () => {
      await expect(transact(opts(root, ['domain.a'], 50), async () => 0)).rejects.toBeInstanceOf(StoreBusy)
    })
  })

  it('a held scope does not block a different scope', async () => {
    const root = newRoot()
    await initLockFiles(root, ['domain.a', 'domain.b'])
    const kid = runChild(['hold', root, 'domain.a', '1000'])
    await kid.saw('locked')
    await transact(opts(root, ['domain.b', 'events'], 100), async (tx) => tx.write('b', 'x'))
    expect(await view(opts(root, ['domain.b'], 100), (r) => r.read('b').then((b) => b!.toString()))).toBe('x')
    kid.proc.kill('SIGKILL')
    await kid.exited
  })
})
