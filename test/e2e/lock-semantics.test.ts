// Issue 9's CLI contract, end to end with the built binary: LVB_NOT_WRITER (exit 5,
// JSON error with writers), QUECVT_NOT_UP, convert --cancel of a waiting request,
// validate's revalidated, lock blockers --cycles (human and JSON) and lock explain
// of a lock in a cycle, read-only. State is set up through the CLI on one
// temporary cluster per describe, with the clock fixed.
import {beforeAll, describe, expect, it} from 'vitest'
import {commandsInProcess, copyState, tempDirsPerFile, treeFiles, json, run, tempDir} from './helpers.js'

tempDirsPerFile()
// The rules run here (the same command classes, no spawn each); the bundle as a process is the ux-* files' job.
commandsInProcess()

// One `dlmctl init` per node list; each caller gets its own copy of it.
const inited = new Map<string, Promise<string>>()
async function init(nodes = 'n1,n2,n3'): Promise<string> {
  let made = inited.get(nodes)
  if (!made) {
    const s = tempDir('lvb')
    made = json(s, ['init', '--nodes', nodes, '--fs', 'fs1', '--lvb-size', '4']).then(() => s)
    inited.set(nodes, made)
  }
  return copyState(await made)
}
const lock = async (s: string, ...args: string[]) => (await json(s, ['lock', ...args])).lockId as number

describe('value blocks on the command line', () => {
  let s: string
  let pw: number
  beforeAll(async () => {
    s = await init()
    pw = await lock(s, 'request', 'fs1', 'r', '--node', 'n1', '--mode', 'PW')
  })

  it('lock request --lvb: exit 5 LVB_NOT_WRITER naming the writer, nothing written', async () => {
    const r = await run(s, ['lock', 'request', 'fs1', 'r', '--node', 'n2', '--mode', 'EX', '--lvb', 'beef'])
    expect(r.exitCode).toBe(5)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(
      `dlmctl: LVB_NOT_WRITER: a new EX request only reads the value block of r: only a granted PW or EX holder writes the value block, as it releases, converts down or converts to the same mode; it may be written by lock ${pw} (n1, PW)\n`,
    )
    const j = await run(s, ['lock', 'request', 'fs1', 'r', '--node', 'n2', '--mode', 'EX', '--lvb', 'beef', '--json'])
    expect(j.exitCode).toBe(5)
    expect(JSON.parse(j.stdout).error).toMatchObject({code: 'LVB_NOT_WRITER', resource: 'r', writers: [{lockId: pw, node: 'n1', mode: 'PW'}]})
    expect((await json(s, ['lock', 'list', 'fs1', '--resource', 'r'])).locks).toHaveLength(1)
  })

  it('lock convert PW→EX --lvb: exit 5 (an up-conversion only reads); PW→PW --lvb writes', async () => {
    const r = await run(s, ['lock', 'convert', 'fs1', String(pw), '--mode', 'EX', '--lvb', 'aa'])
    expect(r.exitCode).toBe(5)
    expect(r.stderr).toMatch(/^dlmctl: LVB_NOT_WRITER: lock \d+ converting PW→EX is an up-conversion/)
    expect(await json(s, ['lock', 'convert', 'fs1', String(pw), '--mode', 'PW', '--lvb', 'aa'])).toMatchObject({lvb: 'aa000000', valid: true})
  })

  it('lock convert --quecvt of a down-conversion: exit 5 QUECVT_NOT_UP', async () => {
    const r = await run(s, ['lock', 'convert', 'fs1', String(pw), '--mode', 'NL', '--quecvt', '--json'])
    expect(r.exitCode).toBe(5)
    expect(JSON.parse(r.stdout).error.code).toBe('QUECVT_NOT_UP')
  })
})

describe('convert --cancel of a waiting request, --quecvt', () => {
  it('withdraws the request, says so, and grants what waited behind it', async () => {
    const s = await init()
    await lock(s, 'request', 'fs1', 'r', '--node', 'n1', '--mode', 'PR')
    const w = await lock(s, 'request', 'fs1', 'r', '--node', 'n2', '--mode', 'EX')
    const behind = await lock(s, 'request', 'fs1', 'r', '--node', 'n3', '--mode', 'PR')
    const human = await run(s, ['lock', 'convert', 'fs1', String(w), '--cancel'])
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toBe(`lock ${w} on fs1:r (n2, EX): request withdrawn (as lock release: the lock is gone); granted: ${behind}\n`)
    const locks = (await json(s, ['lock', 'list', 'fs1', '--resource', 'r'])).locks
    expect(locks.map((l: any) => [l.lockId, l.status])).toEqual([
      [w - 1, 'granted'],
      [behind, 'granted'],
    ])
  })

  it('--quecvt: a grantable up-conversion waits behind the queued one', async () => {
    const s = await init()
    await lock(s, 'request', 'fs1', 'r', '--node', 'n1', '--mode', 'PR')
    const a = await lock(s, 'request', 'fs1', 'r', '--node', 'n2', '--mode', 'NL')
    const b = await lock(s, 'request', 'fs1', 'r', '--node', 'n3', '--mode', 'NL')
    await json(s, ['lock', 'convert', 'fs1', String(a), '--mode', 'EX'])
    expect(await json(s, ['lock', 'convert', 'fs1', String(b), '--mode', 'CR', '--quecvt'])).toMatchObject({status: 'converting', requestedMode: 'CR'})
    const queue = (await json(s, ['lock', 'list', 'fs1', '--resource', 'r', '--waiting'])).locks.map((l: any) => l.lockId)
    expect(queue).toEqual([a, b])
  })
})

describe('validate zeroes the value blocks it makes valid again', () => {
  it('revalidated in the result; the survivor granted then reads zero', async () => {
    const s = await init()
    const ex = await lock(s, 'request', 'fs1', 'meta/a', '--node', 'n2', '--mode', 'EX', '--persistent')
    await json(s, ['lock', 'convert', 'fs1', String(ex), '--mode', 'EX', '--lvb', '07'])
    const reader = await lock(s, 'request', 'fs1', 'meta/a', '--node', 'n1', '--mode', 'PR', '--persistent')
    await json(s, ['node', 'mark-dead', 'n2', '--yes'])
    const id = (await json(s, ['domain', 'attach', 'fs1', '--node', 'n1'])).id
    const v = await json(s, ['validate', 'fs1', '--id', String(id)])
    expect(v).toMatchObject({result: 'VALID', revalidated: ['meta/a'], granted: [reader]})
    expect((await json(s, ['lock', 'list', 'fs1', '--resource', 'meta/a'])).locks).toEqual([
      expect.objectContaining({lockId: reader, status: 'granted', valid: true, lvb: '00000000'}),
    ])
  })
})

describe('lock blockers --cycles and lock explain of a lock in a cycle', () => {
  let s: string
  const L: Record<string, number> = {}
  let before: Record<string, string>
  beforeAll(async () => {
    s = await init('n1,n2,n3,n4')
    // n1 → n2 → n3 → n1 over x, y, z; n4 holds z too (persistent) and dies: an orphan in the cycle
    L.z4 = await lock(s, 'request', 'fs1', 'z', '--node', 'n4', '--mode', 'PR', '--persistent')
    L.x1 = await lock(s, 'request', 'fs1', 'x', '--node', 'n1', '--mode', 'PR')
    L.y2 = await lock(s, 'request', 'fs1', 'y', '--node', 'n2', '--mode', 'PR')
    L.z3 = await lock(s, 'request', 'fs1', 'z', '--node', 'n3', '--mode', 'PR')
    L.y1 = await lock(s, 'request', 'fs1', 'y', '--node', 'n1', '--mode', 'EX')
    L.z2 = await lock(s, 'request', 'fs1', 'z', '--node', 'n2', '--mode', 'EX')
    L.x3 = await lock(s, 'request', 'fs1', 'x', '--node', 'n3', '--mode', 'EX')
    await json(s, ['node', 'mark-dead', 'n4', '--yes'])
    before = treeFiles(s)
  })

  it('--json: the cycle as a list of locks, the locks to release or cancel, the orphan', async () => {
    const r = await json(s, ['lock', 'blockers', 'fs1', '--cycles'])
    expect(r.truncated).toBe(false)
    expect(r.cycles).toHaveLength(1)
    const c = r.cycles[0]
    expect(c.locks.map((l: any) => l.lockId)).toEqual([L.x1, L.y1, L.y2, L.z2, L.z3, L.x3])
    expect(c.nodes).toEqual(['n1', 'n2', 'n3'])
    expect(c.resources).toEqual(['x', 'y', 'z'])
    expect(c.release).toEqual([L.x1, L.y2, L.z3])
    expect(c.cancel).toEqual([L.y1, L.z2, L.x3])
    expect(c.orphans.map((l: any) => l.lockId)).toEqual([L.z4])
  })

  it('human output', async () => {
    const r = await run(s, ['lock', 'blockers', 'fs1', '--cycles'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatchSnapshot()
  })

  it('lock explain of a lock in the cycle says so and names the locks to release', async () => {
    const r = await run(s, ['lock', 'explain', 'fs1', String(L.z2)])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/DEADLOCK: lock \d+ is in a cycle of 6 locks \(nodes n1 n2 n3; resources x y z\)/)
    expect(r.stdout).toContain(`to break it: release lock ${L.x1} or lock ${L.y2} or lock ${L.z3}`)
    expect(r.stdout).toContain(`lock ${L.z4} (orphan of dead n4) also blocks it and only validate releases it (dlmctl recover fs1)`)
    expect((await json(s, ['lock', 'explain', 'fs1', String(L.z2)])).cycles).toHaveLength(1)
  })

  it('--cycles takes no lock id or --resource (exit 2)', async () => {
    const r = await run(s, ['lock', 'blockers', 'fs1', String(L.z2), '--cycles'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/^dlmctl: --cycles looks at the whole domain/)
  })

  it('read-only: nothing in the state directory changed', () => {
    expect(treeFiles(s)).toEqual(before)
  })

  it('no cycle: says so', async () => {
    const t = await init()
    const r = await run(t, ['lock', 'blockers', 'fs1', '--cycles'])
    expect(r.stdout).toBe('no deadlock cycle in fs1\n')
  })
})
