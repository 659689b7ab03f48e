// Help: every command's --help shows usage and an EXAMPLES section with runnable
// lines, -h is the same help, and help never touches a state directory. Unknown
// names are one-line errors that list the known ones.
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {ROOT, baseEnv, inOneProcess, tempDirsPerFile, copyFixture, treeFiles, pMap, run, tempDir} from './helpers.js'

tempDirsPerFile()

const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {id: string; hidden?: boolean; examples?: unknown[]}>}
const ids = Object.values(manifest.commands)
  .filter((c) => !c.hidden)
  .map((c) => c.id)
  .sort()

describe('--help of every command', () => {
  const help = new Map<string, {exitCode: number; stdout: string; stderr: string}>()
  let cwd: string
  beforeAll(async () => {
    // An empty working directory: help must not create ./dlm-cluster (the default --state) or anything else.
    cwd = tempDir('help')
    // Every command's help in one process of the built CLI (help text is what is checked; -h below spawns bin/run.js).
    const answers = await inOneProcess(ids.map((id) => ({args: [...id.split(':'), '--help'], env: baseEnv(undefined, {NO_COLOR: '1'}), cwd})))
    ids.forEach((id, i) => help.set(id, {exitCode: answers[i].exit, stdout: answers[i].stdout, stderr: answers[i].stderr}))
  })

  it('the manifest lists the commands (at least the spec’s)', () => {
    for (const id of ['status', 'init', 'recover', 'replay', 'validate', 'node:mark-dead', 'domain:detach', 'lock:blockers', 'lock:explain', 'drill:run']) expect(ids).toContain(id)
  })

  for (const id of ids) {
    const words = id.replaceAll(':', ' ')
    it(`dlmctl ${words} --help: usage and EXAMPLES`, () => {
      const r = help.get(id)!
      expect(r.exitCode, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      expect(r.stdout).toContain(`$ dlmctl ${words}`)
      const ex = r.stdout.split(/^EXAMPLES$/m)[1]
      expect(ex, `no EXAMPLES section in dlmctl ${words} --help`).toBeDefined()
      const lines = ex!.split(/\n(?=[A-Z][A-Z ]+\n)/)[0].split('\n').filter((l) => l.trim().startsWith('$ '))
      expect(lines.length).toBeGreaterThan(0)
      for (const l of lines) expect(l.trim()).toMatch(new RegExp(`^\\$ dlmctl ${words.replaceAll('-', '\\-')}\\b`))
      expect(r.stdout).not.toMatch(/\x1b/)
    })
  }

  it('-h is the same help as --help (a topic command, a top-level command, with arguments given)', async () => {
    const cases = [
      ['node:mark-dead', ['node', 'mark-dead', '-h']],
      ['status', ['status', '-h']],
      ['lock:explain', ['lock', 'explain', 'fs1', '12', '-h']],
    ] as const
    const out = await pMap([...cases], 3, ([, args]) => run(undefined, [...args], {cwd}))
    cases.forEach(([id, args], i) => {
      expect(out[i].exitCode, args.join(' ')).toBe(0)
      expect(out[i].stdout).toContain('EXAMPLES')
      expect(out[i].stdout).toBe(help.get(id)!.stdout)
    })
  })

  it('nothing was created in the working directory', () => {
    expect(readdirSync(cwd)).toEqual([])
  })
})

describe('unknown names', () => {
  let s: string
  let before: Record<string, string>
  beforeAll(() => {
    s = copyFixture('chain')
    before = treeFiles(s)
  })

  const UNKNOWN_NODE = [
    ['node', 'mark-dead', 'n9', '--yes'],
    ['lock', 'request', 'fs1', 'meta/z', '--node', 'n9', '--mode', 'PR'],
    ['journal', 'show', 'fs1', '--node', 'n9'],
    ['domain', 'attach', 'fs1', '--node', 'n9'],
  ]
  it('an unknown node: exit 2, one line, the known nodes listed, nothing changed', async () => {
    const rs = await pMap(UNKNOWN_NODE, 4, (a) => run(s, a))
    rs.forEach((r, i) => {
      const cmd = UNKNOWN_NODE[i].join(' ')
      expect(r.exitCode, cmd).toBe(2)
      expect(r.stdout, cmd).toBe('')
      expect(r.stderr, cmd).toBe("dlmctl: unknown node 'n9' (nodes: n1, n2, n3)\n")
    })
    const j = await run(s, ['node', 'mark-dead', 'n9', '--yes', '--json'])
    expect(j.exitCode).toBe(2)
    expect(JSON.parse(j.stdout).error).toMatchObject({code: 'UNKNOWN_NODE'})
    expect(JSON.parse(j.stdout).error.message).toContain('n1, n2, n3')
    expect(treeFiles(s)).toEqual(before)
  })

  it('an unknown file system: exit 2, one line, the known ones listed', async () => {
    const r = await run(s, ['lock', 'list', 'fs9'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toBe("dlmctl: unknown file system 'fs9' (file systems: fs1)\n")
  })
})
