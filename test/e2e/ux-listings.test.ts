// lock list's summary, sort, limit, --all, the -o formats of the listings, status
// counts, and the pager: snapshots on fixture copies with DLMCTL_CLOCK fixed.
import {beforeAll, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {commandsInProcess, tempDirsPerFile, copyFixture, treeFiles, json, pMap, parseTables, run, runTty, stripAnsi} from './helpers.js'

// Rules and output shapes: this file's pipe runs go through the commands in this process
// (helpers.ts commandsInProcess); terminals, other working directories and time limits still spawn.
commandsInProcess()

tempDirsPerFile()

const CASES: string[][] = [
  ['lock', 'list'],
  ['lock', 'list', '--summary'],
  ['lock', 'list', '--summary', '-o', 'tsv'],
  ['lock', 'list', '-o', 'tsv'],
  ['lock', 'list', 'fs1', '-o', 'yaml', '--limit', '2'],
  ['lock', 'list', '--all'],
  ['lock', 'list', '--sort', 'resource', '--limit', '3'],
  ['lock', 'list', '--sort', 'status', '--all'],
  ['node', 'list', '-o', 'tsv'],
  ['domain', 'list', '-o', 'yaml'],
  ['events', '-o', 'tsv'],
  ['journal', 'show', 'fs1', '--node', 'n2', '-o', 'tsv'],
  ['node', 'list', '-o', 'yaml'],
]

describe('listings on the chain fixture (snapshots)', () => {
  let state: string
  let before: Record<string, string>
  const out = new Map<string, Awaited<ReturnType<typeof run>>>()
  let locks: any[]
  beforeAll(async () => {
    state = copyFixture('chain')
    before = treeFiles(state)
    await pMap(CASES, 4, async (args) => out.set(args.join(' '), await run(state, args)))
    ;({locks} = await json(state, ['lock', 'list']))
  })

  for (const args of CASES) {
    it(args.join(' '), () => {
      const r = out.get(args.join(' '))!
      expect(r.exitCode, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      expect(r.stdout).toMatchSnapshot()
    })
  }

  it('the human table leaves out the deadman locks and says how many; --all shows every lock', () => {
    const plain = out.get('lock list')!.stdout
    const all = out.get('lock list --all')!.stdout
    const sys = locks.filter((l) => l.resource.startsWith('deadman/') || l.resource.startsWith('recovery/'))
    expect(sys.length).toBeGreaterThan(0)
    expect(parseTables(all)[0].length - 1).toBe(locks.length)
    expect(all).not.toMatch(/not shown/)
    const sorted = parseTables(all)[0].slice(1).map((r) => Number(r[0]))
    expect(sorted).toEqual([...sorted].sort((a, b) => a - b)) // by id, numerically
    const shown = parseTables(plain)[0].slice(1)
    expect(shown.length).toBe(locks.length - sys.length)
    expect(shown.some((r) => r.some((c) => c.startsWith('deadman/')))).toBe(false)
    expect(plain).toContain(`${sys.length} deadman and recovery lock(s) not shown (--all shows them)`)
  })

  it('tsv: a header and one tab-separated line per lock, every lock, the same values as --json', () => {
    const lines = out.get('lock list -o tsv')!.stdout.trimEnd().split('\n')
    const head = lines[0].split('\t')
    expect(head).toEqual(['lockId', 'domain', 'resource', 'node', 'mode', 'status', 'requestedMode', 'persistent', 'valid', 'invalidReasons', 'lvb'])
    expect(lines.length - 1).toBe(locks.length)
    for (const line of lines.slice(1)) {
      const cells = line.split('\t')
      expect(cells).toHaveLength(head.length)
      const l = locks.find((x) => x.lockId === Number(cells[0]))
      expect(cells).toEqual([String(l.lockId), l.domain, l.resource, l.node, l.mode, l.status, l.requestedMode ?? '', String(l.persistent), String(l.valid), l.invalidReasons.join(','), l.lvb])
    }
    expect(lines.join('\n')).not.toMatch(/[│┌└]/)
  })

  it('yaml is the JSON document; --limit keeps the first N by id', async () => {
    const y = parseYaml(out.get('lock list fs1 -o yaml --limit 2')!.stdout)
    const byId = [...locks].sort((a, b) => a.lockId - b.lockId).slice(0, 2)
    expect(y).toEqual({locks: byId})
    const dom = parseYaml(out.get('domain list -o yaml')!.stdout)
    expect(dom).toEqual(await json(state, ['domain', 'list']))
  })

  it('--summary --json counts what lock list --json lists', async () => {
    const s = await json(state, ['lock', 'list', '--summary'])
    expect(s.total.locks).toBe(locks.length)
    expect(s.total.waiting).toBe(locks.filter((l) => l.status === 'waiting').length)
    expect(s.byNode).toEqual(Object.fromEntries(['n1', 'n2', 'n3'].map((n) => [n, locks.filter((l) => l.node === n).length])))
    expect(s.mostWaitedOn[0]).toEqual({domain: 'fs1', resource: 'meta/a', waiting: 1, converting: 1})
  })

  it('lock list --json is unchanged by the new flags unless --sort or --limit; -o json is --json', async () => {
    const [plain, o, limited] = await Promise.all([run(state, ['lock', 'list', '--json']), run(state, ['lock', 'list', '-o', 'json']), json(state, ['lock', 'list', '--limit', '1', '--sort', 'id'])])
    expect(o.stdout).toBe(plain.stdout)
    expect(JSON.parse(plain.stdout).locks).toHaveLength(locks.length)
    expect(limited.locks).toEqual([[...locks].sort((a, b) => a.lockId - b.lockId)[0]])
  })

  it('status counts per domain agree with lock list --json; unreplayed names the records of the dead node', async () => {
    const st = await json(state, ['status'])
    const d = st.domains[0]
    expect(d.counts).toEqual({
      locks: locks.length,
      granted: locks.filter((l) => l.status === 'granted').length,
      converting: locks.filter((l) => l.status === 'converting').length,
      waiting: locks.filter((l) => l.status === 'waiting').length,
      orphans: locks.filter((l) => l.invalidReasons.includes('ORPHANED')).length,
      invalid: locks.filter((l) => !l.valid).length,
    })
    const fs = await json(state, ['fs', 'show', 'fs1'])
    expect(d.unreplayed).toEqual({n2: fs.journals.find((j: any) => j.node === 'n2').pendingRecords})
    expect(d.unreplayed.n2).toBeGreaterThan(0)
  })

  it('bad values: exit 2 and one line naming the flag and what it takes', async () => {
    const [a, b, c] = await Promise.all([run(state, ['lock', 'list', '--sort', 'size']), run(state, ['lock', 'list', '--limit', '0']), run(state, ['lock', 'list', '-o', 'xml'])])
    expect([a.exitCode, b.exitCode, c.exitCode]).toEqual([2, 2, 2])
    expect(a.stderr).toMatch(/^dlmctl: bad --sort 'size': use one of id, resource, node, mode, status\n$/)
    expect(b.stderr).toMatch(/bad --limit '0'/)
    expect(c.stderr).toMatch(/output/)
    expect(c.stderr).toMatch(/table, json, yaml, tsv/)
  })

  it('looking changes nothing', () => {
    expect(treeFiles(state)).toEqual(before)
  })
})

describe('tables at 80 columns', () => {
  it('lock list fits; the resource and reason columns wrap, STATUS and MODE keep their words; nothing is cut', async () => {
    const state = copyFixture('chain')
    const [r, {locks}] = await Promise.all([runTty(state, ['lock', 'list', '--all'], {cols: 80, env: {NO_COLOR: '1'}}), json(state, ['lock', 'list'])])
    expect(r.exitCode).toBe(0)
    // What the terminal shows of each line: a progress line (on a slow machine) is erased (ESC[2K) before the table.
    for (const l of r.stdout.split('\n').map((x) => x.split('\x1b[2K').at(-1)!)) expect([...l].length, l).toBeLessThanOrEqual(80)
    const [t] = parseTables(r.stdout)
    const col = (name: string) => t[0].findIndex((h) => h.replace(/\s/g, '') === name)
    const rows = new Map(t.slice(1).map((row) => [Number(row[0]), row]))
    expect(rows.size).toBe(locks.length)
    for (const l of locks) {
      const row = rows.get(l.lockId)!
      expect(row[col('STATUS')]).toBe(l.status)
      expect(row[col('MODE')]).toBe(l.status === 'converting' ? `${l.mode}→${l.requestedMode}` : l.mode)
      expect(row[col('RESOURCE')].replace(/\s/g, '')).toBe(l.resource)
      expect(row[col('VALID')].replace(/\s/g, '')).toBe(l.valid ? '✓' : `✗${l.invalidReasons.join('')}`)
    }
  })
})

describe('the pager', () => {
  it('long output on a terminal goes through $PAGER; short output and pipes do not', async () => {
    const state = copyFixture('chain')
    // A 10-row terminal: the full lock list is taller; the pager marks every line it shows.
    const pager = {PAGER: 'sed s/^/PAGED:/'}
    const [long, short, piped] = await Promise.all([
      runTty(state, ['lock', 'list', '--all'], {env: pager, rows: 10}),
      runTty(state, ['node', 'list'], {env: pager, rows: 40}),
      run(state, ['lock', 'list', '--all'], {env: pager}),
    ])
    expect(long.exitCode).toBe(0)
    const lines = stripAnsi(long.stdout).trimEnd().split('\n')
    expect(lines.length).toBeGreaterThan(10)
    expect(lines.every((l) => l.startsWith('PAGED:')), long.stdout).toBe(true)
    expect(short.stdout).not.toMatch(/PAGED:/)
    expect(short.stdout).toMatch(/n1/)
    expect(piped.stdout).not.toMatch(/PAGED:/)
  })

  it('PAGER=cat, or a pager that does not exist, prints straight out', async () => {
    const state = copyFixture('chain')
    const [cat, missing] = await Promise.all([
      runTty(state, ['lock', 'list', '--all'], {env: {PAGER: 'cat'}, rows: 10}),
      runTty(state, ['lock', 'list', '--all'], {env: {PAGER: 'no-such-pager-x'}, rows: 10}),
    ])
    for (const r of [cat, missing]) {
      expect(r.exitCode).toBe(0)
      expect(stripAnsi(r.stdout)).toMatch(/meta\/a/)
      expect(stripAnsi(r.stdout)).toMatch(/10 lock\(s\)/)
    }
  })
})

describe('fs show -o on the recovering fixture (metadata applied)', () => {
  it('tsv: one line per metadata key, the same values as --json; yaml is the whole document; nothing changed', async () => {
    const state = copyFixture('recovering')
    const before = treeFiles(state)
    const [doc, t, y] = await Promise.all([json(state, ['fs', 'show', 'fs1']), run(state, ['fs', 'show', 'fs1', '-o', 'tsv']), run(state, ['fs', 'show', 'fs1', '-o', 'yaml'])])
    expect([t.exitCode, y.exitCode]).toEqual([0, 0])
    const lines = t.stdout.replace(/\n$/, '').split('\n')
    expect(lines[0]).toBe('key\tvalue\tseq\tdeleted')
    expect(doc.keys.length).toBeGreaterThan(0)
    expect(lines.slice(1)).toEqual(doc.keys.map((k: any) => [k.key, k.value ?? '', k.seq, k.deleted ? 'true' : ''].join('\t')))
    expect(parseYaml(y.stdout)).toEqual(doc)
    expect(t.stdout).toMatchSnapshot()
    expect(treeFiles(state)).toEqual(before)
  })
})

describe('drill list -o', () => {
  it('tsv: one line per bundled drill, the same values as --json; yaml is the whole document', async () => {
    const state = copyFixture('basic')
    // The bundled drills are found next to the running bin/run.js: processes of it.
    const p = {process: true}
    const [doc, t, y] = await Promise.all([json(state, ['drill', 'list'], 0, p), run(state, ['drill', 'list', '-o', 'tsv'], p), run(state, ['drill', 'list', '-o', 'yaml'], p)])
    expect([t.exitCode, y.exitCode]).toEqual([0, 0])
    const lines = t.stdout.replace(/\n$/, '').split('\n')
    expect(lines[0]).toBe('name\tsteps\tdescription\tfile')
    expect(doc.drills.length).toBeGreaterThan(3)
    expect(lines.slice(1)).toEqual(doc.drills.map((d: any) => [d.name, d.steps, d.description, d.file].join('\t')))
    expect(parseYaml(y.stdout)).toEqual(doc)
  })
})
