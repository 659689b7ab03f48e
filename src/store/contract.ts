// The store's contract: which scope (kernel lock) guards which file. A writer
// may stage a change only to files its scopes guard (transact checks every
// staged path through guardOf, given as TxOptions.guardOf by withTx, and a path outside them is a programming error
// thrown at once, before anything is written); readers read every file through
// the overlay of pending records of their scopes (txdir.ts), writers after
// rolling those records forward. man/dlmctl-state.5 states the same table.
//
//   membership       cluster.json, membership.json, events.jsonl (membership events)
//   domain.<fs>      domains/<fs>/** (domain.json, res/ buckets, locks/ index,
//                    events.jsonl: the domain's own event log) and fs/<fs>/**
//                    (meta.json, journal/<node>.jsonl, journal/<node>.point.json)
//   recover.<fs>     no file: held by a running `recover` for the whole procedure
//                    (a second recover of <fs> waits on it)
//
// Not guarded by a scope: commit/ (records; each names its scopes), lock/ (the
// lock files), .dlmctl-init (init's marker, before the directory is a cluster).
import {CLUSTER, EVENTS, MEMBERSHIP, SCOPE_MEMBERSHIP, domainScope, fsOfPath} from './layout.js'

/** The scope that guards a state file (relative, normalised path), or null for a path no scope may write. */
export function guardOf(rel: string): string | null {
  if (rel === CLUSTER || rel === MEMBERSHIP || rel === EVENTS) return SCOPE_MEMBERSHIP
  const fs = fsOfPath(rel)
  if (fs !== undefined) {
    try {
      return domainScope(fs)
    } catch {
      return null // not a valid file system name: no scope guards it
    }
  }
  return null
}
