// `--state etcd://HOST:PORT[,HOST:PORT…]/PREFIX`: which etcd members to talk to
// and the key space of this cluster (several clusters can share one etcd).
// Parsed by hand: WHATWG URL does not accept a comma-separated host list.
import {DlmError} from '../../errors.js'

export interface EtcdTarget {
  /** host:port of each member, in the order given (tried in that order). */
  endpoints: string[]
  /** The cluster's key prefix, without leading or trailing '/': keys are `<prefix>/…`. */
  prefix: string
}

export const isEtcdState = (state: string): boolean => state.startsWith('etcd://')

/** How a message names the state: "state directory" for a directory; an etcd state by its URL (endpoints and prefix). */
export const stateName = (state: string): string => (isEtcdState(state) ? `etcd state ${state}` : 'state directory')

// A prefix names a key space a person types with etcdctl: printable, no spaces,
// path-like segments, none empty, '.' or '..'.
const PREFIX_SEGMENT = /^[A-Za-z0-9_.-]{1,64}$/
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})$/

export function parseEtcdUrl(state: string): EtcdTarget {
  const bad = (why: string) =>
    new DlmError('USAGE', `--state ${JSON.stringify(state)} is not an etcd URL: ${why} (expected etcd://HOST:PORT[,HOST:PORT…]/PREFIX)`)
  if (!isEtcdState(state)) throw bad('it does not start with etcd://')
  const rest = state.slice('etcd://'.length)
  const slash = rest.indexOf('/')
  if (slash < 0) throw bad('no /PREFIX after the endpoints')
  const hosts = rest.slice(0, slash)
  const prefix = rest.slice(slash + 1).replace(/\/+$/, '')
  if (!hosts) throw bad('no endpoint')
  const endpoints: string[] = []
  for (const hp of hosts.split(',')) {
    const m = /^(.*):(\d{1,5})$/.exec(hp)
    if (!m || !HOST.test(m[1])) throw bad(`endpoint ${JSON.stringify(hp)} is not HOST:PORT`)
    const port = Number(m[2])
    if (port < 1 || port > 65535) throw bad(`port ${m[2]} is out of range 1-65535`)
    if (!endpoints.includes(hp)) endpoints.push(hp)
  }
  if (!prefix) throw bad('the PREFIX is empty')
  const segments = prefix.split('/')
  for (const s of segments)
    if (!PREFIX_SEGMENT.test(s) || s === '.' || s === '..')
      throw bad(`prefix segment ${JSON.stringify(s)} must be 1-64 of A-Z a-z 0-9 _ . - (not . or ..)`)
  return {endpoints, prefix}
}
