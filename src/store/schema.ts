// Every state file is checked against a compiled schema when read: a file that
// is not JSON or not of its shape is StateCorrupt (exit 4) naming the file.
import {Type as T, type Static, type TSchema} from '@sinclair/typebox'
import {TypeCompiler} from '@sinclair/typebox/compiler'
import {StateCorrupt} from '../errors.js'
import {MODES} from '../model/modes.js'

const Name = T.String({pattern: '^[a-z][a-z0-9-]{0,31}$'})
const Iso = T.String({minLength: 10})
const Hex = T.String({pattern: '^([0-9a-f]{2})*$'})
const Mode = T.Union(MODES.map((m) => T.Literal(m)))
const Count = T.Integer({minimum: 0})

export const ClusterSchema = T.Object({
  format: T.Literal(1),
  name: T.String({minLength: 1}),
  lvbSize: T.Integer({minimum: 1, maximum: 1024}),
  fenceCmd: T.Union([T.Array(T.String(), {minItems: 1}), T.Null()]),
  fenceTimeoutMs: T.Integer({minimum: 1}),
})

export const MembershipSchema = T.Object({
  generation: T.Integer({minimum: 1}),
  nodes: T.Array(
    T.Object({
      name: Name,
      state: T.Union([T.Literal('up'), T.Literal('dead'), T.Literal('recovered')]),
      incarnation: T.Integer({minimum: 1}),
      heartbeat: Iso,
    }),
  ),
})

export const DomainSchema = T.Object({
  name: Name,
  members: T.Array(Name),
  state: T.Union([T.Literal('normal'), T.Literal('recovering')]),
  epoch: Count,
  deadNodes: T.Array(Name),
  attachments: T.Array(T.Object({id: T.Integer({minimum: 1}), node: Name, epoch: Count})),
  nextLockId: T.Integer({minimum: 1}),
  nextAttachId: T.Integer({minimum: 1}),
})

const LockSchema = T.Object({
  id: T.Integer({minimum: 1}),
  node: Name,
  mode: Mode,
  requestedMode: T.Optional(Mode),
  persistent: T.Boolean(),
  lvb: Hex,
  writeLvb: T.Optional(Hex),
})

export const BucketSchema = T.Object({
  resources: T.Array(
    T.Object({
      name: T.String({minLength: 1}),
      lvb: Hex,
      lvbValid: T.Boolean(),
      persistent: T.Boolean(),
      grantQueue: T.Array(LockSchema),
      convertQueue: T.Array(LockSchema),
      waitQueue: T.Array(LockSchema),
    }),
  ),
})

export const IndexSchema = T.Object({locks: T.Record(T.String({pattern: '^[0-9]+$'}), T.String())})

export const EventSchema = T.Object({time: Iso, at: T.Number(), type: T.String()}, {additionalProperties: true})

export type Bucket = Static<typeof BucketSchema>
export type IndexChunk = Static<typeof IndexSchema>
export type EventRecord = Static<typeof EventSchema> & Record<string, unknown>

const compiled = new Map<TSchema, ReturnType<typeof TypeCompiler.Compile>>()
function checker(schema: TSchema) {
  let c = compiled.get(schema)
  if (!c) compiled.set(schema, (c = TypeCompiler.Compile(schema)))
  return c
}

/** Check an already-parsed value; the first schema error names the path. */
export function checkShape<S extends TSchema>(schema: S, value: unknown, file: string): Static<S> {
  const c = checker(schema)
  if (!c.Check(value)) {
    const e = c.Errors(value).First()
    throw new StateCorrupt(file, e ? `${e.path || '/'}: ${e.message}` : 'wrong shape')
  }
  return value as Static<S>
}

export function parseJson<S extends TSchema>(schema: S, text: string, file: string): Static<S> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new StateCorrupt(file, text.trim() === '' ? 'empty or truncated' : `not JSON (${(e as Error).message})`)
  }
  return checkShape(schema, value, file)
}

/** One JSON document per line; a torn last line is damage here (event logs are written whole). */
export function parseJsonLines<S extends TSchema>(schema: S, text: string, file: string): Static<S>[] {
  const out: Static<S>[] = []
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  lines.forEach((line, i) => out.push(parseJson(schema, line, `${file}:${i + 1}`)))
  return out
}
