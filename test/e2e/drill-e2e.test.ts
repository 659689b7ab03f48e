// `dlmctl drill run` / `drill list` end to end (SPEC §4, man dlmctl-drill(5)):
// the built CLI on the bundled drills and on the drills in test/e2e/drills/. The
// bundled drills run in drill-fuzz.test.ts (once each), the man page example here.
// What is tested is what the drill command answers (exit status, --json, stderr,
// the files it writes), so its command lines run one after the other in two
// processes of the built CLI (helpers.ts inOneProcess: what bin/run.js does, per
// line; cli-both-ways.test.ts checks that it answers as bin/run.js), not a process
// each; one — the failing drill with --json and --junit — is a real `node bin/run.js`,
// so a drill's own exit status (8) is seen from a process too. A drill's parallel and
// crash steps are real processes either way.
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {BUNDLED_DRILLS as BUNDLED, ROOT, drillCli, drillEnv, drillsInOneProcess, type DrillRun} from './helpers.js'

const DRILLS = join(ROOT, 'test/e2e/drills')
const TMP = mkdtempSync(join(tmpdir(), 'dlmctl-drill-e2e-'))
afterAll(() => rmSync(TMP, {recursive: true, force: true}))

type Run = DrillRun
/** A command line of this file: its arguments and the environment drillCli would add to. */
interface Line {
  args: string[]
  env?: Record<string, string>
}
/** Command lines one after the other in one process of the built CLI (in the repository, as drillCli runs them). */
const inOne = (lines: Line[]): Promise<Run[]> => drillsInOneProcess(lines.map((l) => ({args: l.args, env: drillEnv(l.env), cwd: ROOT})))

/** Started by the first test that needs it (not at collection: a filtered run must not leave drills running). */
function once<T>(start: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined
  return () => (p ??= start())
}


/** 1-based line and column of `marker` in a file. */
function posIn(file: string, marker: string): {line: number; col: number} {
  const text = readFileSync(file, 'utf8')
  const i = text.indexOf(marker)
  if (i < 0) throw new Error(`${marker} not in ${file}`)
  const before = text.slice(0, i).split('\n')
  return {line: before.length, col: before[before.length - 1].length + 1}
}

// ------------------------------------------------------------------ XML
// A small, strict XML 1.0 reader (no DTD): well-formedness is checked while
// building the tree — names, quoted attributes without '<', no duplicate
// attributes, known entities only, every start tag closed by its own end tag,
// exactly one root element, nothing but whitespace, comments and PIs outside it.

interface XmlEl {
  name: string
  attrs: Record<string, string>
  children: XmlEl[]
  text: string
}

const isNameStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === ':' || c.charCodeAt(0) > 127
const isNameChar = (c: string) => isNameStart(c) || (c >= '0' && c <= '9') || c === '-' || c === '.'
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r'

function parseXml(src: string): XmlEl {
  let i = 0
  const fail = (why: string): never => {
    const line = src.slice(0, i).split('\n').length
    throw new Error(`not well-formed XML at line ${line}: ${why}`)
  }
  const startsWith = (s: string) => src.startsWith(s, i)
  const skipSpace = () => {
    while (i < src.length && isSpace(src[i])) i++
  }
  const name = (): string => {
    if (i >= src.length || !isNameStart(src[i])) fail(`expected a name, found ${JSON.stringify(src[i])}`)
    const s = i
    while (i < src.length && isNameChar(src[i])) i++
    return src.slice(s, i)
  }
  const entity = (): string => {
    // at '&'
    const end = src.indexOf(';', i)
    if (end < 0 || end - i > 12) fail('& not followed by an entity reference')
    const ref = src.slice(i + 1, end)
    i = end + 1
    const named: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"}
    if (ref in named) return named[ref]
    if (ref.startsWith('#x')) {
      const hex = ref.slice(2)
      if (hex === '' || [...hex].some((c) => !'0123456789abcdefABCDEF'.includes(c))) fail(`bad character reference &${ref};`)
      return String.fromCodePoint(parseInt(hex, 16))
    }
    if (ref.startsWith('#')) {
      const dec = ref.slice(1)
      if (dec === '' || [...dec].some((c) => c < '0' || c > '9')) fail(`bad character reference &${ref};`)
      return String.fromCodePoint(Number(dec))
    }
    return fail(`unknown entity &${ref};`)
  }
  const checkChar = (c: string) => {
    const n = c.charCodeAt(0)
    if (n < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') fail(`control character U+${n.toString(16).padStart(4, '0')}`)
  }
  const misc = () => {
    for (;;) {
      skipSpace()
      if (startsWith('<!--')) {
        const end = src.indexOf('-->', i + 4)
        if (end < 0) fail('unterminated comment')
        i = end + 3
      } else if (startsWith('<?')) {
        const end = src.indexOf('?>', i + 2)
        if (end < 0) fail('unterminated processing instruction')
        i = end + 2
      } else return
    }
  }
  const element = (): XmlEl => {
    if (src[i] !== '<') fail('expected <')
    i++
    const el: XmlEl = {name: name(), attrs: {}, children: [], text: ''}
    for (;;) {
      const hadSpace = i < src.length && isSpace(src[i])
      skipSpace()
      if (startsWith('/>')) {
        i += 2
        return el
      }
      if (src[i] === '>') {
        i++
        break
      }
      if (!hadSpace) fail(`attributes of <${el.name}> must be separated by white space`)
      const an = name()
      if (an in el.attrs) fail(`duplicate attribute ${an} on <${el.name}>`)
      skipSpace()
      if (src[i] !== '=') fail(`attribute ${an} without =`)
      i++
      skipSpace()
      const q = src[i]
      if (q !== '"' && q !== "'") fail(`attribute ${an} not quoted`)
      i++
      let v = ''
      while (src[i] !== q) {
        if (i >= src.length) fail(`unterminated attribute ${an}`)
        if (src[i] === '<') fail(`'<' in attribute ${an}`)
        if (src[i] === '&') v += entity()
        else {
          checkChar(src[i])
          v += src[i++]
        }
      }
      i++
      el.attrs[an] = v
    }
    // content
    for (;;) {
      if (i >= src.length) fail(`<${el.name}> is never closed`)
      if (startsWith('</')) {
        i += 2
        const end = name()
        if (end !== el.name) fail(`</${end}> closes <${el.name}>`)
        skipSpace()
        if (src[i] !== '>') fail(`bad end tag </${end}>`)
        i++
        return el
      }
      if (startsWith('<!--')) {
        const end = src.indexOf('-->', i + 4)
        if (end < 0) fail('unterminated comment')
        i = end + 3
      } else if (startsWith('<![CDATA[')) {
        const end = src.indexOf(']]>', i + 9)
        if (end < 0) fail('unterminated CDATA')
        el.text += src.slice(i + 9, end)
        i = end + 3
      } else if (startsWith('<?')) {
        const end = src.indexOf('?>', i + 2)
        if (end < 0) fail('unterminated processing instruction')
        i = end + 2
      } else if (src[i] === '<') el.children.push(element())
      else if (src[i] === '&') el.text += entity()
      else {
        if (startsWith(']]>')) fail(']]> in text')
        checkChar(src[i])
        el.text += src[i++]
      }
    }
  }
  if (startsWith('\ufeff')) i++
  misc()
  if (startsWith('<!DOCTYPE')) fail('DOCTYPE not expected')
  const root = element()
  misc()
  if (i !== src.length) fail('content after the root element')
  return root
}

const all = (el: XmlEl, name: string): XmlEl[] => [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))]

describe('parseXml (the checker itself)', () => {
  test('accepts well-formed XML and refuses what is not', () => {
    const ok = parseXml('<?xml version="1.0"?>\n<a x="1 &amp; &#60;"><b/><c y=\'2\'>t&lt;</c></a>\n')
    expect(ok.attrs.x).toBe('1 & <')
    expect(ok.children.map((c) => c.name)).toEqual(['b', 'c'])
    expect(ok.children[1].text).toBe('t<')
    for (const bad of ['<a><b></a></b>', '<a x=1/>', '<a x="<"/>', '<a>&nbsp;</a>', '<a>&</a>', '<a/><b/>', '<a x="1" x="2"/>', '<a>', 'text', '<a x="1"y="2"/>', '<a>\u0001</a>']) {
      expect(() => parseXml(bad), bad).toThrow(/not well-formed/)
    }
  })
})

// ------------------------------------------------------------------ bundled drills

const bundledFiles = readdirSync(BUNDLED)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => join(BUNDLED, f))

// The first drill of man dlmctl-drill(5)'s EXAMPLES runs in the same pool.
const manExample = join(TMP, 'first-drill.yaml')
{
  const man = readFileSync(join(ROOT, 'man/dlmctl-drill.5'), 'utf8')
  const ex = man.slice(man.indexOf('\n.SH EXAMPLES\n')).split('\n.EX\n').slice(1).map((b) => b.slice(0, b.indexOf('\n.EE')))
  const first = ex.find((b) => b.startsWith('name:')) ?? ''
  writeFileSync(manExample, first.replaceAll('\\-', '-').replaceAll('\\(aq', "'").replaceAll('\\e', '\\') + '\n')
}

// ------------------------------------------------------------------ the command lines of this file

const wrong = join(DRILLS, 'wrong-expectation.yaml')
const junit = join(TMP, 'report.xml')
const malformed = 'test/e2e/drills/malformed.yaml'
const syntax = join(TMP, 'syntax.yaml')
const crashDrill = join(DRILLS, 'crash-after-record.yaml')
// One run serves two tests: the crash drill, kept in --state DIR (an existing empty directory is fine, so is a new one).
const kept = join(TMP, 'kept')
const mine = join(TMP, 'operator')
const tiny = join(TMP, 'tiny.yaml')
const unwritable = join(TMP, 'no-such-dir', 'report.xml')
const neverReached = join(TMP, 'never-reached.yaml')

/** Named command lines, in two processes at once (about as long each); a name's runs come in its process's order. */
const lines: [string, Line][][] = [
  [
    ['man', {args: ['drill', 'run', manExample, '--json']}],
    ['list json', {args: ['drill', 'list', '--json']}],
    ['list human', {args: ['drill', 'list']}],
    ['bail json', {args: ['drill', 'run', wrong, '--json', '--bail']}],
    ['bail human', {args: ['drill', 'run', wrong, '--bail']}],
    ['malformed human', {args: ['drill', 'run', malformed]}],
    ['malformed json', {args: ['drill', 'run', malformed, '--json']}],
    ['syntax', {args: ['drill', 'run', syntax, '--json']}],
    ['no such drill', {args: ['drill', 'run', 'no-such-drill']}],
  ],
  [
    ['crash', {args: ['drill', 'run', crashDrill, '--state', kept, '--json']}],
    // After the crash drill (same process, next line): its kept cluster.
    ['status kept', {args: ['status', '--state', kept, '--json']}],
    ['refs', {args: ['drill', 'run', join(DRILLS, 'refs.yaml'), '--json']}],
    // An operator's own cluster in DLMCTL_STATE is neither used nor touched: only --state keeps a drill's cluster.
    ['parallel', {args: ['drill', 'run', join(DRILLS, 'parallel-locks.yaml'), '--json'], env: {DLMCTL_STATE: mine}}],
    ['junit unwritable', {args: ['drill', 'run', tiny, '--json', '--junit', unwritable]}],
    ['never reached', {args: ['drill', 'run', neverReached, '--json']}],
  ],
]

/** Started by the first test that needs it (not at collection: a filtered run must not leave drills running). */
const everyRun = once(async () => {
  mkdirSync(kept)
  mkdirSync(mine)
  writeFileSync(join(mine, 'keep-me'), 'x')
  writeFileSync(syntax, 'name: x\ncluster:\n  nodes: [n1, n2\nsteps:\n  - run: status\n')
  writeFileSync(tiny, 'name: tiny\ncluster: {nodes: [n1]}\nsteps:\n  - run: status\n')
  // status only reads: it never commits, so it never reaches commit.after-record.
  writeFileSync(neverReached, 'name: never-reached\ncluster: {nodes: [n1]}\nsteps:\n  - crash:\n      run: status\n      at: commit.after-record\n')
  const [answers, full] = await Promise.all([
    Promise.all(lines.map((part) => inOne(part.map(([, l]) => l)))),
    // The one real process: the failing drill, whole, with --json and --junit.
    drillCli(['drill', 'run', wrong, '--json', '--junit', junit]),
  ])
  return new Map([...lines.flatMap((part, p) => part.map(([name], i): [string, Run] => [name, answers[p][i]])), ['full', full]])
})
const ran = async (name: string): Promise<Run> => (await everyRun()).get(name)!

// That every bundled drill passes (exit 0, ok, every step passed) is asserted by
// drill-fuzz.test.ts, on the same `drill run FILE --json` it makes of each to
// compare with --processes: one run of each bundled drill in the suite, not two.
describe('bundled drills', () => {
  test("the man page's example drill passes", {timeout: 120_000}, async () => {
    expect(readFileSync(manExample, 'utf8')).toMatch(/^name: first-drill\n/)
    const r = await ran('man')
    expect(r.exitCode, JSON.stringify(r.json?.steps?.filter((s: any) => !s.ok) ?? r.stderr)).toBe(0)
    expect(r.json).toMatchObject({drill: 'first-drill', ok: true, failed: 0})
    expect(r.json.steps.find((s: any) => s.label.startsWith('crash:'))).toMatchObject({signal: 'SIGKILL', ok: true})
  })

  test('drill list --json lists them all with their descriptions', async () => {
    const r = await ran('list json')
    expect(r.exitCode).toBe(0)
    const want = bundledFiles.map((f) => {
      const y = parseYaml(readFileSync(f, 'utf8'))
      return {name: y.name, description: y.description, file: f, steps: y.steps.length}
    })
    expect(r.json).toEqual({drills: want})
    for (const d of r.json.drills) expect(d.description.length).toBeGreaterThan(10)
    expect(r.json.drills.map((d: any) => d.name)).toContain('seed-second-death')
  })

  test('drill list (human) names every drill', async () => {
    const r = await ran('list human')
    expect(r.exitCode).toBe(0)
    for (const f of bundledFiles) expect(r.stdout).toContain(parseYaml(readFileSync(f, 'utf8')).name)
  })
})

// ------------------------------------------------------------------ failures, JUnit, --bail, --json

describe('a drill whose expectations fail', () => {
  const file = wrong
  // Three runs: full with --json and --junit (a real process), --bail with --json, and the human timeline (with --bail).
  const runs = () => Promise.all([ran('full'), ran('bail json'), ran('bail human')])

  test('exits 8; --json gives {drill, passed, failed, ok, steps} with every step and why each failed', async () => {
    const [full] = await runs()
    expect(full.exitCode).toBe(8)
    const j = full.json
    expect(j).toMatchObject({drill: 'wrong-expectation', passed: 4, failed: 2, ok: false, file})
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['drill', 'file', 'state', 'passed', 'failed', 'ok', 'durationMs', 'steps']))
    expect(j.steps.map((s: any) => s.index)).toEqual(['0', '1', '2', '3', '4', '5'])
    expect(j.steps.map((s: any) => s.ok)).toEqual([true, true, false, true, false, true])
    const s2 = j.steps[2]
    expect(s2).toMatchObject({label: 'lock request fs1 r/1 --node n2 --mode PR', command: 'lock request fs1 r/1 --node n2 --mode PR', exit: 0, line: posIn(file, 'run: lock request fs1 r/1 --node n2').line})
    expect(s2.failures).toEqual([{path: 'json/status', message: 'expected "granted", got "waiting"'}])
    expect(s2.json).toMatchObject({status: 'waiting', node: 'n2'})
    expect(j.steps[4].failures).toEqual([{path: 'exit', message: 'expected exit 5, got 0'}])
    // A reference was substituted in the command as run; the label keeps it as written.
    expect(j.steps[5].label).toBe('lock release fs1 ${x.lockId}')
    expect(j.steps[5].command).toBe(`lock release fs1 ${j.steps[1].json.lockId}`)
    // --json: one document on stdout, nothing else.
    expect(full.stdout.trim().startsWith('{')).toBe(true)
  })

  test('--junit writes well-formed XML: one testcase per step, <failure> in the failed ones', async () => {
    await runs()
    const xml = readFileSync(junit, 'utf8')
    const root = parseXml(xml)
    expect(root.name).toBe('testsuites')
    expect(root.attrs).toMatchObject({tests: '6', failures: '2'})
    const suites = all(root, 'testsuite')
    expect(suites).toHaveLength(1)
    expect(suites[0].attrs).toMatchObject({name: 'wrong-expectation', tests: '6', failures: '2', file})
    const cases = all(root, 'testcase')
    expect(cases.map((c) => c.attrs.name)).toEqual([
      '0: cluster',
      '1: lock request fs1 r/1 --node n1 --mode EX',
      '2: lock request fs1 r/1 --node n2 --mode PR',
      '3: lock list fs1 --resource r/1',
      '4: status',
      '5: lock release fs1 ${x.lockId}',
    ])
    const withFailure = cases.filter((c) => all(c, 'failure').length > 0).map((c) => c.attrs.name)
    expect(withFailure).toEqual(['2: lock request fs1 r/1 --node n2 --mode PR', '4: status'])
    const f2 = all(cases[2], 'failure')[0]
    expect(f2.attrs.message).toBe('json/status: expected "granted", got "waiting"')
    expect(f2.text).toContain('lock request fs1 r/1 --node n2 --mode PR')
    expect(all(cases[4], 'failure')[0].attrs.message).toBe('exit: expected exit 5, got 0')
    expect(cases[2].attrs.line).toBe(String(posIn(file, 'run: lock request fs1 r/1 --node n2').line))
    expect(cases[2].attrs.classname).toBe('drill.wrong-expectation')
    for (const c of cases) expect(Number(c.attrs.time)).toBeGreaterThanOrEqual(0)
  })

  test('--bail stops after the first failure', async () => {
    const [full, bail] = await runs()
    expect(bail.exitCode).toBe(8)
    expect(bail.json.steps.map((s: any) => s.index)).toEqual(['0', '1', '2'])
    expect(bail.json.steps.length).toBeLessThan(full.json.steps.length)
    expect(bail.json).toMatchObject({ok: false, failed: 1, passed: 2})
  })

  test('without --json: the timeline marks the failed step and says why', async () => {
    const [, , human] = await runs()
    expect(human.exitCode).toBe(8)
    const lines = human.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('drill wrong-expectation: two expectations that do not hold, between steps that pass')
    expect(lines[1]).toMatch(/^✓ +0 +init --nodes n1,n2 --fs fs1:n1\+n2 +exit 0, \d+ms$/)
    expect(lines[2]).toMatch(/^✓ +1 +lock request fs1 r\/1 --node n1 --mode EX +exit 0, \d+ms$/)
    expect(lines[3]).toMatch(/^✗ +2 +lock request fs1 r\/1 --node n2 --mode PR +exit 0, \d+ms$/)
    expect(lines[4].trim()).toBe('json/status: expected "granted", got "waiting"')
    expect(lines[5]).toMatch(/^FAILED: 1 of 5 steps +drill wrong-expectation \(\d+\.\ds; state: \(temporary, removed\)\)$/)
    expect(lines).toHaveLength(6)
  })
})

// ------------------------------------------------------------------ invalid drill files

describe('a drill file that is not valid', () => {
  test('exits 2 naming file:line:col, before anything runs', async () => {
    const file = malformed
    const {line, col} = posIn(join(ROOT, file), 'n9')
    expect({line, col}).toEqual({line: 9, col: 11})
    const [human, json] = [await ran('malformed human'), await ran('malformed json')]
    expect(human.exitCode).toBe(2)
    expect(human.stdout).toBe('') // no timeline: nothing ran
    expect(human.stderr.trim()).toBe(`dlmctl: ${file}:9:11: unknown node 'n9' (cluster.nodes: n1, n2)`)
    expect(json.exitCode).toBe(2)
    expect(json.json).toEqual({error: {code: 'DRILL_INVALID', message: `${file}:9:11: unknown node 'n9' (cluster.nodes: n1, n2)`, file, line: 9, col: 11}})
  })

  test('a YAML syntax error also names file:line:col', async () => {
    const file = syntax
    const r = await ran('syntax')
    expect(r.exitCode).toBe(2)
    expect(r.json.error.code).toBe('DRILL_INVALID')
    expect(r.json.error.message).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}:\\d+:\\d+: not valid YAML`))
  })

  test('a drill that is neither a file nor a bundled name: exit 2 listing the bundled ones', async () => {
    const r = await ran('no such drill')
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain("no drill file 'no-such-drill'")
    expect(r.stderr).toContain('seed-story')
  })
})

// ------------------------------------------------------------------ --state, refs, parallel, crash

describe('running drills', () => {
  const crashRun = () => ran('crash')

  test('crash at commit.after-record, then check {consistent: true}, passes', async () => {
    const r = await crashRun()
    expect(r.exitCode, JSON.stringify(r.json?.steps?.filter((s: any) => !s.ok))).toBe(0)
    const crash = r.json.steps[2]
    expect(crash).toMatchObject({index: '2', label: 'crash: node mark-dead n2 --yes @ commit.after-record', command: 'node mark-dead n2 --yes', signal: 'SIGKILL', exit: null, ok: true})
    expect(r.json.steps[3]).toMatchObject({index: '3', label: 'check consistency', command: 'check', exit: 0, ok: true})
    // The mark-dead was killed after its commit point: the next command rolled it forward.
    expect(r.json.steps.slice(4).map((s: any) => s.command)).toEqual(['status', 'lock list'])
    expect(r.json.steps.slice(4).every((s: any) => s.ok)).toBe(true)
  })

  test('--state DIR keeps the cluster there (status works afterwards); a non-empty DIR is refused (exit 2)', async () => {
    const r = await crashRun()
    expect(r.exitCode).toBe(0)
    expect(r.json.state).toBe(resolve(kept))
    const st = await ran('status kept')
    expect(st.exitCode).toBe(0)
    expect(st.json).toMatchObject({nodes: [{name: 'n1', state: 'up'}, {name: 'n2', state: 'dead'}, {name: 'n3', state: 'up'}], domains: [{name: 'fs1', state: 'recovering'}]})
    const before = readdirSync(kept, {recursive: true}).sort()

    const other = join(TMP, 'other')
    mkdirSync(other)
    writeFileSync(join(other, 'keep-me'), 'x')
    const [again, human] = await inOne([{args: ['drill', 'run', crashDrill, '--state', kept, '--json']}, {args: ['drill', 'run', crashDrill, '--state', other]}])
    expect(again.exitCode).toBe(2)
    expect(again.json.error.code).toBe('NOT_EMPTY')
    expect(readdirSync(kept, {recursive: true}).sort()).toEqual(before)
    expect(human.exitCode).toBe(2)
    expect(human.stderr).toContain('is not empty')
    expect(human.stdout).not.toContain('init')
    expect(readdirSync(other)).toEqual(['keep-me'])
  })

  test('as: and ${} with list indexes: typed in expectations, one word in commands', async () => {
    const r = await ran('refs')
    expect(r.exitCode, JSON.stringify(r.json?.steps?.filter((s: any) => !s.ok))).toBe(0)
    expect(r.json.ok).toBe(true)
    const byLabel = (l: string) => r.json.steps.find((s: any) => s.label === l)
    expect(byLabel('fs write fs1 --node n2 c=${s.value}').command).toBe('fs write fs1 --node n2 c=hello world')
    expect(byLabel('lock list fs1 --node n2 --resource ${l.locks.1.resource}').command).toBe('lock list fs1 --node n2 --resource meta/c')
    expect(byLabel('lock release fs1 ${l.locks.1.lockId}').command).toBe(`lock release fs1 ${r.json.steps[2].json.lockId}`)
    expect(r.json.steps).toHaveLength(11)
  })

  test('a parallel block of 4 lock requests on one domain: all granted, distinct lockIds (DLMCTL_STATE is not used)', async () => {
    const r = await ran('parallel')
    expect(r.exitCode, JSON.stringify(r.json?.steps?.filter((s: any) => !s.ok))).toBe(0)
    expect(r.json.state).toBe('(temporary, removed)')
    expect(readdirSync(mine)).toEqual(['keep-me'])
    const par = r.json.steps.filter((s: any) => s.index.startsWith('1.'))
    expect(par.map((s: any) => s.index)).toEqual(['1.1', '1.2', '1.3', '1.4'])
    for (const s of par) expect(s).toMatchObject({ok: true, exit: 0, json: {status: 'granted', domain: 'fs1'}})
    const ids = par.map((s: any) => s.json.lockId)
    expect(new Set(ids).size).toBe(4)
  })

  test('--junit to a path that cannot be written is an operator error naming the path, not an internal error', async () => {
    // Today the whole drill runs, then writeFile throws ENOENT: exit 1 "internal
    // error", and with --json the drill's own result is never printed.
    const where = unwritable
    const r = await ran('junit unwritable')
    expect(r.json?.error?.message ?? '').not.toMatch(/internal error/)
    expect(r.json?.error?.message ?? '').toContain(where)
    expect(r.exitCode).toBe(2)
  })

  test('a crash step whose command never reaches its crash point fails the drill', async () => {
    const r = await ran('never reached')
    expect(r.exitCode).toBe(8)
    expect(r.json.steps[1]).toMatchObject({ok: false, exit: 0, signal: null})
    expect(r.json.steps[1].failures[0].message).toContain('never reached crash point commit.after-record')
  })
})
