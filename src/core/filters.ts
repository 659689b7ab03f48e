// Filters that name a node or a file system are checked like any other name: a
// typo answers UNKNOWN_NODE / UNKNOWN_DOMAIN (exit 2), never an empty listing
// that reads as "nothing happened".
import {findNode} from '../model/membership.js'
import type {ClusterState} from './state.js'

export async function checkFilters(s: ClusterState, f: {node?: string; domain?: string}): Promise<void> {
  if (f.node !== undefined) findNode(await s.membership(), f.node)
  if (f.domain !== undefined) await s.domain(f.domain)
}
