// The journal's line format: encodeRecord / checkLine (src/journal/format.ts).
// A record is one line of JSON whose last field is `"crc":<CRC-32C of the line
// without that field>`; every damaged line must be told apart from a good one.
import {createRequire} from 'node:module'
import {describe, expect, it} from 'vitest'
import {checkLine, encodeRecord} from '../../src/journal/format.js'
import type {JournalRecord} from '../../src/model/records.js'

const CRC32C = createRequire(import.meta.url)('crc-32/crc32c.js') as {buf(b: Uint8Array): number}
const crcOf = (s: string) => CRC32C.buf(Buffer.from(s, 'utf8')) >>> 0

/** checkLine on a whole line given with or without its newline. */
function check(line: string | Buffer) {
  const b = typeof line === 'string' ? Buffer.from(line, 'utf8') : line
  const end = b.length > 0 && b[b.length - 1] === 0x0a ? b.length - 1 : b.length
  return checkLine(b, 0, end)
}

const samples: JournalRecord[] = [
  {seq: 1, tx: 1, op: 'set', key: 'a', value: 'v'},
  {seq: 2, tx: 1, op: 'del', key: 'dir/b-2'},
  {seq: 3, tx: 1, op: 'commit', n: 2},
  {seq: 9007199254740991, tx: 9007199254740990, op: 'set', key: 'k', value: ''},
  {seq: 41, tx: 40, op: 'set', key: 'quote"back\\slash', value: 'line\nbreak\ttab "q" \\ \u0000 ,"crc":1}'},
]

describe('encodeRecord / checkLine round trip', () => {
  it.each(samples.map((r) => [r.op, r]))('%s record comes back equal', (_op, r) => {
    const line = encodeRecord(r)
    expect(line.endsWith('}\n')).toBe(true)
    expect(line.indexOf('\n')).toBe(line.length - 1) // exactly one line, whatever the value holds
    const c = check(line)
    expect(c).toEqual({ok: true, record: r})
  })

  it('the line is JSON that a reader like jq parses, with the crc as its last field', () => {
    for (const r of samples) {
      const line = encodeRecord(r)
      const parsed = JSON.parse(line) as Record<string, unknown>
      const {crc, ...body} = parsed
      expect(body).toEqual(r)
      expect(Object.keys(parsed).at(-1)).toBe('crc')
      expect(crc).toBe(crcOf(JSON.stringify(r)))
    }
  })

  it('checks a line in place inside a larger buffer (offsets, not copies)', () => {
    const lines = samples.map(encodeRecord)
    const buf = Buffer.from('garbage\n' + lines.join('') + 'tail-without-newline', 'utf8')
    let start = buf.indexOf(0x0a) + 1
    for (const r of samples) {
      const nl = buf.indexOf(0x0a, start)
      expect(checkLine(buf, start, nl)).toEqual({ok: true, record: r})
      start = nl + 1
    }
  })

  it('non-ASCII keys and values (UTF-8) round trip and are checksummed on their bytes', () => {
    const recs: JournalRecord[] = [
      {seq: 10, tx: 10, op: 'set', key: 'clé', value: 'naïve café ✓'},
      {seq: 11, tx: 10, op: 'set', key: '键', value: '値 — 😀👍🏽 e\u0301 \u2028 \u2029'},
      {seq: 12, tx: 10, op: 'del', key: 'ключ'},
      {seq: 13, tx: 13, op: 'set', key: 'lone', value: 'x\ud800y'}, // a lone surrogate: JSON.stringify escapes it
      {seq: 14, tx: 10, op: 'commit', n: 3},
    ]
    for (const r of recs) {
      const line = encodeRecord(r)
      const bytes = Buffer.from(line, 'utf8')
      expect(bytes.indexOf(0x0a)).toBe(bytes.length - 1)
      expect(check(bytes)).toEqual({ok: true, record: r})
      // The CRC covers the UTF-8 bytes, not the UTF-16 code units.
      const {crc} = JSON.parse(line) as {crc: number}
      expect(crc).toBe(crcOf(JSON.stringify(r)))
    }
    // Changing one byte inside a multi-byte character is caught.
    const bytes = Buffer.from(encodeRecord(recs[1]), 'utf8')
    const i = bytes.indexOf(Buffer.from('😀', 'utf8')) + 2
    bytes[i] ^= 0x01
    expect(check(bytes).ok).toBe(false)
  })
})

describe('every single-byte corruption is detected', () => {
  const lines = [
    encodeRecord({seq: 1, tx: 1, op: 'set', key: 'a', value: 'hello'}),
    encodeRecord({seq: 2, tx: 1, op: 'del', key: 'b'}),
    encodeRecord({seq: 3, tx: 1, op: 'commit', n: 2}),
    encodeRecord({seq: 123456, tx: 123450, op: 'set', key: 'ü', value: 'ß∂😀'}),
  ]

  it.each(lines.map((l) => [l.trimEnd(), l]))('%s: all positions x all other byte values', (_name, line) => {
    const good = Buffer.from(line, 'utf8')
    const end = good.length - 1 // without the newline
    let tried = 0
    const missed: string[] = []
    const whys = new Set<string>()
    for (let pos = 0; pos < end; pos++) {
      for (let v = 0; v < 256; v++) {
        if (v === good[pos]) continue
        const b = Buffer.from(good)
        b[pos] = v
        const c = checkLine(b, 0, end)
        tried++
        if (c.ok) missed.push(`byte ${pos} ${good[pos]}->${v}`)
        else whys.add(c.why)
      }
    }
    expect(missed).toEqual([])
    expect(tried).toBe(end * 255)
    for (const w of whys) expect(['bad-checksum', 'bad-record']).toContain(w)
  })

  it('a line cut short at any point (a lost tail) is never accepted', () => {
    for (const line of lines) {
      const b = Buffer.from(line, 'utf8')
      for (let len = 0; len < b.length - 1; len++) expect(checkLine(b, 0, len).ok, `${line.trimEnd()} cut at ${len}`).toBe(false)
    }
  })

  it('a dropped or inserted byte anywhere is detected', () => {
    const missed: string[] = []
    for (const line of lines) {
      const b = Buffer.from(line, 'utf8')
      const end = b.length - 1
      for (let pos = 0; pos <= end; pos++) {
        if (pos < end) {
          const dropped = Buffer.concat([b.subarray(0, pos), b.subarray(pos + 1, end)])
          if (checkLine(dropped, 0, dropped.length).ok) missed.push(`drop byte ${pos} of ${line.trimEnd()}`)
        }
        for (const ins of [0x20, 0x30, 0x31, 0x39, 0x7d, 0x22, 0x2c]) {
          const inserted = Buffer.concat([b.subarray(0, pos), Buffer.from([ins]), b.subarray(pos, end)])
          if (checkLine(inserted, 0, inserted.length).ok) missed.push(`insert '${String.fromCharCode(ins)}' at ${pos} of ${line.trimEnd()}`)
        }
      }
    }
    expect(missed).toEqual([])
  })
})

describe('a line whose crc field is edited', () => {
  const rec: JournalRecord = {seq: 7, tx: 6, op: 'set', key: 'a', value: 'v'}
  const line = encodeRecord(rec).trimEnd()
  const body = JSON.stringify(rec)
  const crc = crcOf(body)
  const withCrc = (field: string) => `${body.slice(0, -1)}${field}}`

  it('the unedited line is good (control)', () => {
    expect(line).toBe(withCrc(`,"crc":${crc}`))
    expect(check(line).ok).toBe(true)
  })

  it.each([
    ['crc + 1', `,"crc":${crc + 1}`],
    ['crc - 1', `,"crc":${crc - 1}`],
    ['crc + 2^32 (same value mod 2^32)', `,"crc":${crc + 2 ** 32}`],
    ['crc of another record', `,"crc":${crcOf(JSON.stringify({...rec, value: 'w'}))}`],
    ['crc of the body with its closing brace missing', `,"crc":${crcOf(body.slice(0, -1))}`],
    ['zero', `,"crc":0`],
    ['empty', `,"crc":`],
    ['negative', `,"crc":-${crc}`],
    ['as a string', `,"crc":"${crc}"`],
    ['with a space', `,"crc": ${crc}`],
    ['in hex', `,"crc":0x${crc.toString(16)}`],
    ['exponent', `,"crc":${crc}e0`],
    ['fraction', `,"crc":${crc}.0`],
    ['renamed', `,"CRC":${crc}`],
    ['missing', ``],
  ])('%s: bad-checksum', (_name, field) => {
    expect(check(withCrc(field))).toEqual({ok: false, why: 'bad-checksum'})
  })

  it('crc moved to the front of the record: bad-checksum', () => {
    expect(check(`{"crc":${crc},${body.slice(1)}`)).toEqual({ok: false, why: 'bad-checksum'})
  })

  it('a second crc field or trailing bytes after the record: not accepted', () => {
    expect(check(`${line.slice(0, -1)},"crc":${crc}}`).ok).toBe(false)
    expect(check(`${line} `).ok).toBe(false)
    expect(check(`${line}}`).ok).toBe(false)
  })

  it('the line must stay JSON: a crc written with leading zeros is not accepted', () => {
    // `"crc":0<digits>` is not JSON (jq refuses the line), so it is damage, not a record.
    const edited = withCrc(`,"crc":0${crc}`)
    expect(() => JSON.parse(edited)).toThrow()
    expect(check(edited).ok).toBe(false)
  })
})

describe('checksum right, record wrong: bad-record', () => {
  /** A line with a correct crc over an arbitrary body. */
  const sealed = (bodyText: string) => `${bodyText.slice(0, -1)},"crc":${crcOf(bodyText)}}`

  it('a sealed good body is accepted (control)', () => {
    expect(check(sealed('{"seq":1,"tx":1,"op":"commit","n":0}')).ok).toBe(true)
  })

  it.each([
    ['not JSON', '{"seq":1,"tx":1,"op":"set","key":"a","value":}'],
    ['unknown op', '{"seq":1,"tx":1,"op":"put","key":"a","value":"v"}'],
    ['set without a value', '{"seq":1,"tx":1,"op":"set","key":"a"}'],
    ['set with a number value', '{"seq":1,"tx":1,"op":"set","key":"a","value":1}'],
    ['del without a key', '{"seq":1,"tx":1,"op":"del"}'],
    ['commit without n', '{"seq":1,"tx":1,"op":"commit"}'],
    ['commit with a fractional n', '{"seq":1,"tx":1,"op":"commit","n":1.5}'],
    ['seq a string', '{"seq":"1","tx":1,"op":"del","key":"a"}'],
    ['seq not safe', '{"seq":9007199254740993,"tx":1,"op":"del","key":"a"}'],
    ['tx missing', '{"seq":1,"op":"del","key":"a"}'],
    ['null', 'null}'.slice(0, 4) + '}'],
  ])('%s', (_name, bodyText) => {
    const c = check(sealed(bodyText))
    expect(c.ok).toBe(false)
    if (!c.ok) expect(['bad-record', 'bad-checksum']).toContain(c.why)
    if (bodyText.endsWith('}')) expect(c).toEqual({ok: false, why: 'bad-record'})
  })
})
