// vitest global set-up: one throwaway etcd (test/unit/helpers/etcd.ts) for the
// whole run, shared by the files that call sharedEtcd(), each under key
// prefixes of its own. Starting one per file cost each file a second or two of
// waiting and the same set-up code written again. When etcd cannot start, the
// reason is handed on and every file that needs etcd fails with it (never a
// skip); the rest of the suite runs.
import type {TestProject} from 'vitest/node'
import {startEtcd} from './unit/helpers/etcd.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared etcd's client endpoints, or why it could not start. */
    sharedEtcd: {endpoints: string[]} | {error: string}
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const etcd = await startEtcd(1)
    project.provide('sharedEtcd', {endpoints: etcd.members.map((m) => m.endpoint)})
    return () => etcd.stop()
  } catch (e) {
    project.provide('sharedEtcd', {error: e instanceof Error ? e.message : String(e)})
    return async () => {}
  }
}
