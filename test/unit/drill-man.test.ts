// man/dlmctl-drill.5 against the code: its examples are valid drills (the second
// is the bundled seed-second-death verbatim), its lists of keys, commands and
// crash points are the parser's, and options are written \-\- in the roff.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {drillCommands, DrillInvalid, parseDrill} from '../../src/drill/parse.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MAN = readFileSync(join(ROOT, 'man/dlmctl-drill.5'), 'utf8')

/** roff source of an .EX block → the text it shows. */
const unroff = (s: string) => s.replaceAll('\\-', '-').replaceAll('\\(aq', "'").replaceAll('\\(dq', '"').replaceAll('\\e', '\\').replaceAll('\\&', '')

/** The .EX … .EE blocks of a section. */
function examples(section: string): string[] {
  const start = MAN.indexOf(`\n.SH ${section}\n`)
  expect(start, `section ${section}`).toBeGreaterThan(0)
  const end = MAN.indexOf('\n.SH ', start + 1)
  const body = MAN.slice(start, end < 0 ? undefined : end)
  return [...body.matchAll(/\n\.EX\n([\s\S]*?)\n\.EE/g)].map((m) => unroff(m[1]) + '\n')
}

/** The text of a section with roff requests and font escapes removed (roughly what a reader sees). */
function section(name: string): string {
  const start = MAN.indexOf(`\n.SH ${name}\n`)
  const end = MAN.indexOf('\n.SH ', start + 1)
  return unroff(MAN.slice(start, end < 0 ? undefined : end)).replace(/\\f[BIRP]/g, '')
}

describe('man dlmctl-drill(5)', () => {
  const drills = examples('EXAMPLES').filter((e) => e.startsWith('name:'))

  it('has two complete drills in EXAMPLES, and both are valid drills', async () => {
    expect(drills).toHaveLength(2)
    const [small, story] = await Promise.all(drills.map((d, i) => parseDrill(d, `man-example-${i + 1}.yaml`)))
    expect(small.name).toBe('first-drill')
    expect(new Set(small.steps.map((s) => s.kind))).toEqual(new Set(['run', 'parallel', 'crash']))
    expect(story.name).toBe('seed-second-death')
  })

  it("the second example is the bundled seed-second-death drill, verbatim", () => {
    expect(drills[1]).toBe(readFileSync(join(ROOT, 'fixtures/drills/seed-second-death.yaml'), 'utf8'))
  })

  it('lists exactly the commands a drill may run', () => {
    const text = section('STEPS')
    const listed = text.slice(text.indexOf('The command must be one of:'), text.indexOf('is refused'))
    const allowed = drillCommands()
    const found = allowed.filter((c) => c !== 'init' && new RegExp(`\\.BR? ${c.replace(' ', ' ')}\\b`).test(listed.replaceAll('"', '')))
    expect(found.sort()).toEqual(allowed.filter((c) => c !== 'init').sort())
    expect(allowed).toHaveLength(28) // every command but completion, metrics and the three drill commands
  })

  it('names every top-level, cluster, step, expect and check key', () => {
    const body = unroff(MAN)
    for (const k of ['name', 'description', 'clock', 'cluster', 'steps', 'nodes', 'fs', 'lvbSize', 'fenceCmd', 'fenceTimeout', 'run', 'as', 'expect', 'env', 'kill', 'recover', 'check', 'crash', 'parallel', 'exit', 'json', 'absent', 'domains', 'locks', 'noLocks', 'metadata', 'consistent', 'at', 'after']) {
      expect(body, k).toMatch(new RegExp(`\\.(TP\\n\\.)?B[IR]? ${k}\\b|\\b${k}:`))
    }
  })

  it('the crash points it documents are the ones the parser accepts, and only those', async () => {
    const text = section('STEPS')
    const points = [...new Set([...text.matchAll(/commit\.[a-z-]+(# ?N)?/g)].map((m) => m[0].replace(' ', '')))].sort()
    expect(points).toEqual(['commit.after-apply', 'commit.after-record', 'commit.apply', 'commit.apply#N', 'commit.before-record'])
    const head = 'name: x\ncluster: {nodes: [n1]}\nsteps:\n  - crash:\n      run: lock list\n      at: '
    for (const p of points) await expect(parseDrill(head + p.replace('#N', '#3') + '\n', 'x.yaml')).resolves.toBeDefined()
    await expect(parseDrill(head + 'commit.after\n', 'x.yaml')).rejects.toBeInstanceOf(DrillInvalid)
  })

  it('writes options with escaped hyphens (\\-\\-), never a bare --', () => {
    const bare = MAN.split('\n').filter((l) => /(^|[^\\])--/.test(l.replaceAll('\\-\\-', '')))
    expect(bare).toEqual([])
    expect(MAN).toContain('\\-\\-junit')
    expect(MAN).toContain('\\-\\-fence\\-timeout')
  })

  it('documents the testing variable that steers drill fuzz (DLMCTL_TEST_FUZZ_CRASH_OPS), as dlmctl.1 does', () => {
    expect(section('TESTING AIDS')).toMatch(/^\.BI DLMCTL_TEST_FUZZ_CRASH_OPS= list$/m)
    expect(readFileSync(join(ROOT, 'man/dlmctl.1'), 'utf8')).toMatch(/^\.B DLMCTL_TEST_FUZZ_CRASH_OPS$/m)
  })

  it('is a man(7) page in section 5 with the sections an operator looks for', () => {
    expect(MAN.startsWith('.TH DLMCTL\\-DRILL 5 ')).toBe(true)
    for (const s of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'STEPS', 'EXPECTATIONS', 'REFERENCES', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']) expect(MAN, s).toContain(`\n.SH ${s}\n`)
    expect(section('SEE ALSO')).toMatch(/\.BR dlmctl \(1\)/)
    expect(section('EXIT STATUS')).toMatch(/\.B 0\n[\s\S]*\.B 2\n[\s\S]*\.B 8\n/)
  })
})
