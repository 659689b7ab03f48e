// A bucket file read for a writer that touches a few of its resources (a lock
// request, convert, release): the file's lines are kept as text, and only the
// resources asked for are parsed (and validated). On write, changed resources
// are serialized again and merged by name with the untouched lines, so a
// request's cost does not grow with the bucket. Only for files in the
// one-resource-per-line layout with names in order; any other file is read whole.
import {DlmError} from '../errors.js'
import {applyChange, mayConcern} from '../model/changes.js'
import {isIdle} from '../model/resource.js'
import type {LogicalChange, Resource} from '../model/types.js'
import {bucketOf} from '../store/layout.js'
import {BucketSchema, parseJson} from '../store/schema.js'

const HEAD = /^\{(?:"applied":([0-9]+),)?"resources":\[\n/

/** The name a resource line starts with ({"name":"…",…), or undefined if it does not. */
function nameOf(line: string): string | undefined {
  if (!line.startsWith('{"name":"')) return undefined
  let i = 9
  let escaped = false
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i)
    if (c === 0x5c) {
      escaped = true
      i++
    } else if (c === 0x22) break
  }
  if (i >= line.length) return undefined
  const raw = line.slice(9, i)
  return escaped ? (JSON.parse(`"${raw}"`) as string) : raw
}

export class LazyBucket {
  /** Resources parsed (or created) here, by name; null: gone (idle after the change). */
  private parsed = new Map<string, Resource | null>()

  private constructor(
    readonly file: string,
    readonly bucket: number,
    /** Resource lines without their trailing comma, in name order. */
    private lines: string[],
    private index: Map<string, number>,
    /** The last logical change the file includes. */
    readonly applied: number,
    /** The change to apply to what is read (the bucket is behind it), if any. */
    private change: LogicalChange | undefined,
    private lvbSize: number,
  ) {}

  /** null when the text is not in the streaming layout or its names are not in order. */
  static of(file: string, bucket: number, text: string, lastChange: LogicalChange | undefined, lvbSize: number): LazyBucket | null {
    const head = HEAD.exec(text)
    if (!head) return text === '{"resources":[]}\n' || /^\{"applied":[0-9]+,"resources":\[\]\}\n$/.test(text) ? LazyBucket.empty(file, bucket, text, lastChange, lvbSize) : null
    if (!text.endsWith('\n]}\n')) return null
    const lines = text.slice(head[0].length, text.length - 4).split('\n')
    const index = new Map<string, number>()
    let prev: string | undefined
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]
      if (i + 1 < lines.length) {
        if (!line.endsWith(',')) return null
        line = lines[i] = line.slice(0, -1)
      }
      const name = nameOf(line)
      if (name === undefined || (prev !== undefined && !(prev < name))) return null
      index.set(name, i)
      prev = name
    }
    const applied = Number(head[1] ?? 0)
    return new LazyBucket(file, bucket, lines, index, applied, behind(lastChange, applied), lvbSize)
  }

  private static empty(file: string, bucket: number, text: string, lastChange: LogicalChange | undefined, lvbSize: number): LazyBucket {
    const applied = Number(/"applied":([0-9]+)/.exec(text)?.[1] ?? 0)
    return new LazyBucket(file, bucket, [], new Map(), applied, behind(lastChange, applied), lvbSize)
  }

  /** The stamp the bucket's content has in memory (the last change applied). */
  get stamp(): number {
    return this.change ? this.change.seq : this.applied
  }

  get(name: string): Resource | undefined {
    const got = this.parsed.get(name)
    if (got !== undefined) return got ?? undefined
    const i = this.index.get(name)
    if (i === undefined) return undefined
    const res = this.parseLine(this.lines[i])
    const up = res && this.bringUp(res)
    this.parsed.set(name, up ?? null)
    return up
  }

  /** A new resource (the caller checked `get` first). */
  put(res: Resource): void {
    this.parsed.set(res.name, res)
  }

  private parseLine(line: string): Resource {
    const res = parseJson<{resources: Resource[]}>(BucketSchema, `{"resources":[${line}]}`, this.file).resources[0]
    if (bucketOf(res.name) !== this.bucket) throw new DlmError('STATE_INCONSISTENT', `${this.file}: resource '${res.name}' belongs in bucket ${bucketOf(res.name)}`)
    return res
  }

  private bringUp(res: Resource): Resource | undefined {
    if (!this.change) return res
    applyChange(res, this.change)
    return isIdle(res, this.lvbSize) ? undefined : res
  }

  /** Every resource, parsed (for a caller that needs the whole bucket after all). */
  all(): Map<string, Resource> {
    const m = new Map<string, Resource>()
    for (const name of this.index.keys()) {
      const r = this.get(name)
      if (r) m.set(name, r)
    }
    for (const [name, r] of this.parsed) if (r && !m.has(name)) m.set(name, r)
    return m
  }

  /** The new file text: untouched lines as they are (the change applied where it may concern them), the others serialized, by name. */
  text(): string {
    const concerns = this.change ? mayConcern(this.change) : undefined
    const fresh = [...this.parsed.keys()].filter((n) => !this.index.has(n)).sort()
    const out: string[] = []
    let f = 0
    const emit = (r: Resource | null | undefined) => {
      if (r && !isIdle(r, this.lvbSize)) out.push(JSON.stringify(r))
    }
    for (const [name, i] of this.index) {
      while (f < fresh.length && fresh[f] < name) emit(this.parsed.get(fresh[f++]))
      if (this.parsed.has(name)) emit(this.parsed.get(name))
      else if (concerns?.(this.lines[i])) emit(this.get(name))
      else out.push(this.lines[i])
    }
    while (f < fresh.length) emit(this.parsed.get(fresh[f++]))
    const stamp = this.stamp
    const head = stamp > 0 ? `{"applied":${stamp},"resources":[` : '{"resources":['
    return out.length ? `${head}\n${out.join(',\n')}\n]}\n` : `${head}]}\n`
  }
}

const behind = (change: LogicalChange | undefined, applied: number) => (change && !change.done && applied < change.seq ? change : undefined)
