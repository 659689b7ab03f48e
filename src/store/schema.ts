// Every state file is checked against its shape when read: a file that is not
// JSON or not of its shape is StateCorrupt (exit 4) naming the file and the path.
import {StateCorrupt} from '../errors.js'
import {MODES} from '../model/modes.js'
import {ID, META_KEY, NODE_NAME, RESOURCE_NAME, RESOURCE_NAME_MAX} from '../model/names.js'
import type {ClusterConfig, DomainMeta, Membership, Resource} from '../model/types.js'
import {arr, bool, either, explain, int, num, nul, obj, oneOf, record, str, type Check} from './shape.js'

const Name = str({pattern: NODE_NAME})
const ResourceName = str({pattern: RESOURCE_NAME})
const Iso = str({min: 10})
const Hex = str({pattern: /^(?:[0-9a-f]{2})*$/})
const Mode = oneOf(...MODES)
const Count = int(0)

export interface Schema<T> {
  check: Check
  /** Only for typing. */
  readonly _t?: T
}
const schema = <T>(check: Check): Schema<T> => ({check})

export const ClusterSchema = schema<ClusterConfig>(
  obj({
    format: oneOf(1),
    name: str({min: 1}),
    lvbSize: int(1, 1024),
    fenceCmd: either(arr(str(), {min: 1}), nul),
    fenceTimeoutMs: int(1),
  }),
)

export const MembershipSchema = schema<Membership>(
  obj({
    generation: int(1),
    nodes: arr(obj({name: Name, state: oneOf('up', 'dead', 'recovered'), incarnation: int(1), heartbeat: Iso})),
  }),
)

export const DomainSchema = schema<DomainMeta>(
  obj({
    name: Name,
    members: arr(Name),
    state: oneOf('normal', 'recovering'),
    epoch: Count,
    deadNodes: arr(Name),
    attachments: arr(obj({id: int(1), node: Name, epoch: Count})),
    nextLockId: int(1),
    nextAttachId: int(1),
    nextSeq: int(1),
    change: either(
      obj({seq: int(1), kind: oneOf('death'), node: Name, done: bool}),
      obj({seq: int(1), kind: oneOf('validate'), dead: arr(Name), done: bool}),
    ),
  }, {optional: ['nextSeq', 'change']}),
)

const LockShape = obj(
  {id: int(1), node: Name, mode: Mode, requestedMode: Mode, persistent: bool, lvb: Hex, writeLvb: Hex},
  {optional: ['requestedMode', 'writeLvb']},
)

export const BucketSchema = schema<{applied?: number; resources: Resource[]}>(
  obj({
    /** The last logical change of the domain applied to this bucket (absent: none). */
    applied: int(1),
    resources: arr(
      obj({
        name: ResourceName,
        lvb: Hex,
        lvbValid: bool,
        persistent: bool,
        grantQueue: arr(LockShape),
        convertQueue: arr(LockShape),
        waitQueue: arr(LockShape),
      }),
    ),
  }, {optional: ['applied']}),
)

export const IndexSchema = schema<{locks: Record<string, string>}>(obj({locks: record(/^[0-9]+$/, ResourceName)}))

export interface EventRecord extends Record<string, unknown> {
  time: string
  at: number
  type: string
}
export const EventSchema = schema<EventRecord>(obj({time: Iso, at: num, type: str({min: 1})}, {open: true}))

/** Check an already-parsed value against its shape. */
export function checkShape<T>(s: Schema<T>, value: unknown, file: string): T {
  const e = explain(s.check, value)
  if (e !== undefined) throw new StateCorrupt(file, e)
  return value as T
}

export function parseJson<T>(s: Schema<T>, text: string, file: string): T {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new StateCorrupt(file, text.trim() === '' ? 'empty or truncated' : `not JSON (${(e as Error).message})`)
  }
  return checkShape(s, value, file)
}

/** One JSON document per line; a torn last line is damage here (event logs are written whole). */
export function parseJsonLines<T>(s: Schema<T>, text: string, file: string): T[] {
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines.map((line, i) => parseJson(s, line, `${file}:${i + 1}`))
}

/** fs/<fs>/meta.json: applied metadata; a deleted key keeps its seq (value null) so older records stay ignored. */
export interface FsMeta {
  keys: Record<string, {value: string | null; seq: number}>
}
export const MetaSchema = schema<FsMeta>(obj({keys: record(META_KEY, obj({value: either(str(), nul), seq: int(1)}))}))

/** fs/<fs>/journal/<node>.point.json: offset up to which the journal is applied (checkpoint or replay). */
export interface JournalPoint {
  offset: number
}
export const PointSchema = schema<JournalPoint>(obj({offset: int(0)}))

// Bucket files in the line layout (core/ordered.ts) are what a listing of a million
// locks reads: checked here by one regular expression per line, without parsing.
// The expression takes exactly the text JSON.stringify writes for a resource with
// its keys in the order dlmctl builds them, and is narrower than BucketSchema, so
// every line it takes BucketSchema takes too. A file it does not take whole is not
// wrong: it is read the ordinary way (parsed, then checked by BucketSchema).
/** A whole-string rule of the model (^…$) as a piece of a larger expression. */
const inner = (re: RegExp) => re.source.replace(/^\^(.*)\$$/, '$1')
const ID_RE = inner(ID)
const NODE_RE = inner(NODE_NAME)
const MODE_RE = `"(?:${MODES.join('|')})"`
const HEX_RE = '"(?:[0-9a-f]{2})*"'
const LOCK_RE = `\\{"id":${ID_RE},"node":"${NODE_RE}","mode":${MODE_RE}(?:,"requestedMode":${MODE_RE})?,"persistent":(?:true|false),"lvb":${HEX_RE}(?:,(?:"requestedMode":${MODE_RE}|"writeLvb":${HEX_RE})){0,2}\\}`
const QUEUE_RE = `\\[(?:${LOCK_RE}(?:,${LOCK_RE})*)?\\]`
/**
 * One resource; group 1 the name: RESOURCE_NAME's characters but the two JSON
 * escapes ('"' and '\\'), so that its JSON text is the name. Its length (at most
 * RESOURCE_NAME_MAX) is checked on the match: a bounded repeat here made the
 * expression 15 % slower (4,000-line buckets).
 */
const RESOURCE_RE = `\\{"name":"([\\x21\\x23-\\x5b\\x5d-\\x7e]+)","lvb":${HEX_RE},"lvbValid":(?:true|false),"persistent":(?:true|false),"grantQueue":${QUEUE_RE},"convertQueue":${QUEUE_RE},"waitQueue":${QUEUE_RE}\\}`
/** One resource line; group 2 ',' unless the last line. */
const RESOURCE_LINE = new RegExp(`${RESOURCE_RE}(,?)\\n`, 'y')
const ONE_RESOURCE = new RegExp(`^${RESOURCE_RE}$`)

/** One resource's text (a line of a bucket file, without its ','), as canonicalBucketLines takes its lines. */
export const isCanonicalResource = (json: string): boolean => (ONE_RESOURCE.exec(json)?.[1].length ?? Infinity) <= RESOURCE_NAME_MAX

const LINES_HEAD = new RegExp(`^\\{(?:"applied":(${ID_RE}),)?"resources":\\[\n`)
const LINES_TAIL = ']}\n'

/**
 * The stamp and resource names of a bucket file in the line layout when every line
 * is a resource BucketSchema accepts (see above), else undefined (not known valid).
 */
export function canonicalBucketLines(text: string): {applied: number; names: string[]} | undefined {
  const head = LINES_HEAD.exec(text)
  if (!head || !text.endsWith(LINES_TAIL)) return undefined
  const end = text.length - LINES_TAIL.length
  const names: string[] = []
  let at = head[0].length
  while (at < end) {
    RESOURCE_LINE.lastIndex = at
    const m = RESOURCE_LINE.exec(text)
    // A ',' after every resource but the last.
    if (!m || m[1].length > RESOURCE_NAME_MAX || (m[2] === ',') !== (RESOURCE_LINE.lastIndex < end)) return undefined
    names.push(m[1])
    at = RESOURCE_LINE.lastIndex
  }
  return names.length === 0 ? undefined : {applied: head[1] === undefined ? 0 : Number(head[1]), names}
}
