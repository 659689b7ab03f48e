// A JSON document of the shape {"<key>": [items…]} written as items arrive,
// byte for byte what JSON.stringify(doc, null, 2) + "\n" prints, so a listing of
// a million locks never has to be held in memory. Writes respect backpressure.
import {LockLine} from '../core/lock-line.js'
import {ByteSink, TextSink, asciiAt, both, intAt, stringAt, streamSend} from '../util/json-bytes.js'
import {writeLockLine} from './lock-view-lines.js'

const BATCH = 2048

// A lock view (model/validity.ts lockView) as JSON.stringify(…, null, 2) prints it
// as an item of {"locks": [...]}: a million of them are most of `lock list
// --json`, and writing their bytes directly costs a fraction of JSON.stringify.
const VIEW_KEYS = ['lockId', 'domain', 'resource', 'node', 'mode', 'status', 'persistent', 'valid', 'invalidReasons', 'lvb']
const VIEW_KEYS_REQUESTED = ['lockId', 'domain', 'resource', 'node', 'mode', 'status', 'requestedMode', 'persistent', 'valid', 'invalidReasons', 'lvb']
type ViewFields = {lockId: number; domain: string; resource: string; node: string; mode: string; status: string; requestedMode?: string; persistent: boolean; valid: boolean; invalidReasons: string[]; lvb: string}

/** An upper bound of the item's bytes if it has exactly a lock view's keys and types, else -1. */
function lockViewBound(x: unknown): number {
  // A plain object: JSON.stringify would use a toJSON of another prototype.
  if (typeof x !== 'object' || x === null || Object.getPrototypeOf(x) !== Object.prototype) return -1
  // Exactly these keys in this order (for-in: no array of keys made per item).
  let want = VIEW_KEYS_REQUESTED
  let i = 0
  for (const k in x) {
    if (i === 6 && k === 'persistent') want = VIEW_KEYS
    if (k !== want[i++]) return -1
  }
  if (i !== want.length) return -1
  const v = x as ViewFields
  if (!Number.isSafeInteger(v.lockId) || typeof v.persistent !== 'boolean' || typeof v.valid !== 'boolean' || !Array.isArray(v.invalidReasons)) return -1
  if (typeof v.domain !== 'string' || typeof v.resource !== 'string' || typeof v.node !== 'string' || typeof v.mode !== 'string' || typeof v.status !== 'string' || typeof v.lvb !== 'string') return -1
  if (v.requestedMode !== undefined && typeof v.requestedMode !== 'string') return -1
  let chars = v.domain.length + v.resource.length + v.node.length + v.mode.length + v.status.length + v.lvb.length + (v.requestedMode?.length ?? 0)
  for (const r of v.invalidReasons) {
    if (typeof r !== 'string') return -1
    chars += r.length + 16
  }
  // 6 bytes at most per character (\u0000), plus the keys and indentation.
  return 400 + 6 * chars
}

function lockViewAt(b: Buffer, p: number, v: ViewFields): number {
  p = asciiAt(b, p, '    {\n      "lockId": ')
  p = intAt(b, p, v.lockId)
  p = stringAt(b, asciiAt(b, p, ',\n      "domain": '), v.domain)
  p = stringAt(b, asciiAt(b, p, ',\n      "resource": '), v.resource)
  p = stringAt(b, asciiAt(b, p, ',\n      "node": '), v.node)
  p = stringAt(b, asciiAt(b, p, ',\n      "mode": '), v.mode)
  p = stringAt(b, asciiAt(b, p, ',\n      "status": '), v.status)
  if (v.requestedMode !== undefined) p = stringAt(b, asciiAt(b, p, ',\n      "requestedMode": '), v.requestedMode)
  p = asciiAt(b, p, v.persistent ? ',\n      "persistent": true' : ',\n      "persistent": false')
  p = asciiAt(b, p, v.valid ? ',\n      "valid": true' : ',\n      "valid": false')
  const reasons = v.invalidReasons
  if (reasons.length === 0) p = asciiAt(b, p, ',\n      "invalidReasons": []')
  else {
    p = asciiAt(b, p, ',\n      "invalidReasons": [')
    for (let i = 0; i < reasons.length; i++) p = stringAt(b, asciiAt(b, p, i ? ',\n        ' : '\n        '), reasons[i])
    p = asciiAt(b, p, '\n      ]')
  }
  p = stringAt(b, asciiAt(b, p, ',\n      "lvb": '), v.lvb)
  return asciiAt(b, p, '\n    }')
}

/** The items of {"<key>": [...]} as they are written: each item's bytes go after its separator. */
export class JsonListSink {
  readonly sink: ByteSink
  readonly open: string
  first = true

  constructor(out: NodeJS.WritableStream, key: string) {
    this.sink = new ByteSink(streamSend(out))
    this.open = `{\n  ${JSON.stringify(key)}: [\n`
  }

  /** Room for an item of at most n bytes, and its separator written (a wait when the output asks for one). */
  item(n: number): Promise<void> | undefined {
    const wait = this.sink.room(n + this.open.length)
    this.sink.pos = asciiAt(this.sink.buf, this.sink.pos, this.first ? this.open : ',\n')
    this.first = false
    return wait
  }

  /** Items' text, joined to what came before. */
  text(items: string): Promise<void> | undefined {
    const wait = this.sink.text((this.first ? this.open : ',\n') + items)
    this.first = false
    return wait
  }
}

/**
 * {"<key>": [items…]} as JSON.stringify(doc, null, 2) + "\n" prints it, written as
 * items arrive. Lock views are written byte by byte (above), and the locks of a
 * bucket line (LockLine) from its bytes (lock-view-lines.ts); any other item is
 * serialized a batch at a time as the same document shape (one native call) and
 * cut out of it.
 */
export async function writeJsonList(out: NodeJS.WritableStream, key: string, items: Iterable<unknown> | AsyncIterable<unknown>): Promise<void> {
  const list = new JsonListSink(out, key)
  const {sink, open} = list
  const close = '\n  ]\n}\n'
  let batch: unknown[] = []
  const flush = () => {
    if (batch.length === 0) return undefined
    const doc = JSON.stringify({[key]: batch}, null, 2)
    batch = []
    // doc is open + items + '\n  ]\n}': keep the items.
    return list.text(doc.slice(open.length, doc.length - close.length + 1))
  }
  const put = (item: unknown): Promise<void> | undefined => {
    if (item instanceof LockLine) return both(flush(), writeLockLine(list, item))
    const bound = lockViewBound(item)
    if (bound < 0) {
      batch.push(item)
      return batch.length >= BATCH ? flush() : undefined
    }
    const flushed = flush()
    const wait = list.item(bound)
    sink.pos = lockViewAt(sink.buf, sink.pos, item as ViewFields)
    return both(flushed, wait)
  }
  if (Symbol.iterator in items) {
    // A synchronous source is read synchronously: no promise per item.
    for (const item of items) {
      const wait = put(item)
      if (wait) await wait
    }
  } else {
    for await (const item of items) {
      const wait = put(item)
      if (wait) await wait
    }
  }
  await flush()
  await sink.text(list.first ? `{\n  ${JSON.stringify(key)}: []\n}\n` : close)
  await sink.flush()
}

/**
 * Any JSON value, written as JSON.stringify(value, null, 2) + "\n" prints it, but
 * long arrays (a death's 500,000 orphaned lock ids) a batch at a time: the whole
 * text is never built in memory.
 */
export async function writeJson(out: NodeJS.WritableStream, value: unknown): Promise<void> {
  const sink = new TextSink(streamSend<string>(out))
  const put = async (s: string) => sink.put(s)
  const walk = async (v: unknown, indent: string): Promise<void> => {
    const inner = indent + '  '
    if (Array.isArray(v) && v.length > BATCH) {
      const sep = ',\n' + inner
      for (let i = 0; i < v.length; i += BATCH) {
        const batch = v.slice(i, i + BATCH)
        // Lock ids and resource names (a death's summary at a million locks): one line each, joined.
        if (batch.every(isFlat)) {
          await put((i === 0 ? '[\n' + inner : sep) + batch.map((x) => JSON.stringify(x)).join(sep))
          continue
        }
        // A batch printed as an array at this depth: keep its items.
        const text = JSON.stringify(batch, null, 2).replaceAll('\n', '\n' + indent)
        await put((i === 0 ? '[\n' + inner : sep) + text.slice(2 + indent.length + 2, text.length - indent.length - 2))
      }
      return put('\n' + indent + ']')
    }
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as {toJSON?: unknown}).toJSON !== 'function' && hasLongArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && typeof x !== 'function' && typeof x !== 'symbol')
      if (entries.length === 0) return put('{}')
      for (let i = 0; i < entries.length; i++) {
        await put((i === 0 ? '{\n' : ',\n') + inner + JSON.stringify(entries[i][0]) + ': ')
        await walk(entries[i][1], inner)
      }
      return put('\n' + indent + '}')
    }
    if (Array.isArray(v) && hasLongArray(v)) {
      if (v.length === 0) return put('[]')
      for (let i = 0; i < v.length; i++) {
        await put((i === 0 ? '[\n' : ',\n') + inner)
        await walk(v[i] === undefined || typeof v[i] === 'function' ? null : v[i], inner)
      }
      return put('\n' + indent + ']')
    }
    return put((JSON.stringify(v, null, 2) ?? 'undefined').replaceAll('\n', '\n' + indent))
  }
  await walk(value, '')
  await sink.end('\n')
}

/** A value JSON.stringify prints on one line the same at any depth: a finite number, or a string. */
const isFlat = (x: unknown): boolean => typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x))

/** Is there an array longer than a batch somewhere in v (worth writing piecewise)? */
function hasLongArray(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > BATCH || v.some(hasLongArray)
  if (v && typeof v === 'object') return Object.values(v).some(hasLongArray)
  return false
}
