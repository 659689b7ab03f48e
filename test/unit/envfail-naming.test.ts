// An environment error names the state file the operator knows, not only the
// temporary copy being written when it happened.
import {describe, expect, test} from 'vitest'
import {storeIoError} from '../../src/store/envfail.js'

const errno = (code: string, path: string) => Object.assign(new Error(`${code}: ${path}`), {code, path})

describe('naming the file of an environment error', () => {
  test("a transaction's new copy names its state file, and the copy", () => {
    const e = storeIoError(errno('ENOSPC', '/s/domains/fs1/domain.json.tx-0mx5cs0nt-g3y-0000.tmp'), '/s')!
    expect(e.message).toBe(
      'cannot use state file domains/fs1/domain.json (its new copy domain.json.tx-0mx5cs0nt-g3y-0000.tmp, in /s): no space left on device (ENOSPC); free space on that file system, then run the command again',
    )
    expect(e.detail).toEqual({file: '/s/domains/fs1/domain.json.tx-0mx5cs0nt-g3y-0000.tmp', errno: 'ENOSPC'})
  })
  test('a durable write\'s copy too; a plain state file and a path outside the state as they are', () => {
    expect(storeIoError(errno('EIO', '/s/membership.json.0123456789ab.tmp'), '/s')!.message).toMatch(/^cannot use state file membership\.json \(its new copy membership\.json\.0123456789ab\.tmp, in \/s\): I\/O error \(EIO\)/)
    expect(storeIoError(errno('EACCES', '/s/events.jsonl'), '/s')!.message).toMatch(/^cannot use state file events\.jsonl \(in \/s\): permission denied/)
    expect(storeIoError(errno('EROFS', '/elsewhere/x.tmp'), '/s')!.message).toMatch(/^cannot use \/elsewhere\/x\.tmp: read-only file system/)
  })
  test('not an environment error: null', () => {
    expect(storeIoError(errno('ENOENT', '/s/x'), '/s')).toBeNull()
    expect(storeIoError(new Error('boom'), '/s')).toBeNull()
  })
})
