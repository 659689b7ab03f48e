// init's node and file-system lists: what the operator typed is created
// exactly, or refused — never silently merged or emptied.
import {describe, expect, it} from 'vitest'
import {DlmError} from '../../src/errors.js'
import {parseFsSpec, parseNodeList} from '../../src/core/init.js'

const refusal = (f: () => unknown): DlmError => {
  try {
    f()
  } catch (e) {
    if (e instanceof DlmError) return e
    throw e
  }
  throw new Error('not refused')
}

describe('init --nodes', () => {
  it('takes a list, ignoring a trailing comma and spaces', () => {
    expect(parseNodeList('n1, n2,n3,')).toEqual(['n1', 'n2', 'n3'])
  })
  it.each([
    ['', '--nodes: the node list is empty'],
    [' , ', '--nodes: the node list is empty'],
    ['n1,n1', "--nodes: node 'n1' given twice"],
    ['n1,n2,n1', "--nodes: node 'n1' given twice"],
  ])('refuses %j (exit 2)', (spec, msg) => {
    const e = refusal(() => parseNodeList(spec))
    expect(e.exitCode).toBe(2)
    expect(e.message).toContain(msg)
  })
  it('refuses a bad name with the name rule', () => {
    expect(refusal(() => parseNodeList('n1,N2')).code).toBe('BAD_NAME')
  })
})

describe('init --fs', () => {
  it('members as given, sorted', () => {
    expect(parseFsSpec('fs1:n2+n1,fs2', ['n1', 'n2', 'n3'])).toEqual([
      {name: 'fs1', members: ['n1', 'n2']},
      {name: 'fs2', members: ['n1', 'n2', 'n3']},
    ])
  })
  it('a node given twice for one file system is refused like a file system given twice', () => {
    const e = refusal(() => parseFsSpec('fs1:n1+n1', ['n1', 'n2']))
    expect(e.exitCode).toBe(2)
    expect(e.message).toBe("--fs fs1: node 'n1' given twice")
    expect(refusal(() => parseFsSpec('fs1,fs1', ['n1'])).message).toBe("--fs: file system 'fs1' given twice")
  })
})
