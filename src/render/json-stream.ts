// A JSON document of the shape {"<key>": [items…]} written as items arrive,
// byte for byte what JSON.stringify(doc, null, 2) + "\n" prints, so a listing of
// a million locks never has to be held in memory. Items are serialized a batch at
// a time as the same document shape (one native call), then cut out of it.
// Writes respect backpressure.
import {once} from 'node:events'

const BATCH = 2048

export async function writeJsonList(out: NodeJS.WritableStream, key: string, items: Iterable<unknown> | AsyncIterable<unknown>): Promise<void> {
  const open = `{\n  ${JSON.stringify(key)}: [\n`
  const close = '\n  ]\n}\n'
  let batch: unknown[] = []
  let first = true
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain')
  }
  const flush = async () => {
    if (batch.length === 0) return
    const doc = JSON.stringify({[key]: batch}, null, 2)
    batch = []
    // doc is open + items + '\n  ]\n}': keep the items, joined to what came before by ',\n'.
    await write((first ? open : ',\n') + doc.slice(open.length, doc.length - close.length + 1))
    first = false
  }
  if (Symbol.iterator in items) {
    // A synchronous source is read synchronously: no promise per item.
    for (const item of items) {
      batch.push(item)
      if (batch.length >= BATCH) await flush()
    }
  } else {
    for await (const item of items) {
      batch.push(item)
      if (batch.length >= BATCH) await flush()
    }
  }
  await flush()
  await write(first ? `{\n  ${JSON.stringify(key)}: []\n}\n` : close)
}

/**
 * Any JSON value, written as JSON.stringify(value, null, 2) + "\n" prints it, but
 * long arrays (a death's 500,000 orphaned lock ids) a batch at a time: the whole
 * text is never built in memory.
 */
export async function writeJson(out: NodeJS.WritableStream, value: unknown): Promise<void> {
  let buf = ''
  const put = async (s: string) => {
    buf += s
    if (buf.length >= 1 << 20) {
      const ok = out.write(buf)
      buf = ''
      if (!ok) await once(out, 'drain')
    }
  }
  const walk = async (v: unknown, indent: string): Promise<void> => {
    const inner = indent + '  '
    if (Array.isArray(v) && v.length > BATCH) {
      for (let i = 0; i < v.length; i += BATCH) {
        // A batch printed as an array at this depth: keep its items.
        const text = JSON.stringify(v.slice(i, i + BATCH), null, 2).replaceAll('\n', '\n' + indent)
        await put((i === 0 ? '[\n' + inner : ',\n' + inner) + text.slice(2 + indent.length + 2, text.length - indent.length - 2))
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
  buf += '\n'
  if (!out.write(buf)) await once(out, 'drain')
}

/** Is there an array longer than a batch somewhere in v (worth writing piecewise)? */
function hasLongArray(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > BATCH || v.some(hasLongArray)
  if (v && typeof v === 'object') return Object.values(v).some(hasLongArray)
  return false
}
