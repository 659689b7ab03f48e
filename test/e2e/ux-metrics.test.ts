// dlmctl metrics: every line parsed against the Prometheus text exposition
// format's grammar (version 0.0.4), and the numbers against the state's own answers.
import {beforeAll, describe, expect, it} from 'vitest'
import {commandsInProcess, tempDirsPerFile, copyFixture, treeFiles, json, run} from './helpers.js'

tempDirsPerFile()
// The grammar and the numbers are rules: checked in this process (the same command classes).
commandsInProcess()

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*'
const LVALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"'
const VALUE = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|NaN|[+-]Inf)'
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL}=${LVALUE})(?:,${LABEL}=${LVALUE})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`)
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`)
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`)

interface Parsed {
  help: Map<string, string>
  type: Map<string, string>
  samples: {name: string; labels: Record<string, string>; value: number}[]
}

/** Parse the exposition text; throws naming the first line that breaks the grammar or its rules. */
function parseExposition(text: string): Parsed {
  const p: Parsed = {help: new Map(), type: new Map(), samples: []}
  expect(text.endsWith('\n'), 'the text ends with a newline').toBe(true)
  const seen = new Set<string>()
  let current: string | undefined
  const done = new Set<string>()
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const at = `line ${i + 1}: ${JSON.stringify(line)}`
      let m: RegExpExecArray | null
      if ((m = HELP.exec(line))) {
        expect(p.help.has(m[1]), `${at}: a second HELP`).toBe(false)
        p.help.set(m[1], m[2])
      } else if ((m = TYPE.exec(line))) {
        expect(p.type.has(m[1]), `${at}: a second TYPE`).toBe(false)
        expect(p.samples.some((s) => s.name === m![1]), `${at}: TYPE after samples`).toBe(false)
        p.type.set(m[1], m[2])
      } else if ((m = SAMPLE.exec(line))) {
        const labels: Record<string, string> = {}
        for (const l of (m[2] ?? '').matchAll(new RegExp(`(${LABEL})=(${LVALUE})`, 'g'))) {
          expect(l[1] in labels, `${at}: label ${l[1]} twice`).toBe(false)
          labels[l[1]] = JSON.parse(l[2])
        }
        // All samples of a family are together (a family does not come back later).
        if (current !== m[1]) {
          expect(done.has(m[1]), `${at}: family ${m[1]} interrupted`).toBe(false)
          if (current) done.add(current)
          current = m[1]
        }
        const key = `${m[1]}${JSON.stringify(Object.entries(labels).sort())}`
        expect(seen.has(key), `${at}: the same series twice`).toBe(false)
        seen.add(key)
        p.samples.push({name: m[1], labels, value: Number(m[3])})
      } else throw new Error(`${at}: not a HELP, TYPE or sample line of the text format`)
    })
  for (const s of p.samples) {
    expect(p.help.has(s.name), `${s.name} has no HELP`).toBe(true)
    expect(p.type.get(s.name), `${s.name} has no TYPE`).toBe('gauge')
  }
  return p
}

const value = (p: Parsed, name: string, labels: Record<string, string>) => {
  const m = p.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return m.reduce((a, s) => a + s.value, 0)
}

describe('dlmctl metrics', () => {
  for (const fixture of ['chain', 'recovering', 'seed-mid-recovery', 'basic']) {
    describe(`on fixture ${fixture}`, () => {
      let state: string
      let before: Record<string, string>
      let text: string
      let p: Parsed
      let locks: any[]
      let status: any
      beforeAll(async () => {
        state = copyFixture(fixture)
        before = treeFiles(state)
        const r = await run(state, ['metrics'])
        expect(r.exitCode, r.stderr).toBe(0)
        expect(r.stderr).toBe('')
        text = r.stdout
        ;[{locks}, status] = await Promise.all([json(state, ['lock', 'list']), json(state, ['status'])])
      })

      it('every line follows the text format grammar; every family has HELP and TYPE gauge; no series twice', () => {
        p = parseExposition(text)
        expect(new Set(p.samples.map((s) => s.name))).toEqual(
          new Set([
            'dlm_membership_generation',
            'dlm_domain_recovering',
            'dlm_domain_epoch',
            'dlm_locks',
            'dlm_locks_invalid',
            'dlm_node_state',
            'dlm_node_heartbeat_age_seconds',
            ...(status.domains.some((d: any) => d.deadNodes.length) ? ['dlm_journal_unreplayed_records'] : []),
          ]),
        )
      })

      it('agrees with status and lock list --json', () => {
        p ??= parseExposition(text)
        expect(value(p, 'dlm_membership_generation', {})).toBe(status.generation)
        for (const d of status.domains) {
          expect(value(p, 'dlm_domain_recovering', {domain: d.name})).toBe(d.state === 'recovering' ? 1 : 0)
          expect(value(p, 'dlm_domain_epoch', {domain: d.name})).toBe(d.epoch)
          const mine = locks.filter((l) => l.domain === d.name)
          expect(value(p, 'dlm_locks', {domain: d.name})).toBe(mine.length)
          for (const st of ['granted', 'converting', 'waiting']) expect(value(p, 'dlm_locks', {domain: d.name, status: st}), st).toBe(mine.filter((l) => l.status === st).length)
          for (const mode of ['NL', 'CR', 'CW', 'PR', 'PW', 'EX']) expect(value(p, 'dlm_locks', {domain: d.name, mode}), mode).toBe(mine.filter((l) => l.mode === mode).length)
          for (const reason of ['DOMAIN_RECOVERING', 'ORPHANED', 'VALNOTVALID'])
            expect(value(p, 'dlm_locks_invalid', {domain: d.name, reason}), reason).toBe(mine.filter((l) => l.invalidReasons.includes(reason)).length)
          for (const [node, n] of Object.entries(d.unreplayed)) expect(value(p, 'dlm_journal_unreplayed_records', {fs: d.name, node})).toBe(n)
        }
        for (const n of status.nodes) {
          expect(value(p, 'dlm_node_state', {node: n.name})).toBe(1)
          expect(value(p, 'dlm_node_state', {node: n.name, state: n.state})).toBe(1)
          expect(p.samples.some((s) => s.name === 'dlm_node_heartbeat_age_seconds' && s.labels.node === n.name && s.value >= 0)).toBe(true)
        }
      })

      it('changes nothing in the state directory', () => {
        expect(treeFiles(state)).toEqual(before)
      })
    })
  }

  it('the heartbeat age is now minus the last heartbeat (DLMCTL_CLOCK fixes now)', async () => {
    const state = copyFixture('basic')
    const r = await run(state, ['metrics'], {env: {DLMCTL_CLOCK: '2026-01-01T00:01:30.5Z'}})
    const p = parseExposition(r.stdout)
    const {nodes} = await json(state, ['node', 'list'])
    for (const n of nodes) expect(value(p, 'dlm_node_heartbeat_age_seconds', {node: n.name})).toBeCloseTo((Date.parse('2026-01-01T00:01:30.5Z') - Date.parse(n.heartbeat)) / 1000, 3)
  })

  it('the grammar check itself rejects broken lines', () => {
    expect(() => parseExposition('dlm_x{a="b} 1\n')).toThrow()
    expect(() => parseExposition('# TYPE dlm_x gauge\ndlm_x 1 2 3\n')).toThrow()
    expect(() => parseExposition('# HELP dlm_x h\n# TYPE dlm_x gauge\ndlm_x 1\ndlm_x 2\n')).toThrow(/twice/)
    expect(() => parseExposition('# TYPE dlm_x gauge\ndlm_x 1\n')).toThrow(/HELP/)
  })
})
