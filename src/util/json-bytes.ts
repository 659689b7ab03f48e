// JSON text written straight into bytes, for documents of a million items: a
// writer of a known shape puts its constant text and its values into a buffer,
// which costs a fraction of building objects for JSON.stringify. Strings are
// written as JSON.stringify writes them (plain printable ASCII as it is, any
// other string through JSON.stringify).
import {once} from 'node:events'

const CHUNK = 1 << 20

/** Where bytes (or text) go: a promise when the receiver asks to wait (backpressure). */
export type Send<T extends Buffer | string = Buffer> = (chunk: T) => Promise<void> | undefined

export const streamSend =
  <T extends Buffer | string = Buffer>(out: NodeJS.WritableStream): Send<T> =>
  (chunk) =>
    out.write(chunk) ? undefined : once(out, 'drain').then(() => {})

/** Bytes collected a megabyte at a time. */
export class ByteSink {
  buf = Buffer.allocUnsafe(CHUNK)
  pos = 0
  constructor(private send: Send) {}

  /** Make room for n bytes (a promise when the receiver asks to wait). */
  room(n: number): Promise<void> | undefined {
    if (this.pos + n <= this.buf.length) return undefined
    const wait = this.flush()
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n)
    return wait
  }

  text(s: string): Promise<void> | undefined {
    const wait = this.room(Buffer.byteLength(s))
    this.pos += this.buf.write(s, this.pos, 'utf8')
    return wait
  }

  flush(): Promise<void> | undefined {
    if (this.pos === 0) return undefined
    // A fresh buffer each time: the receiver may still hold the one it was given.
    const chunk = this.buf.subarray(0, this.pos)
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, this.buf.length))
    this.pos = 0
    return this.send(chunk)
  }
}

/** Text collected a megabyte at a time, for documents never built as one string (writeJson, big tables). */
export class TextSink {
  private buf = ''
  constructor(private send: Send<string>) {}

  /** A promise when the receiver asks to wait. */
  put(s: string): Promise<void> | undefined {
    this.buf += s
    if (this.buf.length < CHUNK) return undefined
    const chunk = this.buf
    this.buf = ''
    return this.send(chunk)
  }

  /** What is left, then `s`. */
  end(s = ''): Promise<void> | undefined {
    const chunk = this.buf + s
    this.buf = ''
    return chunk === '' ? undefined : this.send(chunk)
  }
}

export const both = (a: Promise<void> | undefined, b: Promise<void> | undefined) => (a && b ? Promise.all([a, b]).then(() => {}) : (a ?? b))

/** s at p if JSON.stringify writes it as it is (printable ASCII, no '"' or '\'); -1 if not. */
function plainAt(b: Buffer, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return -1
    b[p++] = c
  }
  return p
}

/** Text known to be ASCII at p. */
export function asciiAt(b: Buffer, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i)
  return p
}

/** A safe integer at p, as JSON.stringify writes it. */
export function intAt(b: Buffer, p: number, n: number): number {
  if (n < 0) return asciiAt(b, p, String(n))
  let end = p + 1
  for (let x = n; x >= 10; x = Math.floor(x / 10)) end++
  for (let i = end - 1, x = n; i >= p; i--, x = Math.floor(x / 10)) b[i] = 0x30 + (x % 10)
  return end
}

/** The JSON string of s at p (JSON.stringify's bytes). */
export function stringAt(b: Buffer, p: number, s: string): number {
  b[p] = 0x22
  const q = plainAt(b, p + 1, s)
  if (q < 0) return p + b.write(JSON.stringify(s), p, 'utf8')
  b[q] = 0x22
  return q + 1
}
