// A damaged state file (truncated, not JSON, JSON of the wrong shape) gives exit 4
// naming the file, never a stack trace and never a write over it (SPEC §3
// "Validated on read"). Every command that reads the file must notice; commands
// that do not read it (status never reads lock buckets, lock list never reads the
// lock index, only events/export/check read the event logs) must at least leave
// it alone.
//
// Here through the commands as the CLI runs them (in this process: helpers.ts
// commandsInProcess), once per file with one kind of damage (truncated): the
// exit code, the one-line message, the JSON error and that nothing is written;
// the binary's own exit 4 once (check on a damaged directory, a process).
// Every kind of damage against every command that reads the file is checked
// against the core by test/unit/corrupt-reads.test.ts (same table: test/damage.ts).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {KINDS, TARGETS as TABLE, damage, type Reader} from '../damage.js'
import {commandsInProcess, copyFixture, dlmctl, dlmctlWith, stackLines, treeFiles, type RunResult} from './helpers.js'

commandsInProcess()

const STATUS = ['status']
const LIST = ['lock', 'list']
const REQUEST = ['lock', 'request', 'fs1', 'x', '--node', 'n1', '--mode', 'NL']
const MARK_DEAD = ['node', 'mark-dead', 'n3', '--yes']
const CHECK = ['check']
const EVENTS = ['events']
const EXPORT = ['export']

const ARGS: Record<Reader, string[]> = {
  status: STATUS,
  list: LIST,
  request: REQUEST,
  'request-deadman': ['lock', 'request', 'fs1', 'deadman/n2', '--node', 'n1', '--mode', 'NL'],
  'mark-dead': MARK_DEAD,
  check: CHECK,
  events: EVENTS,
  export: EXPORT,
}

interface Target {
  file: string
  /** Commands that read the file: each must exit 4 naming it. */
  readers: string[][]
  /** Read-only commands that do not read it: they must leave it (and everything) alone. */
  others: string[][]
}

const TARGETS: Target[] = TABLE.map((t) => ({file: t.file, readers: t.readers.map((r) => ARGS[r]), others: t.others.map((r) => ARGS[r])}))

function namesFile(r: RunResult, file: string): void {
  expect(stackLines(r.stderr)).toEqual([])
  expect(r.stdout + r.stderr).toContain(file)
}

describe.each(TARGETS)('a damaged $file', (t) => {
  test.each(['truncated'] as const)('%s: readers exit 4 naming it, nothing is written', async (kind) => {
    const s = copyFixture('basic')
    damage(join(s, t.file), kind)
    const damaged = readFileSync(join(s, t.file))
    const before = treeFiles(s)

    const mutating = t.readers.find((a) => a === REQUEST || a[1] === 'request')
    const runs = await Promise.all([...t.readers, ...t.others].map((args) => dlmctl(s, ...args)))
    // The same error as JSON (once per file: the JSON path does not depend on the damage).
    const json = mutating && kind === 'truncated' ? await dlmctl(s, ...mutating, '--json') : undefined

    t.readers.forEach((args, i) => {
      const r = runs[i]
      expect({cmd: args.join(' '), exit: r.exitCode}).toEqual({cmd: args.join(' '), exit: 4})
      namesFile(r, t.file)
      if (args !== CHECK) {
        // One line: "dlmctl: state file <file> is corrupt: ..." (a JSON.parse message may quote the bad text).
        expect(r.stderr).toMatch(new RegExp(`^dlmctl: state file ${t.file.replace(/[.]/g, '\\.')}(:\\d+)? is corrupt: `))
      }
    })
    t.others.forEach((args, j) => {
      const r = runs[t.readers.length + j]
      expect(stackLines(r.stderr)).toEqual([])
      if (r.exitCode !== 0) {
        expect(r.exitCode).toBe(4)
        namesFile(r, t.file)
      }
    })
    if (json) {
      expect(json.exitCode).toBe(4)
      expect(json.stderr).toBe('')
      expect(json.json.error).toMatchObject({code: 'STATE_CORRUPT'})
      expect(json.json.error.file).toMatch(new RegExp(`^${t.file.replace(/[.]/g, '\\.')}(:\\d+)?$`))
    }
    // Nothing overwritten, nothing created, nothing removed.
    expect(readFileSync(join(s, t.file)).equals(damaged)).toBe(true)
    expect(treeFiles(s)).toEqual(before)
  })
})

describe('a damaged event log and commands that append to it', () => {
  // Commands that change state append their events without reading the log. They
  // must not make the damage worse: the old bytes stay as they were and every event
  // they add is a whole line of its own (else the event is lost in the torn line).
  test.each(KINDS)('%s events.jsonl: mark-dead refuses, or appends its events on lines of their own', async (kind) => {
    const s = copyFixture('basic')
    damage(join(s, 'events.jsonl'), kind)
    const old = readFileSync(join(s, 'events.jsonl'), 'utf8')
    const before = treeFiles(s)
    const r = await dlmctl(s, ...MARK_DEAD)
    expect(stackLines(r.stderr)).toEqual([])
    const now = readFileSync(join(s, 'events.jsonl'), 'utf8')
    if (r.exitCode === 4) {
      namesFile(r, 'events.jsonl')
      expect(treeFiles(s)).toEqual(before)
    } else {
      expect(r.exitCode).toBe(0)
      expect(now.startsWith(old), 'the damaged bytes are kept as they were').toBe(true)
      const added = now.slice(old.length)
      expect(added.length, 'mark-dead logs its events').toBeGreaterThan(0)
      expect(old.endsWith('\n') || added.startsWith('\n'), `the first added event starts a line of its own; the log now ends:\n…${now.slice(-400)}`).toBe(true)
      const lines = added.split('\n').filter(Boolean)
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow()
    }
  })

  test('a lock request, which logs nothing, leaves a damaged events.jsonl alone', async () => {
    const s = copyFixture('basic')
    damage(join(s, 'events.jsonl'), 'truncated')
    const old = readFileSync(join(s, 'events.jsonl'))
    const r = await dlmctl(s, ...REQUEST, '--json')
    expect(stackLines(r.stderr)).toEqual([])
    expect([0, 4]).toContain(r.exitCode)
    expect(readFileSync(join(s, 'events.jsonl')).equals(old)).toBe(true)
  })
})

describe('check on a damaged directory', () => {
  test('lists every damaged file (exit 4), human and --json', async () => {
    const s = copyFixture('seed-mid-recovery')
    damage(join(s, 'domains/fs1/res/ad.json'), 'not JSON')
    damage(join(s, 'domains/fs2/locks/0.json'), 'wrong shape')
    damage(join(s, 'domains/fs1/events.jsonl'), 'truncated')
    const before = treeFiles(s)
    const [h, j] = await Promise.all([dlmctlWith({process: true}, s, 'check'), dlmctl(s, 'check', '--json')])
    expect(h.exitCode).toBe(4)
    expect(j.exitCode).toBe(4)
    expect(stackLines(h.stderr + j.stderr)).toEqual([])
    for (const f of ['domains/fs1/res/ad.json', 'domains/fs2/locks/0.json', 'domains/fs1/events.jsonl']) {
      expect(h.stdout).toContain(f)
      expect(j.json.problems.some((p: {file: string}) => p.file.startsWith(f))).toBe(true)
    }
    expect(j.json.ok).toBe(false)
    expect(treeFiles(s)).toEqual(before)
  })
})
