// The sequence end to end, through the built CLI: journaled writes only
// under persistent PW/EX locks, a checkpoint, more writes, a journal tail torn by
// the death, mark-dead, reads refused while the domain recovers, validate refused
// until replay, replay of exactly the committed transactions, validate, and the
// survivor reading the replayed value.
import {statSync, truncateSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {commandsInProcess, tempDirsPerFile, dlm, j, newCluster, ok, refusal} from './helpers.js'

tempDirsPerFile()
commandsInProcess()

const statuses = (show: {records: {seq?: number; op?: string; status: string}[]}) => show.records.map((r) => `${r.seq ?? '-'}:${r.op ?? '-'}:${r.status}`)

describe('fs journal, death, replay, validate (the issue)', () => {
  let state: string
  let journal: string
  let id: number

  beforeAll(async () => {
    state = await newCluster(['--nodes', 'n1,n2,n3', '--fs', 'fs1'])
    journal = join(state, 'fs/fs1/journal/n2.jsonl')
  })

  it('writes only under persistent PW/EX locks', async () => {
    // No lock at all.
    let e = await refusal(state, ['fs', 'write', 'fs1', '--node', 'n2', 'a=0'], 5)
    expect(e.code).toBe('LOCK_NOT_HELD')
    expect(e.message).toContain('meta/a')
    // A non-persistent EX is not enough.
    const plain = await j(state, ['lock', 'request', 'fs1', 'meta/b', '--node', 'n2', '--mode', 'EX'])
    expect(plain).toMatchObject({status: 'granted', persistent: false})
    e = await refusal(state, ['fs', 'write', 'fs1', '--node', 'n2', 'b=1'], 5)
    expect(e.code).toBe('LOCK_NOT_HELD')
    // A persistent PR is not a write lock; another node's persistent EX does not let n1 write.
    await Promise.all([
      j(state, ['lock', 'request', 'fs1', 'meta/c', '--node', 'n2', '--mode', 'PR', '--persistent']),
      j(state, ['lock', 'request', 'fs1', 'meta/a', '--node', 'n2', '--mode', 'EX', '--persistent']),
    ])
    const [pr, other] = await Promise.all([
      refusal(state, ['fs', 'write', 'fs1', '--node', 'n2', 'c=1'], 5),
      refusal(state, ['fs', 'write', 'fs1', '--node', 'n1', 'a=x'], 5),
    ])
    expect(pr.code).toBe('LOCK_NOT_HELD')
    expect(other.code).toBe('LOCK_NOT_HELD')
    // Nothing was journaled by any refused write.
    expect(() => statSync(journal)).toThrow()

    // Persistent EX and persistent PW both allow writing.
    await j(state, ['lock', 'request', 'fs1', 'meta/d', '--node', 'n2', '--mode', 'PW', '--persistent'])
    const w = await j(state, ['fs', 'write', 'fs1', '--node', 'n2', 'a=1', 'd=1'])
    expect(w).toMatchObject({domain: 'fs1', node: 'n2', tx: 1, seqs: [1, 3], records: 2, committed: true})
    // A transaction with one unlocked key is refused whole: nothing appended.
    const size = statSync(journal).size
    expect((await refusal(state, ['fs', 'write', 'fs1', '--node', 'n2', 'a=2', 'b=2'], 5)).code).toBe('LOCK_NOT_HELD')
    expect(statSync(journal).size).toBe(size)
  })

  it('checkpoint, then more writes; the death tears the last commit', async () => {
    const cp = await j(state, ['fs', 'checkpoint', 'fs1', '--node', 'n2'])
    expect(cp).toMatchObject({records: 2, applied: 2, stoppedAt: null})
    expect(cp.checkpoint).toBe(statSync(journal).size)
    expect(await j(state, ['fs', 'write', 'fs1', '--node', 'n2', 'a=2', '--del', 'd'])).toMatchObject({seqs: [4, 6]})
    expect(await j(state, ['fs', 'write', 'fs1', '--node', 'n2', 'a=3'])).toMatchObject({seqs: [7, 8]})
    // A survivor takes a persistent PR on a key n2 never locked (granted before the death),
    // and asks for a persistent PR on meta/a (waits behind n2's EX).
    expect(await j(state, ['lock', 'request', 'fs1', 'meta/k', '--node', 'n1', '--mode', 'PR', '--persistent'])).toMatchObject({status: 'granted', valid: true})
    expect(await j(state, ['lock', 'request', 'fs1', 'meta/a', '--node', 'n1', '--mode', 'PR', '--persistent'])).toMatchObject({status: 'waiting'})
    // Before the death n1 reads k (unset) under its valid lock.
    expect(await j(state, ['fs', 'read', 'fs1', 'k', '--node', 'n1'])).toMatchObject({key: 'k', value: null, valid: true})

    truncateSync(journal, statSync(journal).size - 4) // n2 dies in the middle of writing its last commit
    const dead = await j(state, ['node', 'mark-dead', 'n2', '--yes'])
    expect(dead).toMatchObject({node: 'n2', alreadyDead: false})
  })

  it("a survivor's reads are refused while the domain recovers", async () => {
    const size = statSync(journal).size
    const [e, waiting, w, raw] = await Promise.all([
      refusal(state, ['fs', 'read', 'fs1', 'k', '--node', 'n1'], 5),
      // Its request on meta/a still waits on n2's orphan: no lock, no read.
      refusal(state, ['fs', 'read', 'fs1', 'a', '--node', 'n1'], 5),
      // The dead node writes nothing more.
      dlm(state, ['fs', 'write', 'fs1', '--node', 'n2', 'a=9', '--json']),
      // The raw view says the applied metadata is not the truth yet.
      j(state, ['fs', 'read', 'fs1', 'a', '--raw']),
    ])
    expect(e.code).toBe('VALNOTVALID')
    expect(e.invalidReasons).toContain('DOMAIN_RECOVERING')
    expect(waiting.code).toBe('LOCK_NOT_HELD')
    expect(w.exitCode).toBe(5)
    expect(statSync(journal).size).toBe(size)
    expect(raw).toMatchObject({value: '1', valid: false})
  })

  it('validate before replay: REPLAY_INCOMPLETE; journal show lists every status', async () => {
    id = (await j(state, ['domain', 'attach', 'fs1', '--node', 'n1'])).id
    const e = await refusal(state, ['validate', 'fs1', '--id', String(id)], 5)
    expect(e.code).toBe('REPLAY_INCOMPLETE')
    expect(e.message).toContain('n2')

    const show = await j(state, ['journal', 'show', 'fs1', '--node', 'n2'])
    expect(statuses(show)).toEqual([
      '1:set:applied',
      '2:set:applied',
      '3:commit:applied',
      '4:set:committed-pending',
      '5:del:committed-pending',
      '6:commit:committed-pending',
      '7:set:uncommitted',
      '-:-:torn',
    ])
    expect(show.stoppedAt).toEqual({offset: show.records[7].offset, reason: 'torn'})
    // The one run of this file as a process (bin/run.js): the human table, snapshotted.
    const human = await dlm(state, ['journal', 'show', 'fs1', '--node', 'n2'], {process: true})
    expect(human.exitCode).toBe(0)
    expect(human.stdout).toMatchSnapshot('journal show fs1 --node n2 (before replay)')
  })

  it('replay applies exactly the committed transactions', async () => {
    const before = readFileSync(journal)
    const r = await j(state, ['replay', 'fs1', '--id', String(id)])
    expect(r).toMatchObject({domain: 'fs1', result: 'DONE'})
    expect(r.journals).toHaveLength(1)
    expect(r.journals[0]).toMatchObject({node: 'n2', applied: 2, discarded: 1, stoppedAt: {reason: 'torn'}})
    expect(readFileSync(journal).equals(before)).toBe(true) // replay reads journals, never writes them

    const fsShow = await ok(state, ['fs', 'show', 'fs1', '--json'])
    const shown = fsShow.json()
    expect(shown.keys).toEqual([
      {key: 'a', value: '2', seq: 4},
      {key: 'd', value: null, seq: 5, deleted: true},
    ])
    expect(shown.journals.find((x: {node: string}) => x.node === 'n2')).toMatchObject({state: 'dead', pendingTransactions: 0, pendingRecords: 0, damaged: {reason: 'torn'}})
    expect(fsShow.stdout).toMatchSnapshot('fs show fs1 --json (after replay)')

    expect(statuses(await j(state, ['journal', 'show', 'fs1', '--node', 'n2']))).toEqual([
      '1:set:applied',
      '2:set:applied',
      '3:commit:applied',
      '4:set:applied',
      '5:del:applied',
      '6:commit:applied',
      '7:set:uncommitted',
      '-:-:torn',
    ])
    // Replaying again changes nothing.
    expect(await j(state, ['replay', 'fs1', '--id', String(id)])).toMatchObject({result: 'DONE', changedKeys: 0, journals: [{applied: 0}]})
  })

  it('validate: VALID; the survivor reads the replayed value', async () => {
    const v = await j(state, ['validate', 'fs1', '--id', String(id)])
    expect(v).toMatchObject({domain: 'fs1', id, result: 'VALID', replayedNodes: ['n2']})
    // n1's PR on meta/a was granted when the orphan went; it reads the replayed value.
    expect(await j(state, ['fs', 'read', 'fs1', 'a', '--node', 'n1'])).toMatchObject({key: 'a', value: '2', valid: true, seq: 4})
    expect(await j(state, ['fs', 'read', 'fs1', 'k', '--node', 'n1'])).toMatchObject({key: 'k', value: null, valid: true})
    expect(await j(state, ['fs', 'read', 'fs1', 'a', '--raw'])).toMatchObject({value: '2', valid: true})
    const st = await j(state, ['status'])
    expect(st.domains).toEqual([expect.objectContaining({name: 'fs1', state: 'normal', deadNodes: []})])
    expect(st.nodes).toContainEqual(expect.objectContaining({name: 'n2', state: 'recovered', incarnation: 1, next: 'dlmctl node join n2'}))
    await ok(state, ['check'])
  })
})

describe("a survivor's reads never go back in time across a death", () => {
  it('a value read before the death is not replaced by an older one while the domain recovers', async () => {
    const state = await newCluster(['--nodes', 'n1,n2,n3', '--fs', 'fs1'])
    const lock = await j(state, ['lock', 'request', 'fs1', 'meta/x', '--node', 'n2', '--mode', 'EX', '--persistent'])
    await j(state, ['fs', 'write', 'fs1', '--node', 'n2', 'x=old'])
    await j(state, ['fs', 'checkpoint', 'fs1', '--node', 'n2'])
    await j(state, ['fs', 'write', 'fs1', '--node', 'n2', 'x=new']) // committed, not checkpointed
    await j(state, ['lock', 'release', 'fs1', String(lock.lockId)]) // n2 is done with x
    // n1 reads x under a (non-persistent) CR lock: it sees n2's committed write.
    expect(await j(state, ['lock', 'request', 'fs1', 'meta/x', '--node', 'n1', '--mode', 'CR'])).toMatchObject({status: 'granted', valid: true})
    expect(await j(state, ['fs', 'read', 'fs1', 'x', '--node', 'n1'])).toMatchObject({value: 'new', seq: 3})

    await j(state, ['node', 'mark-dead', 'n2', '--yes'])
    // n1's lock is still granted and valid (n2 did not hold x at its death).
    const locks = await j(state, ['lock', 'list', 'fs1', '--resource', 'meta/x'])
    expect(locks.locks).toEqual([expect.objectContaining({node: 'n1', status: 'granted', valid: true})])
    // So a read either is refused or returns the newest committed value: never 'old' again.
    const during = await dlm(state, ['fs', 'read', 'fs1', 'x', '--node', 'n1', '--json'])
    if (during.exitCode === 0) expect(during.json()).toMatchObject({value: 'new', seq: 3})
    else expect(during.exitCode).toBe(5)

    expect(await j(state, ['recover', 'fs1', '--yes'])).toMatchObject({domains: [{result: 'RECOVERED'}]})
    expect(await j(state, ['fs', 'read', 'fs1', 'x', '--node', 'n1'])).toMatchObject({value: 'new', seq: 3})
    await ok(state, ['check'])
  })
})

describe('a torn write is a testing variable, not a flag', () => {
  it('DLMCTL_TEST_TORN_WRITE=1 tears the commit record (committed: false); --simulate-torn is an unknown flag', async () => {
    const state = await newCluster(['--nodes', 'n1,n2', '--fs', 'fs1'])
    await j(state, ['lock', 'request', 'fs1', 'meta/a', '--node', 'n2', '--mode', 'EX', '--persistent'])
    expect((await refusal(state, ['fs', 'write', 'fs1', '--node', 'n2', 'a=1', '--simulate-torn'], 2)).message).toMatch(/simulate-torn/)
    const torn = await dlm(state, ['fs', 'write', 'fs1', '--node', 'n2', 'a=1', '--json'], {env: {DLMCTL_TEST_TORN_WRITE: '1'}})
    expect(torn.exitCode).toBe(0)
    expect(torn.json()).toMatchObject({committed: false})
    expect((await j(state, ['journal', 'show', 'fs1', '--node', 'n2'])).records.at(-1)).toMatchObject({status: 'torn'})
  })
})
