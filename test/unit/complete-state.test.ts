// What completion reads from a state's files (core/complete.ts stateSource): the
// lock ids of a domain are the keys of its lock index chunks, found without
// parsing the resource names, whatever those names hold.
import {describe, expect, it} from 'vitest'
import {stateSource, type StateFiles} from '../../src/core/complete.js'

const files = (map: Record<string, string>): StateFiles => ({
  text: async (rel) => map[rel],
  list: async (rel) => Object.keys(map).filter((k) => k.startsWith(`${rel}/`)).map((k) => k.slice(rel.length + 1)),
})

describe('lock ids for completion', () => {
  it('are the index keys in chunk order, names with quotes, colons and key-like text included', async () => {
    // Names as JSON writes them: a '"' inside a name is escaped.
    const chunk0 = JSON.stringify({locks: {1: 'a', 2: 'x":"9', 3: '"7":"', 1000: 'é/ü\\'}}) + '\n'
    const chunk1 = JSON.stringify({locks: {1024: 'y', 2047: '{"locks":{"5":"z"}}'}}) + '\n'
    const src = stateSource(files({'domains/fs1/locks/0.json': chunk0, 'domains/fs1/locks/1.json': chunk1, 'domains/fs1/locks/notes.txt': '"8":"x"'}))
    expect(await src.lockIds('fs1')).toEqual(['1', '2', '3', '1000', '1024', '2047'])
    expect(await src.lockIds('no such fs/..')).toEqual([])
  })
})
