// `events --follow`: the event logs read as they grow. The logs are append-only
// and every append is whole lines, so following needs no lock: each poll stats
// the logs (a new domain's log is picked up too) and reads only the bytes past
// what was read, up to the last complete line. Events that appear in the same
// poll are merged across logs by their ordering key, as `events` merges them.
import {open, readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {DOMAINS, EVENTS, domainEvents} from '../store/layout.js'
import {EventSchema, parseJsonLines, type EventRecord} from '../store/schema.js'
import {checkName} from '../model/names.js'
import type {Ctx} from './context.js'
import {eventMatches, type EventFilter} from './eventfilter.js'
import {isEtcdState} from '../store/etcd/url.js'

export interface Follower {
  /** Events appended since the last call (the first call: every event so far), in order, filtered. */
  poll(): Promise<Record<string, unknown>[]>
}

export function follower(ctx: Ctx, f: EventFilter): Follower {
  // On etcd the same polling, through the store: only the segments appended since are read.
  const etcd = isEtcdState(ctx.root) ? import('../store/etcd/store.js').then((m) => m.etcdStore(ctx.root)) : null
  const offsets = new Map<string, number>()
  const logs = async () => {
    const names = etcd ? await (await etcd).listLatest(DOMAINS) : await readdir(join(ctx.root, DOMAINS)).catch(() => [] as string[])
    const domains = names.filter((n) => {
      try {
        checkName('file system', n)
        return true
      } catch {
        return false
      }
    })
    return [EVENTS, ...domains.sort().map(domainEvents)]
  }
  const readNew = async (rel: string): Promise<EventRecord[]> => {
    if (etcd) {
      const {from, data} = await (await etcd).appendedSince(rel, offsets.get(rel) ?? 0)
      const text = data.toString('utf8')
      const end = text.lastIndexOf('\n') + 1
      if (end === 0) return []
      offsets.set(rel, from + Buffer.byteLength(text.slice(0, end)))
      return parseJsonLines(EventSchema, text.slice(0, end), rel) as EventRecord[]
    }
    const abs = join(ctx.root, rel)
    const size = await stat(abs).then((s) => s.size, () => 0)
    let from = offsets.get(rel) ?? 0
    if (size < from) from = 0 // replaced by a shorter log (a restored backup): read it again
    if (size === from) return []
    const fh = await open(abs, 'r')
    try {
      const buf = Buffer.alloc(size - from)
      const {bytesRead} = await fh.read(buf, 0, buf.length, from)
      const text = buf.subarray(0, bytesRead).toString('utf8')
      const end = text.lastIndexOf('\n') + 1 // a line still being written waits for the next poll
      if (end === 0) return []
      offsets.set(rel, from + Buffer.byteLength(text.slice(0, end)))
      return parseJsonLines(EventSchema, text.slice(0, end), rel) as EventRecord[]
    } finally {
      await fh.close()
    }
  }
  return {
    async poll() {
      const fresh: EventRecord[] = []
      for (const rel of await logs()) fresh.push(...(await readNew(rel)))
      return fresh
        .sort((a, b) => a.at - b.at)
        .map(({at: _at, ...rest}) => rest)
        .filter((e) => eventMatches(e, f))
    },
  }
}
