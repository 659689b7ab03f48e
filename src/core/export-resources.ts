// A domain's resources as export prints them (canonicalJson: keys sorted, two-space
// indent) in its "resources" array: items at 8 spaces, their keys at 10, locks at
// 12 and their keys at 14. At a million resources export is mostly this array:
// resources of the stored shape are written byte by byte (util/json-bytes.ts),
// anything else through canonicalJson, with the same bytes.
import {ResourceLine} from '../store/resource-line.js'
import {ByteSink, asciiAt, intAt, stringAt, type Send} from '../util/json-bytes.js'

const RESOURCE_KEYS = new Set(['name', 'lvb', 'lvbValid', 'persistent', 'grantQueue', 'convertQueue', 'waitQueue'])
const LOCK_KEYS = new Set(['id', 'node', 'mode', 'requestedMode', 'persistent', 'lvb', 'writeLvb'])
type ResourceFields = {name: string; lvb: string; lvbValid: boolean; persistent: boolean; grantQueue: LockFields[]; convertQueue: LockFields[]; waitQueue: LockFields[]}
type LockFields = {id: number; node: string; mode: string; requestedMode?: string; persistent: boolean; lvb: string; writeLvb?: string}

const optionalString = (v: unknown) => v === undefined || typeof v === 'string'

/** Is x a lock of the stored shape (keys and types)? */
function isStoredLock(x: unknown): boolean {
  if (typeof x !== 'object' || x === null || Object.getPrototypeOf(x) !== Object.prototype) return false
  let n = 0
  for (const k in x) if (!LOCK_KEYS.has(k) || !Object.hasOwn(x, k) || (n++, false)) return false
  const l = x as LockFields
  if (!Number.isSafeInteger(l.id) || typeof l.node !== 'string' || typeof l.mode !== 'string' || typeof l.persistent !== 'boolean' || typeof l.lvb !== 'string') return false
  return optionalString(l.requestedMode) && optionalString(l.writeLvb) && n >= 5
}

const isStoredQueue = (q: unknown): boolean => Array.isArray(q) && q.every(isStoredLock)

/** Is x a resource of the stored shape (keys and types, its locks too)? */
function isStoredResource(x: unknown): boolean {
  // A plain object: canonicalJson's JSON.stringify would use a toJSON of another prototype.
  if (typeof x !== 'object' || x === null || Object.getPrototypeOf(x) !== Object.prototype) return false
  let n = 0
  for (const k in x) if (!RESOURCE_KEYS.has(k) || !Object.hasOwn(x, k) || (n++, false)) return false
  const r = x as ResourceFields
  if (n !== RESOURCE_KEYS.size || typeof r.name !== 'string' || typeof r.lvb !== 'string' || typeof r.lvbValid !== 'boolean' || typeof r.persistent !== 'boolean') return false
  return isStoredQueue(r.grantQueue) && isStoredQueue(r.convertQueue) && isStoredQueue(r.waitQueue)
}

function queueBound(q: LockFields[]): number {
  let n = 0
  for (const l of q) n += 300 + 6 * (l.node.length + l.mode.length + l.lvb.length + (l.requestedMode?.length ?? 0) + (l.writeLvb?.length ?? 0))
  return n
}

/** An upper bound of the bytes of a resource of the stored shape: 6 bytes at most per character (\u0000), plus keys and indentation. */
function storedBound(r: ResourceFields): number {
  return 400 + 6 * (r.name.length + r.lvb.length) + queueBound(r.grantQueue) + queueBound(r.convertQueue) + queueBound(r.waitQueue)
}

function queueAt(b: Buffer, p: number, q: LockFields[]): number {
  if (q.length === 0) return asciiAt(b, p, '[]')
  for (let i = 0; i < q.length; i++) {
    const l = q[i]
    p = asciiAt(b, p, i ? ',\n            {\n              "id": ' : '[\n            {\n              "id": ')
    p = intAt(b, p, l.id)
    p = stringAt(b, asciiAt(b, p, ',\n              "lvb": '), l.lvb)
    p = stringAt(b, asciiAt(b, p, ',\n              "mode": '), l.mode)
    p = stringAt(b, asciiAt(b, p, ',\n              "node": '), l.node)
    p = asciiAt(b, p, l.persistent ? ',\n              "persistent": true' : ',\n              "persistent": false')
    if (l.requestedMode !== undefined) p = stringAt(b, asciiAt(b, p, ',\n              "requestedMode": '), l.requestedMode)
    if (l.writeLvb !== undefined) p = stringAt(b, asciiAt(b, p, ',\n              "writeLvb": '), l.writeLvb)
    p = asciiAt(b, p, '\n            }')
  }
  return asciiAt(b, p, '\n          ]')
}

function resourceAt(b: Buffer, p: number, r: ResourceFields): number {
  p = queueAt(b, asciiAt(b, p, '        {\n          "convertQueue": '), r.convertQueue)
  p = queueAt(b, asciiAt(b, p, ',\n          "grantQueue": '), r.grantQueue)
  p = stringAt(b, asciiAt(b, p, ',\n          "lvb": '), r.lvb)
  p = asciiAt(b, p, r.lvbValid ? ',\n          "lvbValid": true' : ',\n          "lvbValid": false')
  p = stringAt(b, asciiAt(b, p, ',\n          "name": '), r.name)
  p = asciiAt(b, p, r.persistent ? ',\n          "persistent": true' : ',\n          "persistent": false')
  p = queueAt(b, asciiAt(b, p, ',\n          "waitQueue": '), r.waitQueue)
  return asciiAt(b, p, '\n        }')
}

/**
 * A domain's resources as the value of export's "resources" key: the bytes
 * `canonical` (canonicalJson of the resources) would print at that depth. Resources
 * of the stored shape (bucket lines among them) are written byte by byte; any other
 * item through `canonical`.
 */
export async function writeExportResources(resources: Iterable<unknown>, send: Send, canonical: (items: unknown[]) => string): Promise<void> {
  const sink = new ByteSink(send)
  let first = true
  for (const item of resources) {
    // A bucket line (ResourceLine) is read into a resource of the stored shape.
    const r = item instanceof ResourceLine ? item.parse() : item
    let wait: Promise<void> | undefined
    if (r !== item || isStoredResource(r)) {
      wait = sink.room(storedBound(r as ResourceFields) + 16)
      sink.pos = resourceAt(sink.buf, asciiAt(sink.buf, sink.pos, first ? '[\n' : ',\n'), r as ResourceFields)
    } else {
      const text = canonical([r])
      // "[\n  {…}\n]\n": the item, 6 spaces deeper (it sits at 8).
      wait = sink.text((first ? '[\n        ' : ',\n        ') + text.slice(4, text.length - 3).replaceAll('\n', '\n      '))
    }
    first = false
    if (wait) await wait
  }
  await sink.text(first ? '[]' : '\n      ]')
  await sink.flush()
}
