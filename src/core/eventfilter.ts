// Which events `events --domain/--node/--type` keep (shared by the listing and --follow).
export interface EventFilter {
  domain?: string
  node?: string
  type?: string
}

/** All given filters hold: the domain field, the node field or nodes list, the type or a type prefix (node → node.*). */
export function eventMatches(e: Record<string, unknown>, f: EventFilter): boolean {
  return (
    (!f.domain || e.domain === f.domain) &&
    (!f.node || e.node === f.node || (Array.isArray(e.nodes) && e.nodes.includes(f.node))) &&
    (!f.type || e.type === f.type || String(e.type).startsWith(f.type + '.'))
  )
}
