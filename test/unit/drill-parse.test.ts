// The drill file format (SPEC §4, man dlmctl-drill(5)): what parses into what,
// and every class of mistake is DRILL_INVALID (exit 2) at the right line AND
// column, found before anything runs.
import {describe, expect, it} from 'vitest'
import {DrillInvalid, parseDrill, type ParallelStep, type RunStep, type CrashStep, type Drill} from '../../src/drill/parse.js'
import {EXIT} from '../../src/errors.js'

const FILE = 'd.yaml'

/** 1-based line and column of the `nth` occurrence of `marker` in `text`. */
function posOf(text: string, marker: string, nth = 1): {line: number; col: number} {
  let i = -1
  for (let k = 0; k < nth; k++) {
    i = text.indexOf(marker, i + 1)
    if (i < 0) throw new Error(`marker ${JSON.stringify(marker)} #${nth} not in the text`)
  }
  const before = text.slice(0, i).split('\n')
  return {line: before.length, col: before[before.length - 1].length + 1}
}

async function invalid(text: string): Promise<DrillInvalid> {
  const e = await parseDrill(text, FILE).then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(e, 'the drill should be refused').toBeInstanceOf(DrillInvalid)
  const d = e as DrillInvalid
  expect(d.code).toBe('DRILL_INVALID')
  expect(d.exitCode).toBe(EXIT.USAGE)
  expect(d.exitCode).toBe(2)
  return d
}

/** Refused, at the position of `marker` (its nth occurrence), with a message matching `why`. */
async function invalidAt(text: string, marker: string, why: RegExp, nth = 1): Promise<void> {
  const d = await invalid(text)
  const {line, col} = posOf(text, marker, nth)
  expect(d.message).toMatch(why)
  expect({line: d.detail?.line, col: d.detail?.col}).toEqual({line, col})
  expect(d.message.startsWith(`${FILE}:${line}:${col}: `), d.message).toBe(true)
  expect(d.detail?.file).toBe(FILE)
}

const HEAD = `name: t
cluster:
  nodes: [n1, n2, n3]
  fs: [fs1]
steps:
`
const drill = (steps: string) => HEAD + steps

const run = (s: unknown) => s as RunStep

describe('a valid drill', () => {
  const text = `# a comment
name: full
description: every kind of step
clock: 2026-01-01T00:00:00Z
cluster:
  nodes: [n1, n2, n3]
  fs: {fs1: [n1, n2, n3], fs2: [n1, n2]}
  lvbSize: 8
  fenceCmd: [/bin/true, "{node}"]
  fenceTimeout: 5s
steps:
  - run: lock request fs1 meta/a --node n2 --mode EX --persistent
    as: a
  - run: lock list fs1 --resource "meta/a b"
    expect:
      exit: 0
      json: {locks: [{lockId: "\${a.lockId}", valid: true}]}
      absent: {locks: [{node: n3}]}
  - kill: n2
  - run: validate fs1 --id 9
    expect: {exit: 2}
  - recover: fs1
  - recover: all
  - check:
      nodes: {n2: recovered, n1: up}
      domains: {fs1: normal}
      locks: [{resource: meta/a}]
      noLocks: [{node: n2}]
      metadata: {fs1: {a: "1"}, fs2: {b: "2"}}
      consistent: true
  - check:
      consistent: false
  - crash:
      run: lock request fs1 meta/c --node n1 --mode EX --persistent
      at: commit.after-record
  - crash:
      run: replay fs1 --id \${a.lockId}
      at: commit.apply#2
  - crash:
      run: fs write fs1 --node n1 c=1
      after: 30ms
  - parallel:
      - run: lock request fs1 r/1 --node n1 --mode PR
        as: p1
      - kill: n3
      - recover: fs2
  - run: lock release fs1 \${p1.lockId}
`
  let d: Drill
  it('parses name, description, clock and the cluster (fs as a map)', async () => {
    d = await parseDrill(text, FILE)
    expect(d.name).toBe('full')
    expect(d.description).toBe('every kind of step')
    expect(d.file).toBe(FILE)
    expect(d.clock).toBe('2026-01-01T00:00:00Z')
    expect(d.cluster).toEqual({
      nodes: ['n1', 'n2', 'n3'],
      fs: [
        {name: 'fs1', members: ['n1', 'n2', 'n3']},
        {name: 'fs2', members: ['n1', 'n2']},
      ],
      lvbSize: 8,
      fenceCmd: ['/bin/true', '{node}'],
      fenceTimeout: '5s',
    })
    expect(d.steps).toHaveLength(13)
  })
  it('run steps keep the command as written, as, expect (exit defaults to 0) and the position', async () => {
    d = await parseDrill(text, FILE)
    const s1 = run(d.steps[0])
    expect(s1).toMatchObject({kind: 'run', run: 'lock request fs1 meta/a --node n2 --mode EX --persistent', as: 'a', expect: {exit: 0}})
    expect(s1.expect.json).toBeUndefined()
    expect(s1.pos).toEqual(posOf(text, 'run: lock request fs1 meta/a'))
    const s2 = run(d.steps[1])
    expect(s2.run).toBe('lock list fs1 --resource "meta/a b"')
    expect(s2.as).toBeUndefined()
    expect(s2.expect).toEqual({exit: 0, json: {locks: [{lockId: '${a.lockId}', valid: true}]}, absent: {locks: [{node: 'n3'}]}})
    expect(run(d.steps[3]).expect).toEqual({exit: 2})
  })
  it('kill and recover compile to the commands they stand for', async () => {
    d = await parseDrill(text, FILE)
    expect(d.steps[2]).toMatchObject({kind: 'run', run: 'node mark-dead n2 --yes', label: 'kill: n2', expect: {exit: 0}})
    expect(d.steps[4]).toMatchObject({kind: 'run', run: 'recover fs1 --yes', label: 'recover: fs1'})
    expect(d.steps[5]).toMatchObject({kind: 'run', run: 'recover --all --yes', label: 'recover: all'})
  })
  it('check compiles to status, lock list, fs show per file system, and check', async () => {
    d = await parseDrill(text, FILE)
    const c = d.steps[6] as ParallelStep
    expect(c.kind).toBe('parallel')
    expect(c.steps.map((s) => s.run)).toEqual(['status', 'lock list', 'fs show fs1', 'fs show fs2', 'check'])
    expect(c.steps[0].expect).toEqual({exit: 0, json: {nodes: [{name: 'n2', state: 'recovered'}, {name: 'n1', state: 'up'}], domains: [{name: 'fs1', state: 'normal'}]}})
    expect(c.steps[1].expect).toEqual({exit: 0, json: {locks: [{resource: 'meta/a'}]}, absent: {locks: [{node: 'n2'}]}})
    expect(c.steps[2].expect).toEqual({exit: 0, json: {keys: [{key: 'a', value: '1'}]}})
    expect(c.steps[3].expect).toEqual({exit: 0, json: {keys: [{key: 'b', value: '2'}]}})
    expect(c.steps[4].expect).toEqual({exit: 0})
    // A check of one thing is a single run step; consistent: false expects exit 4.
    expect(d.steps[7]).toMatchObject({kind: 'run', run: 'check', expect: {exit: 4}})
  })
  it('crash steps: at a crash point (with #N) or after a delay', async () => {
    d = await parseDrill(text, FILE)
    expect(d.steps[8]).toMatchObject({kind: 'crash', run: 'lock request fs1 meta/c --node n1 --mode EX --persistent', at: 'commit.after-record'})
    expect((d.steps[8] as CrashStep).afterMs).toBeUndefined()
    expect(d.steps[9]).toMatchObject({kind: 'crash', at: 'commit.apply#2'})
    expect(d.steps[10]).toMatchObject({kind: 'crash', afterMs: 30})
    expect((d.steps[10] as CrashStep).at).toBeUndefined()
  })
  it('parallel: its steps (run, kill, recover) in order, a later step may use their names', async () => {
    d = await parseDrill(text, FILE)
    const p = d.steps[11] as ParallelStep
    expect(p.kind).toBe('parallel')
    expect(p.steps.map((s) => s.run)).toEqual(['lock request fs1 r/1 --node n1 --mode PR', 'node mark-dead n3 --yes', 'recover fs2 --yes'])
    expect(p.steps[0].as).toBe('p1')
    expect(d.steps[12]).toMatchObject({kind: 'run', run: 'lock release fs1 ${p1.lockId}'})
  })
  it('cluster.fs as a list: every node mounts every file system; no fs: one fs1', async () => {
    const a = await parseDrill('name: x\ncluster:\n  nodes: [n1, n2]\n  fs: [fs1, fs2]\nsteps:\n  - run: status\n', FILE)
    expect(a.cluster.fs).toEqual([
      {name: 'fs1', members: ['n1', 'n2']},
      {name: 'fs2', members: ['n1', 'n2']},
    ])
    expect(a.description).toBe('')
    expect(a.clock).toBeUndefined()
    const b = await parseDrill('name: x\ncluster:\n  nodes: [n1]\nsteps:\n  - run: status\n', FILE)
    expect(b.cluster.fs).toEqual([{name: 'fs1', members: ['n1']}])
  })
  it('every bundled command word form is accepted (one, two and three words)', async () => {
    const d2 = await parseDrill(drill('  - run: status\n  - run: node list\n  - run: lock explain fs1 1\n  - run: journal show fs1 --node n1\n'), FILE)
    expect(d2.steps).toHaveLength(4)
  })
})

describe('invalid drills: DRILL_INVALID, exit 2, file:line:col', () => {
  it('not YAML: the position of the syntax error', async () => {
    const text = 'name: x\ncluster:\n  nodes: [n1\nsteps: []\n'
    const d = await invalid(text)
    expect(d.message).toMatch(/not valid YAML/)
    // The parser knows where it stopped: the message must say where (file:line:col).
    expect(d.message).toMatch(/^d\.yaml:\d+:\d+: /)
    expect(d.detail?.line).toBeGreaterThanOrEqual(3)
  })
  it('not YAML: a duplicate key, at the duplicate', async () => {
    const text = 'name: x\nname: y\n'
    const d = await invalid(text)
    expect(d.message).toMatch(/not valid YAML.*unique/)
    expect({line: d.detail?.line, col: d.detail?.col}).toEqual(posOf(text, 'name', 2))
  })
  it('not a mapping', async () => {
    await invalidAt('- a\n- b\n', '- a', /a drill is a mapping/)
  })
  it('missing name: at the drill mapping', async () => {
    const text = '# no name\ndescription: d\ncluster: {nodes: [n1]}\nsteps: [{run: status}]\n'
    await invalidAt(text, 'description', /missing required key: name/)
  })
  it('an empty name', async () => {
    const text = 'name: ""\ncluster: {nodes: [n1]}\nsteps: [{run: status}]\n'
    await invalidAt(text, '""', /name must be a non-empty string/)
  })
  it('unknown top-level key: at the key', async () => {
    const text = 'name: x\ncluster: {nodes: [n1]}\n  \nsetps:\n  - run: status\n'
    await invalidAt(text, 'setps', /unknown key 'setps' in the drill/)
  })
  it('unknown key in cluster', async () => {
    const text = 'name: x\ncluster:\n  nodes: [n1]\n  node: [n2]\nsteps: [{run: status}]\n'
    await invalidAt(text, 'node:', /unknown key 'node' in cluster/)
  })
  it('missing steps, empty steps', async () => {
    await invalidAt('name: x\ncluster: {nodes: [n1]}\n', 'name', /steps must be a non-empty list/)
    await invalidAt('name: x\ncluster: {nodes: [n1]}\nsteps: []\n', '[]', /steps must be a non-empty list/)
  })
  it('a bad clock', async () => {
    await invalidAt('name: x\nclock: yesterday\ncluster: {nodes: [n1]}\nsteps: [{run: status}]\n', 'yesterday', /not an ISO time/)
  })
  it('unknown step key: at the key', async () => {
    const text = drill('  - run: status\n  - run: status\n    expcet: {exit: 0}\n')
    await invalidAt(text, 'expcet', /unknown key 'expcet' in a step/)
  })
  it('env: only the testing variables, on run, kill, recover and crash steps; shown in the label', async () => {
    const d = await parseDrill(drill('  - run: fs write fs1 --node n1 a=1\n    env: {DLMCTL_TEST_TORN_WRITE: "1"}\n  - crash: {run: recover fs1 --yes, at: commit.apply}\n    env: {DLMCTL_KILL_AFTER_ATTACH: n3}\n'), FILE)
    expect(d.steps[0]).toMatchObject({kind: 'run', run: 'fs write fs1 --node n1 a=1', env: {DLMCTL_TEST_TORN_WRITE: '1'}, label: 'DLMCTL_TEST_TORN_WRITE=1 fs write fs1 --node n1 a=1'})
    expect(d.steps[1]).toMatchObject({kind: 'crash', env: {DLMCTL_KILL_AFTER_ATTACH: 'n3'}})
    await invalidAt(drill('  - run: status\n    env: {DLMCTL_STATE: /tmp/x}\n'), 'DLMCTL_STATE', /env: 'DLMCTL_STATE' is not a testing variable a step may set/)
    await invalidAt(drill('  - check: {consistent: true}\n    env: {DLMCTL_TEST_TORN_WRITE: "1"}\n'), '{DLMCTL_TEST', /a check step sets no env/)
  })
  it('unknown expect key', async () => {
    const text = drill('  - run: status\n    expect:\n      exit: 0\n      jsn: {}\n')
    await invalidAt(text, 'jsn', /unknown key 'jsn' in expect/)
  })
  it('a step with two kinds: at the step', async () => {
    const text = drill('  - run: status\n  - run: node list\n    kill: n2\n')
    await invalidAt(text, 'run: node list', /exactly one of run, kill, recover, check, crash, parallel \(found: run, kill\)/)
  })
  it('a step with no kind', async () => {
    const text = drill('  - run: status\n  - as: x\n')
    await invalidAt(text, 'as: x', /found: none/)
  })
  it('run: dlmctl status — at the command', async () => {
    const text = drill('  - run: status\n  - run: dlmctl status\n')
    await invalidAt(text, 'dlmctl status', /without 'dlmctl'/)
  })
  it('an unknown command', async () => {
    const text = drill('  - run: status\n  - run: lock steal fs1 r --node n1\n')
    await invalidAt(text, 'lock steal', /unknown command 'lock steal'/)
  })
  it('init in a step', async () => {
    const text = drill('  - run: init --nodes n1\n')
    await invalidAt(text, 'init --nodes', /do not run init/)
  })
  it('--state in a step, either spelling', async () => {
    await invalidAt(drill('  - run: status\n  - run: status --state /tmp/x\n'), 'status --state', /no --state/)
    await invalidAt(drill('  - run: lock list --state=/tmp/x\n'), 'lock list', /no --state/)
  })
  it('unterminated quote in a command', async () => {
    await invalidAt(drill('  - run: fs write fs1 --node n1 "a=1\n'), 'fs write', /unterminated "/)
  })
  it('an unknown ${x}: no earlier `as: x`', async () => {
    await invalidAt(drill('  - run: validate fs1 --id ${x.id}\n'), 'validate fs1', /unknown name 'x' in \$\{x\.id\}/)
  })
  it('an unknown ${x} inside expect.json and expect.absent: at that scalar', async () => {
    const text = drill('  - run: lock list\n    as: l\n  - run: lock list\n    expect:\n      json: {locks: [{lockId: "${l.locks.0.lockId}"}, {lockId: "${y.lockId}"}]}\n')
    await invalidAt(text, '"${y.lockId}"', /unknown name 'y'/)
    const text2 = drill('  - run: lock list\n    expect:\n      absent:\n        locks:\n          - node: ${zz}\n')
    await invalidAt(text2, '${zz}', /unknown name 'zz'/)
  })
  it('a bad reference', async () => {
    await invalidAt(drill('  - run: validate fs1 --id ${1x}\n'), 'validate', /bad reference \$\{1x\}/)
  })
  it('a reference to a name defined by a LATER step', async () => {
    const text = drill('  - run: validate fs1 --id ${rec.id}\n  - run: domain attach fs1 --node n1\n    as: rec\n')
    await invalidAt(text, 'validate fs1', /unknown name 'rec'.*no earlier step/)
  })
  it('a reference to its own step (as on the same step)', async () => {
    const text = drill('  - run: lock list\n    as: me\n    expect: {json: {locks: "${me.locks}"}}\n')
    await invalidAt(text, '"${me.locks}"', /unknown name 'me'/)
  })
  it('a parallel sibling\'s name is not visible to the other steps of the block', async () => {
    // SPEC/parse.ts: "In a parallel block, names remembered by one step are not
    // visible to its siblings" — the runner enforces it at run time (RefError,
    // exit 8), so the parser must refuse it before anything runs (exit 2).
    const text = drill('  - parallel:\n      - run: lock request fs1 r --node n1 --mode PR\n        as: p\n      - run: lock release fs1 ${p.lockId}\n')
    await invalidAt(text, 'lock release', /unknown name 'p'/)
  })
  it('bad expect.exit', async () => {
    await invalidAt(drill('  - run: status\n    expect: {exit: nine}\n'), 'nine', /expect.exit must be an exit code/)
    await invalidAt(drill('  - run: status\n    expect:\n      exit: 256\n'), '256', /expect.exit must be an exit code \(0-255\)/)
    await invalidAt(drill('  - run: status\n    expect:\n      exit: -1\n'), '-1', /expect.exit/)
    await invalidAt(drill('  - run: status\n    expect:\n      exit: 1.5\n'), '1.5', /expect.exit/)
  })
  it('expect that is not a mapping', async () => {
    await invalidAt(drill('  - run: status\n    expect: 3\n'), '3\n', /expect is a mapping/)
  })
  it('unknown node in kill', async () => {
    await invalidAt(drill('  - run: status\n  - kill: n9\n'), 'n9', /unknown node 'n9' \(cluster.nodes: n1, n2, n3\)/)
  })
  it('an unknown crash point', async () => {
    const text = drill('  - crash:\n      run: lock list\n      at: commit.middle\n')
    await invalidAt(text, 'commit.middle', /unknown crash point 'commit.middle'/)
    await invalidAt(drill('  - crash:\n      run: lock list\n      at: commit.apply#0\n'), 'commit.apply#0', /unknown crash point/)
  })
  it('crash: neither or both of at/after; a bad delay; an unknown key; as', async () => {
    await invalidAt(drill('  - crash:\n      run: lock list\n'), 'run: lock list', /crash needs one of/)
    await invalidAt(drill('  - crash:\n      run: lock list\n      at: commit.apply\n      after: 1s\n'), 'run: lock list', /crash needs one of/)
    await invalidAt(drill('  - crash:\n      run: lock list\n      after: soon\n'), 'soon', /bad crash.after 'soon'/)
    await invalidAt(drill('  - crash:\n      run: lock list\n      when: 1s\n'), 'when', /unknown key 'when' in crash/)
    await invalidAt(drill('  - crash: {run: lock list, after: 1s}\n    as: c\n'), 'c\n', /no result to remember/)
  })
  it('crash without run: at the crash mapping', async () => {
    await invalidAt(drill('  - crash:\n      at: commit.apply\n'), 'at: commit.apply', /crash.run must be a non-empty string/)
  })
  it('a crash inside parallel', async () => {
    const text = drill('  - parallel:\n      - run: status\n      - crash: {run: lock list, at: commit.apply}\n')
    await invalidAt(text, 'crash:', /crash steps cannot run in parallel/)
  })
  it('an as on a parallel block', async () => {
    const text = drill('  - parallel:\n      - run: status\n      - run: node list\n    as: both\n')
    await invalidAt(text, 'both', /with 'as' on each of them/)
  })
  it('parallel: nested, fewer than two steps', async () => {
    const nested = drill('  - parallel:\n      - run: status\n      - parallel:\n          - run: status\n          - run: status\n')
    await invalidAt(nested, 'parallel:', /cannot nest/, 2)
    await invalidAt(drill('  - parallel:\n      - run: status\n'), '- run: status', /at least two steps/)
  })
  it('expect on a parallel block or a crash step is refused, not silently ignored', async () => {
    // parse.ts accepts `expect` on every step kind (stepKeys) but only run/kill/recover
    // use it: on a parallel block or a crash step it is dropped and never checked.
    await invalidAt(drill('  - parallel:\n      - run: status\n      - run: node list\n    expect: {exit: 3}\n'), 'expect', /expect/)
    await invalidAt(drill('  - crash: {run: lock list, after: 1s}\n    expect: {exit: 3}\n'), 'expect', /expect/)
  })
  it('check: expect, as, unknown key, nothing to check, wrong shapes', async () => {
    await invalidAt(drill('  - check: {consistent: true}\n    expect: {exit: 0}\n'), '{exit', /its own expectation/)
    await invalidAt(drill('  - check:\n      consistent: true\n      nodse: {n1: up}\n'), 'nodse', /unknown key 'nodse' in check/)
    await invalidAt(drill('  - check: {}\n'), '{}', /names nothing to check/)
    await invalidAt(drill('  - check:\n      consistent: yes please\n'), 'consistent', /check.consistent is true or false/)
    await invalidAt(drill('  - check:\n      locks: {node: n1}\n'), 'locks', /check.locks is a list/)
    await invalidAt(drill('  - check:\n      nodes: [n1]\n'), 'nodes', /check.nodes is a mapping/, 2)
    await invalidAt(drill('  - check:\n      metadata: {fs1: [a]}\n'), 'metadata', /check.metadata.fs1 is a mapping/)
  })
  it('check: a mistake in its second key is reported there, not at the first key; as at the as', async () => {
    // compileCheck reports shape errors at the check mapping (its first key) and
    // an 'as' at the check value instead of at the offending node.
    await invalidAt(drill('  - check:\n      consistent: true\n      locks: {node: n1}\n'), 'locks', /check.locks is a list/)
    await invalidAt(drill('  - check:\n      consistent: true\n      nodes: [n1]\n'), 'nodes', /check.nodes is a mapping/, 2)
    await invalidAt(drill('  - check: {consistent: true}\n    as: c\n'), 'c\n', /no result to remember/)
  })
  it('an unknown ${x} in a check', async () => {
    await invalidAt(drill('  - check:\n      locks: [{lockId: "${q.lockId}"}]\n'), '"${q.lockId}"', /unknown name 'q'/)
  })
  it('as that is not a name', async () => {
    await invalidAt(drill('  - run: status\n    as: a.b\n'), 'a.b', /must be a name/)
  })
  it('fs mapping naming an unknown node: at that node', async () => {
    const text = 'name: x\ncluster:\n  nodes: [n1, n2]\n  fs: {fs1: [n1, n2], fs2: [n2, n7]}\nsteps: [{run: status}]\n'
    await invalidAt(text, 'n7', /unknown node 'n7' \(cluster.nodes: n1, n2\)/)
  })
  it('fs mapping to something that is not a list', async () => {
    const text = 'name: x\ncluster:\n  nodes: [n1, n2]\n  fs: {fs1: n1}\nsteps: [{run: status}]\n'
    await invalidAt(text, 'n1}', /maps to the list of nodes/)
  })
  it('cluster: missing, nodes missing or empty, lvbSize not an integer, fenceCmd not a list, bad fenceTimeout', async () => {
    await invalidAt('name: x\nsteps: [{run: status}]\n', 'name', /missing cluster/)
    await invalidAt('name: x\ncluster:\n  fs: [fs1]\nsteps: [{run: status}]\n', 'fs:', /cluster.nodes must be a list/)
    await invalidAt('name: x\ncluster:\n  nodes: []\nsteps: [{run: status}]\n', '[]', /cluster.nodes must be a list/)
    await invalidAt('name: x\ncluster:\n  nodes: [n1]\n  lvbSize: big\nsteps: [{run: status}]\n', 'big', /lvbSize must be an integer/)
    await invalidAt('name: x\ncluster:\n  nodes: [n1]\n  fenceCmd: /bin/true\nsteps: [{run: status}]\n', '/bin/true', /argument vector/)
    await invalidAt('name: x\ncluster:\n  nodes: [n1]\n  fenceTimeout: forever\nsteps: [{run: status}]\n', 'forever', /bad fenceTimeout/)
  })
  it('node and file-system names, and an lvbSize, that init would refuse are drill errors, found before anything runs', async () => {
    // SPEC §1: node names match ^[a-z][a-z0-9-]{0,31}$. Today the parser takes any
    // string and the drill fails at step 0 (init) with exit 8 instead of 2.
    // In the words of the CLI (checkName).
    await invalidAt('name: x\ncluster:\n  nodes: [n1, Node_2]\nsteps: [{run: status}]\n', 'Node_2', /bad node name 'Node_2': use 1-32 lowercase letters, digits or '-', starting with a letter$/)
    await invalidAt('name: x\ncluster:\n  nodes: [n1]\n  fs: [fs1, "../up"]\nsteps: [{run: status}]\n', '"../up"', /bad file system name '\.\.\/up': use 1-32 /)
    await invalidAt('name: x\ncluster:\n  nodes: [n1]\n  fs: {"F": [n1]}\nsteps: [{run: status}]\n', '"F"', /bad file system name 'F': use 1-32 /)
    // init accepts --lvb-size 1..1024 only.
    await invalidAt('name: x\ncluster:\n  nodes: [n1]\n  lvbSize: 0\nsteps: [{run: status}]\n', '0\n', /lvbSize/)
  })
  it('the whole file is validated before anything runs: a mistake in the last step is found', async () => {
    const steps = Array.from({length: 30}, (_, i) => `  - run: lock request fs1 r/${i} --node n1 --mode PR\n`).join('')
    const text = drill(steps + '  - kill: n4\n')
    await invalidAt(text, 'n4', /unknown node 'n4'/)
  })
})
