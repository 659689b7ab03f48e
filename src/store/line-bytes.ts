// canonicalBucketLines (schema.ts) checked on a bucket file's bytes instead of its
// text: the same grammar (the text JSON.stringify writes for a resource in
// dlmctl's key order, one per line), walked byte by byte, for files whose bytes
// are all ASCII. A death reads every bucket of the domain before its commit;
// decoding 300 MB into strings for the expression cost as much as the check
// itself, and the strings as much again in garbage collection. It is narrower
// than the expression — any byte above 0x7f, and anything else it does not know,
// makes it answer undefined, and the caller checks the file the ordinary way —
// and it never takes a file the expression refuses (test/unit/store-line-bytes).

import {isAscii} from 'node:buffer'
import {ID_MAX_DIGITS, NODE_NAME_MAX, RESOURCE_NAME_MAX} from '../model/names.js'
import {canonicalBucketLines} from './schema.js'

const Q = 0x22 // "
const LB = 0x5b // [
const RB = 0x5d // ]
const RC = 0x7d // }
const COMMA = 0x2c
const NL = 0x0a

const lit = (s: string) => Buffer.from(s, 'latin1')
const HEAD = lit('{"resources":[\n')
const HEAD_APPLIED = lit('{"applied":')
const RESOURCES = lit(',"resources":[\n')
const NAME = lit('{"name":"')
const LVB = lit('","lvb":')
const LVB_VALID = lit(',"lvbValid":')
const PERSISTENT = lit(',"persistent":')
const GRANT = lit(',"grantQueue":')
const CONVERT = lit(',"convertQueue":')
const WAIT = lit(',"waitQueue":')
const ID = lit('{"id":')
const NODE = lit(',"node":"')
const MODE = lit('","mode":')
const REQUESTED = lit(',"requestedMode":')
const LOCK_LVB = lit(',"lvb":')
const REQUESTED_KEY = lit('"requestedMode":')
const WRITE_LVB_KEY = lit('"writeLvb":')
const TRUE = lit('true')
const FALSE = lit('false')
const MODES = new Set(['NL', 'CR', 'CW', 'PR', 'PW', 'EX'].map((m) => (m.charCodeAt(0) << 8) | m.charCodeAt(1)))

/** A position past what was read, or -1: the bytes do not follow the grammar. */
type At = number

function word(b: Buffer, p: At, w: Buffer): At {
  if (p < 0 || p + w.length > b.length) return -1
  for (let i = 0; i < w.length; i++) if (b[p + i] !== w[i]) return -1
  return p + w.length
}

const bool = (b: Buffer, p: At): At => (b[p] === 0x74 ? word(b, p, TRUE) : word(b, p, FALSE))

/** "(?:[0-9a-f]{2})*" */
function hex(b: Buffer, p: At): At {
  if (p < 0 || b[p] !== Q) return -1
  let i = p + 1
  for (; i < b.length; i++) {
    const c = b[i]
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) break
  }
  return b[i] === Q && (i - p - 1) % 2 === 0 ? i + 1 : -1
}

/** "(?:NL|CR|CW|PR|PW|EX)" */
function mode(b: Buffer, p: At): At {
  if (p < 0 || b[p] !== Q || b[p + 3] !== Q || !MODES.has((b[p + 1] << 8) | b[p + 2])) return -1
  return p + 4
}

/** An id (names.ts ID): [1-9] then digits, ID_MAX_DIGITS in all at the most. */
function id(b: Buffer, p: At): At {
  if (p < 0 || !(b[p] >= 0x31 && b[p] <= 0x39)) return -1
  let i = p + 1
  while (i < p + ID_MAX_DIGITS && b[i] >= 0x30 && b[i] <= 0x39) i++
  return i
}

/** A node name (names.ts NODE_NAME): [a-z] then [a-z0-9-], NODE_NAME_MAX in all at the most; then the closing quote. */
function node(b: Buffer, p: At): At {
  if (p < 0 || !(b[p] >= 0x61 && b[p] <= 0x7a)) return -1
  let i = p + 1
  for (; i < p + NODE_NAME_MAX; i++) {
    const c = b[i]
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) break
  }
  return b[i] === Q ? i : -1
}

function lock(b: Buffer, p: At): At {
  p = id(b, word(b, p, ID))
  p = node(b, word(b, p, NODE))
  p = mode(b, word(b, p, MODE))
  if (p < 0) return -1
  if (b[p + 2] === 0x72) p = mode(b, word(b, p, REQUESTED)) // ,"r…
  p = bool(b, word(b, p, PERSISTENT))
  p = hex(b, word(b, p, LOCK_LVB))
  // At most two of ,"requestedMode":… and ,"writeLvb":…, in any order (as the expression).
  for (let k = 0; k < 2 && p >= 0 && b[p] === COMMA; k++) p = b[p + 2] === 0x72 ? mode(b, word(b, p + 1, REQUESTED_KEY)) : hex(b, word(b, p + 1, WRITE_LVB_KEY))
  return p >= 0 && b[p] === RC ? p + 1 : -1
}

function queue(b: Buffer, p: At): At {
  if (p < 0 || b[p] !== LB) return -1
  p++
  if (b[p] === RB) return p + 1
  for (;;) {
    p = lock(b, p)
    if (p < 0) return -1
    if (b[p] === RB) return p + 1
    if (b[p] !== COMMA) return -1
    p++
  }
}

/**
 * The stamp and resource names of a bucket file in the line layout, all ASCII,
 * when every line is a resource canonicalBucketLines takes; else undefined (not
 * known valid: check it the ordinary way).
 */
export function canonicalBucketBytes(b: Buffer): {applied: number; names: string[]} | undefined {
  let p: At
  let applied = 0
  if (word(b, 0, HEAD) > 0) p = HEAD.length
  else {
    p = word(b, 0, HEAD_APPLIED)
    const digits = p
    p = id(b, p)
    if (p < 0) return undefined
    applied = Number(b.toString('latin1', digits, p))
    p = word(b, p, RESOURCES)
  }
  const end = b.length - 3 // ]}\n
  if (p < 0 || end <= p || b[end] !== RB || b[end + 1] !== RC || b[end + 2] !== NL) return undefined
  const names: string[] = []
  while (p < end) {
    const start = word(b, p, NAME)
    if (start < 0) return undefined
    // A resource name (names.ts RESOURCE_NAME: ! to ~), without '\\' (no escapes: its JSON text is the name).
    let q = start
    for (; q < end; q++) {
      const c = b[q]
      if (c === Q) break
      if (c === 0x5c || c < 0x21 || c > 0x7e) return undefined
    }
    if (q === start || q >= end || q - start > RESOURCE_NAME_MAX) return undefined
    p = hex(b, word(b, q, LVB))
    p = bool(b, word(b, p, LVB_VALID))
    p = bool(b, word(b, p, PERSISTENT))
    p = queue(b, word(b, p, GRANT))
    p = queue(b, word(b, p, CONVERT))
    p = queue(b, word(b, p, WAIT))
    if (p < 0 || b[p] !== RC) return undefined
    p++
    // A ',' after every resource but the last.
    if (b[p] === COMMA) {
      if (b[p + 1] !== NL || p + 2 >= end) return undefined
      p += 2
    } else if (b[p] === NL && p + 1 === end) p = end
    else return undefined
    names.push(b.toString('latin1', start, q))
  }
  return names.length === 0 ? undefined : {applied, names}
}

/**
 * A bucket file's text. Bytes that are all ASCII are decoded as latin1, a plain copy
 * (the same characters as UTF-8, which checks every byte: at a million locks, a
 * tenth of a listing's time); any other as UTF-8.
 */
export function bucketFileText(bytes: Buffer): string {
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8')
}

/**
 * Up to this size a bucket file is checked on its bytes first: compiling the
 * expression costs 5–8 ms, paid by every process that checks a bucket (a `status`
 * of a small cluster is ~130 ms in all). A bigger file goes to the expression
 * over its latin1 text: measured on the 256 files of a million locks, 255–370 ms
 * against 730–835 ms for the walk.
 */
const WALKED = 64 << 10

/**
 * canonicalBucketLines of a bucket file (the one way every reader checks one):
 * its stamp and names when every line is a resource the expression takes, else
 * undefined (check it the ordinary way). `text`: the file's text when the caller
 * has it (bucketFileText).
 */
export function checkBucketLines(bytes: Buffer, text?: string): {applied: number; names: string[]} | undefined {
  if (bytes.length <= WALKED) {
    const got = canonicalBucketBytes(bytes)
    if (got) return got
  }
  return canonicalBucketLines(text ?? bucketFileText(bytes))
}
