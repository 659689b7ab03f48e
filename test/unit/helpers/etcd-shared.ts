// Etcd servers as vitest hooks and the run's shared etcd (started by
// test/etcd-global.ts, a global set-up, which must not import vitest's runtime:
// hence a module apart from etcd.ts).
import {afterAll, beforeAll, inject} from 'vitest'
import {startEtcd, type EtcdCluster} from './etcd.js'

/** The run's shared etcd (test/etcd-global.ts): what a file that needs a plain one-member etcd uses. */
export interface SharedEtcd {
  /** host:port of its one member. */
  endpoint: string
  /** `etcd://host:port/<tag>-<pid>-<n>`: a key prefix no other file or call uses. */
  url(tag: string): string
}

let urls = 0

/**
 * The shared etcd. Throws (the test or hook that asks fails) with the reason
 * when it could not be started: install Debian's etcd-server.
 */
export function sharedEtcd(): SharedEtcd {
  const got = inject('sharedEtcd')
  if (!got) throw new Error('no shared etcd: test/etcd-global.ts is not a globalSetup of this vitest project')
  if ('error' in got) throw new Error(got.error)
  const endpoint = got.endpoints[0]
  return {endpoint, url: (tag) => `etcd://${got.endpoints.join(',')}/${tag}-${process.pid}-${urls++}`}
}

/**
 * An etcd of this file's (or describe block's) own, started before its tests and
 * stopped after them: for tests that kill, pause or count the server, or start
 * it with other flags, which would disturb the files sharing the run's etcd.
 * Returns a getter (the cluster exists once the beforeAll has run).
 */
export function ownEtcd(size = 1, opts: Parameters<typeof startEtcd>[1] = {}): () => EtcdCluster {
  let etcd: EtcdCluster | undefined
  beforeAll(async () => {
    etcd = await startEtcd(size, opts)
  }, 60_000)
  afterAll(async () => {
    await etcd?.stop()
  })
  return () => {
    if (!etcd) throw new Error('ownEtcd(): the etcd is started in a beforeAll; use it inside tests and hooks')
    return etcd
  }
}
