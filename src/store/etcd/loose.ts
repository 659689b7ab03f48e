// Loose reads of an etcd state for shell completion: the newest revision, no
// scope compared, each read bounded by a short deadline (a shell waits on every
// Tab), and any failure (etcd unreachable, a missing key) reads as nothing.
import {etcdStore} from './store.js'

export function looseEtcdFiles(url: string, waitMs: number) {
  const store = etcdStore(url)
  const r = store.reader(0) // 0: each read at the newest revision
  const quietly = async <T>(fn: () => Promise<T>, none: T): Promise<T> => {
    try {
      return await store.within(waitMs, fn)
    } catch {
      return none
    }
  }
  return {
    text: (rel: string) => quietly(async () => (await r.read(rel))?.toString('utf8'), undefined),
    list: (rel: string) => quietly(() => r.list(rel), [] as string[]),
    /** Let the process end at once (no kept-alive connection holds it). */
    close: () => store.client.close(),
  }
}
