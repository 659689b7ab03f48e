// The journal's fast path (records read straight from the bytes) must agree with
// JSON.parse on every record encodeRecord can write, escapes and UTF-8 included.
import {describe, expect, it} from 'vitest'
import {prng} from '../prng.js'
import {checkLine, encodeRecord} from '../../src/journal/format.js'
import type {JournalRecord} from '../../src/model/records.js'
import {crc32cBuf} from '../../src/util/crc32c.js'


const ALPHABET = ['a', 'Z', '0', '-', '/', ' ', '"', '\\', '\n', '\t', '\u0001', 'é', '€', '𝄞', '{', '}', ',', ':']

describe('journal fast path', () => {
  it('reads back exactly what was written, for 5,000 random records', () => {
    const rnd = prng(7)
    const word = () => Array.from({length: 1 + Math.floor(rnd() * 12)}, () => ALPHABET[Math.floor(rnd() * ALPHABET.length)]).join('')
    for (let i = 0; i < 5000; i++) {
      const seq = 1 + Math.floor(rnd() * 1e9)
      const r: JournalRecord =
        i % 3 === 0
          ? {seq, tx: seq, op: 'set', key: word(), value: word()}
          : i % 3 === 1
            ? {seq, tx: seq - 1, op: 'del', key: word()}
            : {seq, tx: seq - 2, op: 'commit', n: Math.floor(rnd() * 100)}
      const line = Buffer.from(encodeRecord(r))
      const c = checkLine(line, 0, line.length - 1)
      expect(c).toEqual({ok: true, record: r})
    }
  })

  it('still rejects what JSON rejects when the checksum happens to match', () => {
    // A hand-made line with a valid crc but a number with a leading zero in seq.
    const body = '{"seq":01,"tx":1,"op":"commit","n":0}'
    const line = Buffer.from(`${body.slice(0, -1)},"crc":${crc32cBuf(Buffer.from(body))}}`)
    expect(checkLine(line, 0, line.length).ok).toBe(false)
  })
})
