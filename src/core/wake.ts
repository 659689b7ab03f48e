// When status --watch and events --follow look at the state again. A state
// directory is polled: every interval (its checks cost a few stat calls). On
// etcd the store's watch stream wakes them at each commit instead, with no
// polling while the stream is up (EtcdStore.changeFeed).
import type {Ctx} from './context.js'
import {onEtcd} from './context.js'
import type {ChangeFeed} from '../store/etcd/store.js'
import {latch} from '../util/latch.js'

export type Wake = ChangeFeed

function timer(): Wake {
  const l = latch()
  return {wait: (ms) => l.wait(ms), interrupt: l.fire, close: l.fire}
}

/** Open before the first read: on etcd no commit after that read goes unseen. */
export async function changeWake(ctx: Pick<Ctx, 'root'>): Promise<Wake> {
  const etcd = await onEtcd(ctx)
  return etcd ? etcd.changeFeed() : timer()
}
