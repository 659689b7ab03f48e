// A JSON document of the shape {"<key>": [items…]} written as items arrive,
// byte for byte what JSON.stringify(doc, null, 2) + "\n" prints, so a listing of
// a million locks never has to be held in memory. Items are serialized a batch at
// a time as the same document shape (one native call), then cut out of it.
// Writes respect backpressure.
import {once} from 'node:events'

const BATCH = 2048

export async function writeJsonList(out: NodeJS.WritableStream, key: string, items: AsyncIterable<unknown>): Promise<void> {
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
  for await (const item of items) {
    batch.push(item)
    if (batch.length >= BATCH) await flush()
  }
  await flush()
  await write(first ? `{\n  ${JSON.stringify(key)}: []\n}\n` : close)
}
