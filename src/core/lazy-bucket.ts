// A bucket file read for a writer that touches a few of its resources (a lock
// request, convert, release). The file stays as the bytes read. Its lines are
// in name order, so the resources asked for are found by binary search on the
// bytes (a dozen lines looked at, of the 4,000 a bucket holds at a million
// locks), and only they are decoded, parsed and validated. On write, the changed
// resources are serialized again and spliced between the untouched bytes, so a
// request's cost does not grow with the bucket beyond reading and writing its
// bytes once.
//
// What this reader checks is what it touches: the head and tail of the file and
// the lines it looks at (a new resource goes between the two lines the search
// looked at last, a smaller name and a larger one). A damaged line elsewhere in
// the bucket, or names out of order, are copied as they are and reported by
// `check`, which reads every line. Any file not in the one-resource-per-line
// layout is read whole instead.
import {DlmError} from '../errors.js'
import {applyChange, concernMarks} from '../model/changes.js'
import {isIdle} from '../model/resource.js'
import type {LogicalChange, Resource} from '../model/types.js'
import {bucketOf} from '../store/layout.js'
import {concernedLines} from '../store/resource-line.js'
import {BucketSchema, parseJson} from '../store/schema.js'

const HEAD = /^\{(?:"applied":([0-9]+),)?"resources":\[\n$/
const EMPTY = /^\{(?:"applied":([0-9]+),)?"resources":\[\]\}\n$/
const NL = 0x0a
const COMMA = 0x2c
const QUOTE = 0x22
const BACKSLASH = 0x5c
const NAME_PREFIX = Buffer.from('{"name":"', 'latin1')
const TAIL = Buffer.from('\n]}\n', 'latin1')

/** A resource line: bytes [at, end) without its ',' and newline; `next` is where the next line starts. */
interface Line {
  at: number
  end: number
  next: number
  name: string
}

export class LazyBucket {
  /** Resources parsed (or created) here, by name; null: gone (idle after the change). */
  private parsed = new Map<string, Resource | null>()
  /** The lines of the resources in `parsed` that the file has. */
  private lines = new Map<string, Line>()

  private constructor(
    readonly file: string,
    readonly bucket: number,
    /** The file's bytes. */
    private bytes: Buffer,
    /** Where the first line starts, and where the tail ('\n]}\n') does; first > last: no lines. */
    private first: number,
    private last: number,
    /** The last logical change the file includes. */
    readonly applied: number,
    /** The change to apply to what is read (the bucket is behind it), if any. */
    private change: LogicalChange | undefined,
    private lvbSize: number,
  ) {}

  /** null when the bytes are not in the line layout. */
  static of(file: string, bucket: number, bytes: Buffer, lastChange: LogicalChange | undefined, lvbSize: number): LazyBucket | null {
    const firstNl = bytes.indexOf(NL)
    if (firstNl < 0) return null
    const headText = bytes.toString('latin1', 0, firstNl + 1)
    const head = HEAD.exec(headText)
    const last = bytes.length - TAIL.length
    if (!head) {
      const empty = bytes.length === firstNl + 1 ? EMPTY.exec(headText) : null
      if (!empty) return null
      const applied = Number(empty[1] ?? 0)
      return new LazyBucket(file, bucket, bytes, 1, 0, applied, behind(lastChange, applied), lvbSize)
    }
    if (last <= firstNl || bytes.compare(TAIL, 0, TAIL.length, last) !== 0) return null
    const applied = Number(head[1] ?? 0)
    return new LazyBucket(file, bucket, bytes, firstNl + 1, last, applied, behind(lastChange, applied), lvbSize)
  }

  /** The stamp the bucket's content has in memory (the last change applied). */
  get stamp(): number {
    return this.change ? this.change.seq : this.applied
  }

  /** The end of the lines: where a line would start after the last one. */
  private get endOfLines(): number {
    return this.last + 1
  }

  /** The line starting at `at` (a line start before endOfLines). */
  private lineAt(at: number): Line {
    const b = this.bytes
    const nl = b.indexOf(NL, at)
    const end = nl === this.last ? nl : nl - 1
    if (nl < 0 || nl > this.last || (nl < this.last && b[end] !== COMMA) || b.compare(NAME_PREFIX, 0, NAME_PREFIX.length, at, at + NAME_PREFIX.length) !== 0) {
      throw new DlmError('STATE_CORRUPT', `${this.file}: the line at byte ${at} is not a resource line (run: dlmctl check)`)
    }
    let q = at + NAME_PREFIX.length
    let escaped = false
    for (; q < end && b[q] !== QUOTE; q++) {
      if (b[q] === BACKSLASH) {
        escaped = true
        q++
      }
    }
    const raw = b.toString('utf8', at + NAME_PREFIX.length, q)
    return {at, end, next: nl + 1, name: escaped ? (JSON.parse(`"${raw}"`) as string) : raw}
  }

  /** The start of the line holding byte p (first <= p < endOfLines). */
  private lineStartOf(p: number): number {
    return Math.max(this.first, this.bytes.lastIndexOf(NL, p - 1) + 1)
  }

  /** Where the first line whose name is not before `name` starts (endOfLines if none). */
  private lowerBound(name: string): number {
    let lo = this.first
    let hi = this.endOfLines
    // lo and hi are line starts; every line before lo is before `name`, none from hi on is.
    while (lo < hi) {
      const line = this.lineAt(this.lineStartOf((lo + hi) >>> 1))
      if (line.name < name) lo = line.next
      else hi = line.at
    }
    return lo
  }

  /** The line of resource `name`, if the file has one. */
  private lineNamed(name: string): Line | undefined {
    const at = this.lowerBound(name)
    if (at >= this.endOfLines) return undefined
    const line = this.lineAt(at)
    return line.name === name ? line : undefined
  }

  get(name: string): Resource | undefined {
    const got = this.parsed.get(name)
    if (got !== undefined) return got ?? undefined
    const line = this.lineNamed(name)
    if (!line) return undefined
    return this.take(line)
  }

  /** Parse a line, bring it up to date, and keep it as touched. */
  private take(line: Line): Resource | undefined {
    const res = this.parseLine(line)
    const up = this.bringUp(res)
    this.parsed.set(line.name, up ?? null)
    this.lines.set(line.name, line)
    return up
  }

  /** A new resource (the caller checked `get` first). */
  put(res: Resource): void {
    this.parsed.set(res.name, res)
  }

  private parseLine(line: Line): Resource {
    const text = this.bytes.toString('utf8', line.at, line.end)
    const res = parseJson<{resources: Resource[]}>(BucketSchema, `{"resources":[${text}]}`, this.file).resources[0]
    if (res.name !== line.name) throw new DlmError('STATE_CORRUPT', `${this.file}: the line at byte ${line.at} is not a resource line (run: dlmctl check)`)
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
    for (let at = this.first; at < this.endOfLines; ) {
      const line = this.lineAt(at)
      const r = this.parsed.has(line.name) ? this.parsed.get(line.name) : this.take(line)
      if (r) m.set(line.name, r)
      at = line.next
    }
    for (const [name, r] of this.parsed) if (r && !m.has(name)) m.set(name, r)
    return m
  }

  /** Take the lines the change this bucket is behind may concern (their text holds one of its marks, model/changes.ts). */
  private takeConcerned(): void {
    if (!this.change || this.first > this.last) return
    for (const {at} of concernedLines(this.bytes, concernMarks(this.change))) {
      const line = this.lineAt(at)
      if (!this.parsed.has(line.name)) this.take(line)
    }
  }

  /** The new file: the untouched bytes as they are, and between them the changed resources (the change applied where it may concern them) serialized, in name order. */
  image(): Buffer {
    this.takeConcerned()
    // What goes where: a touched line in its place, a new resource before the line it sorts before.
    const placed: {at: number; name: string; line?: Line}[] = []
    for (const name of this.parsed.keys()) {
      const line = this.lines.get(name)
      if (line) placed.push({at: line.at, name, line})
      else placed.push({at: this.lowerBound(name), name})
    }
    // At one place, a new resource sorts before the line there (lowerBound).
    placed.sort((x, y) => x.at - y.at || (x.line ? 1 : 0) - (y.line ? 1 : 0) || (x.name < y.name ? -1 : 1))
    // Items joined by ',\n': untouched lines between two places are one slice of the bytes.
    const items: (Buffer | string)[] = []
    let kept = this.first // the next byte not yet copied or replaced (a line start)
    const keepUpTo = (at: number) => {
      if (at > kept) items.push(this.bytes.subarray(kept, at === this.endOfLines ? this.last : at - 2))
      kept = Math.max(kept, at)
    }
    for (const p of placed) {
      keepUpTo(p.at)
      const r = this.parsed.get(p.name)
      if (r && !isIdle(r, this.lvbSize)) items.push(JSON.stringify(r))
      if (p.line) kept = p.line.next
    }
    keepUpTo(this.endOfLines)
    const stamp = this.stamp
    const head = stamp > 0 ? `{"applied":${stamp},"resources":[` : '{"resources":['
    if (items.length === 0) return Buffer.from(`${head}]}\n`, 'latin1')
    let size = head.length + 1 + 2 * (items.length - 1) + TAIL.length
    for (const it of items) size += typeof it === 'string' ? Buffer.byteLength(it) : it.length
    const out = Buffer.allocUnsafe(size)
    let at = out.write(`${head}\n`, 0, 'latin1')
    items.forEach((it, k) => {
      if (k > 0) at += out.write(',\n', at, 'latin1')
      at += typeof it === 'string' ? out.write(it, at, 'utf8') : it.copy(out, at)
    })
    at += TAIL.copy(out, at)
    return out.subarray(0, at)
  }
}

const behind = (change: LogicalChange | undefined, applied: number) => (change && !change.done && applied < change.seq ? change : undefined)
