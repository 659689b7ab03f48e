// A small client for etcd's v3 JSON gateway (/v3/kv/*, /v3/lease/*, /v3/watch),
// over node:http with keep-alive: what Patroni does, with no protobuf schema to
// parse at start-up. Loaded only when --state is an etcd URL.
//
// Failure model, as an operator sees it:
// - every endpoint refuses the connection (or answers that it is not reachable)
//   → STORE_UNREACHABLE (exit 9), naming each endpoint tried and why;
// - no answer before the deadline (a partitioned member, a stopped process,
//   no leader) → STORE_TIMEOUT (exit 6), naming the endpoints tried;
// - a member that answers "unavailable" (no leader, shutting down) is skipped
//   for the next one until the deadline, as etcd's own clients do.
// Safety never rests on this client's retries: every change is a Txn whose
// compares fail when anything it read has moved (see the backend).
import http from 'node:http'
import {DlmError} from '../../errors.js'

export interface KeyValue {
  key: string
  value: Buffer
  createRevision: number
  modRevision: number
  version: number
  lease: string | null
}

export interface RangeResult {
  kvs: KeyValue[]
  more: boolean
  count: number
  /** The store revision the range was read at. */
  revision: number
}

export interface RangeOptions {
  /** Exclusive end key; with `prefix: true` the end is computed from key. */
  end?: string
  prefix?: boolean
  limit?: number
  /** Read at this revision (0 or absent: the newest). */
  revision?: number
  keysOnly?: boolean
  countOnly?: boolean
  /** Newest key first (with limit 1: the last key of the range). */
  descending?: boolean
}

/** A compare on a key's mod revision: 0 means "the key does not exist". */
export interface ModCompare {
  key: string
  modRevision: number
}

export type TxnOp =
  | {put: string; value: string | Buffer; lease?: string}
  | {del: string; prefix?: boolean; /** exclusive end key of the range to delete */ end?: string}
  | {get: string; prefix?: boolean}

export interface TxnResult {
  succeeded: boolean
  revision: number
  /** For `get` operations of the branch taken, in order: their key-values. */
  gets: KeyValue[][]
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE'
  kv: KeyValue
}

export interface ClientOptions {
  /** Per-request time limit (connect + answer); default 5 s. */
  requestTimeoutMs?: number
}

const b64 = (s: string | Buffer): string => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('base64')
const unb64 = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64')
const num = (s: unknown): number => (s === undefined || s === null || s === '' ? 0 : Number(s))

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix, 'utf8')
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1))
      end[i]++
      return end
    }
  }
  return Buffer.from([0]) // every key: etcd's "\0" range_end
}

interface RawKv {
  key?: string
  value?: string
  create_revision?: string
  mod_revision?: string
  version?: string
  lease?: string
}

const toKv = (r: RawKv): KeyValue => ({
  key: unb64(r.key).toString('utf8'),
  value: unb64(r.value),
  createRevision: num(r.create_revision),
  modRevision: num(r.mod_revision),
  version: num(r.version),
  lease: r.lease && r.lease !== '0' ? r.lease : null,
})

/** gRPC status codes etcd's gateway returns that mean "try another member / later". */
const RETRYABLE_GRPC = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */])

class EndpointDown extends Error {
  /** The member said no (nothing listens there, or no such host): not worth waiting for. */
  readonly refused: boolean
  constructor(
    readonly endpoint: string,
    readonly why: string,
    cause?: unknown,
  ) {
    super(`${endpoint}: ${why}`)
    this.refused = ['ECONNREFUSED', 'ENOTFOUND'].includes(errno(cause) ?? '')
  }
}

/** An error etcd answered (bad request, compacted revision, too many operations…). */
export class EtcdError extends Error {
  constructor(
    readonly grpcCode: number,
    message: string,
  ) {
    super(message)
  }
}

export class EtcdClient {
  readonly endpoints: string[]
  private readonly agent = new http.Agent({keepAlive: true, maxSockets: 16})
  private readonly requestTimeoutMs: number
  /** Index of the endpoint that answered last: tried first next time. */
  private current = 0

  constructor(endpoints: string[], opts: ClientOptions = {}) {
    if (endpoints.length === 0) throw new DlmError('USAGE', 'no etcd endpoint given')
    this.endpoints = endpoints
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000
  }

  /** Close idle keep-alive sockets so the process can exit at once. */
  close(): void {
    this.agent.destroy()
  }

  async range(key: string, opts: RangeOptions = {}, deadline?: number): Promise<RangeResult> {
    const body: Record<string, unknown> = {key: b64(key)}
    if (opts.prefix) body.range_end = b64(prefixEnd(key))
    else if (opts.end !== undefined) body.range_end = b64(opts.end)
    if (opts.limit) body.limit = String(opts.limit)
    if (opts.revision) body.revision = String(opts.revision)
    if (opts.keysOnly) body.keys_only = true
    if (opts.countOnly) body.count_only = true
    if (opts.descending) {
      body.sort_order = 'DESCEND'
      body.sort_target = 'KEY'
    }
    const r = (await this.call('/v3/kv/range', body, deadline)) as {header?: {revision?: string}; kvs?: RawKv[]; more?: boolean; count?: string}
    return {kvs: (r.kvs ?? []).map(toKv), more: Boolean(r.more), count: num(r.count), revision: num(r.header?.revision)}
  }

  /**
   * Every key under `prefix`, in key order, read at ONE revision (the first
   * page's), `pageSize` keys per request: a listing is a consistent snapshot
   * that never holds the whole key space in one answer.
   */
  async *scan(prefix: string, pageSize = 1000, deadline?: number): AsyncGenerator<KeyValue[], number> {
    const end = prefixEnd(prefix).toString('latin1')
    let from = prefix
    let revision = 0
    for (;;) {
      const body: Record<string, unknown> = {key: b64(from), range_end: b64(Buffer.from(end, 'latin1')), limit: String(pageSize)}
      if (revision) body.revision = String(revision)
      const r = (await this.call('/v3/kv/range', body, deadline)) as {header?: {revision?: string}; kvs?: RawKv[]; more?: boolean}
      if (!revision) revision = num(r.header?.revision)
      const kvs = (r.kvs ?? []).map(toKv)
      if (kvs.length) yield kvs
      if (!r.more || kvs.length === 0) return revision
      // The next page starts just after the last key: key + "\0".
      from = kvs[kvs.length - 1].key + '\0'
    }
  }

  async txn(compare: ModCompare[], success: TxnOp[], failure: TxnOp[] = [], deadline?: number): Promise<TxnResult> {
    const cmp = compare.map((c) => ({key: b64(c.key), target: 'MOD', result: 'EQUAL', mod_revision: String(c.modRevision)}))
    const op = (o: TxnOp): Record<string, unknown> => {
      if ('put' in o) return {request_put: {key: b64(o.put), value: b64(o.value), ...(o.lease ? {lease: o.lease} : {})}}
      if ('del' in o) return {request_delete_range: {key: b64(o.del), ...(o.prefix ? {range_end: b64(prefixEnd(o.del))} : o.end !== undefined ? {range_end: b64(o.end)} : {})}}
      return {request_range: {key: b64(o.get), ...(o.prefix ? {range_end: b64(prefixEnd(o.get))} : {})}}
    }
    const r = (await this.call('/v3/kv/txn', {compare: cmp, success: success.map(op), failure: failure.map(op)}, deadline)) as {
      header?: {revision?: string}
      succeeded?: boolean
      responses?: Array<{response_range?: {kvs?: RawKv[]}}>
    }
    const gets = (r.responses ?? []).filter((x) => x.response_range).map((x) => (x.response_range?.kvs ?? []).map(toKv))
    return {succeeded: Boolean(r.succeeded), revision: num(r.header?.revision), gets}
  }

  async leaseGrant(ttlSeconds: number, deadline?: number): Promise<string> {
    const r = (await this.call('/v3/lease/grant', {TTL: String(ttlSeconds)}, deadline)) as {ID?: string}
    if (!r.ID) throw new EtcdError(2, 'etcd granted no lease')
    return r.ID
  }

  /** Renew a lease once; returns its remaining TTL (0: the lease is gone). */
  async leaseKeepAlive(id: string, deadline?: number): Promise<number> {
    const r = (await this.call('/v3/lease/keepalive', {ID: id}, deadline)) as {result?: {TTL?: string}}
    return num(r.result?.TTL)
  }

  async leaseRevoke(id: string, deadline?: number): Promise<void> {
    await this.call('/v3/lease/revoke', {ID: id}, deadline)
  }

  /**
   * Watch every key under `prefix` from `startRevision` on. Calls onEvents for
   * each batch; resolves when `signal` aborts (or rejects if the stream breaks).
   */
  watch(prefix: string, startRevision: number, onEvents: (events: WatchEvent[], revision: number) => void, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify({create_request: {key: b64(prefix), range_end: b64(prefixEnd(prefix)), start_revision: String(startRevision)}})
    const endpoint = this.endpoints[this.current]
    return new Promise((resolve, reject) => {
      const [host, port] = splitHostPort(endpoint)
      const req = http.request({host, port, path: '/v3/watch', method: 'POST', agent: false, headers: {'content-type': 'application/json'}}, (res) => {
        let buf = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buf += chunk
          let nl: number
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim()
            buf = buf.slice(nl + 1)
            if (!line) continue
            const msg = JSON.parse(line) as {result?: {header?: {revision?: string}; events?: Array<{type?: string; kv?: RawKv}>; canceled?: boolean}; error?: {message?: string}}
            if (msg.error) return reject(new EtcdError(2, msg.error.message ?? 'watch failed'))
            // Cancelled by etcd (its start revision compacted away): the caller reads afresh and watches again.
            if (msg.result?.canceled) {
              req.destroy()
              return reject(new EtcdError(2, 'watch cancelled by etcd'))
            }
            const events = (msg.result?.events ?? []).map((e) => ({type: e.type === 'DELETE' ? ('DELETE' as const) : ('PUT' as const), kv: toKv(e.kv ?? {})}))
            if (events.length) onEvents(events, num(msg.result?.header?.revision))
          }
        })
        res.on('end', () => (signal.aborted ? resolve() : reject(new EndpointDown(endpoint, 'watch stream ended'))))
        res.on('error', (e) => (signal.aborted ? resolve() : reject(e)))
      })
      req.on('error', (e) => (signal.aborted ? resolve() : reject(new EndpointDown(endpoint, describe(e), e))))
      signal.addEventListener('abort', () => req.destroy(), {once: true})
      req.end(body)
    })
  }

  /**
   * One request, tried on each endpoint in turn (starting with the last that
   * answered) until one answers or `deadline` passes.
   */
  private async call(path: string, body: unknown, deadline = Date.now() + this.requestTimeoutMs): Promise<unknown> {
    const payload = JSON.stringify(body)
    const failures = new Map<string, EndpointDown>()
    let delay = 20
    for (;;) {
      for (let k = 0; k < this.endpoints.length; k++) {
        const i = (this.current + k) % this.endpoints.length
        const left = deadline - Date.now()
        if (left <= 0) break
        try {
          // The time left is shared by the members not yet tried in this round: one that
          // hangs must not use all of it (the others may answer at once).
          const share = Math.max(Math.floor(left / (this.endpoints.length - k)), Math.min(left, 250))
          const out = await this.post(this.endpoints[i], path, payload, Math.min(share, this.requestTimeoutMs))
          this.current = i
          return out
        } catch (e) {
          if (!(e instanceof EndpointDown)) throw e
          failures.set(e.endpoint, e)
        }
      }
      const tried = [...failures.values()].map((f) => `${f.endpoint} (${f.why})`).join(', ')
      // Every member refused the connection: a clear "no", said at once.
      if (failures.size === this.endpoints.length && [...failures.values()].every((f) => f.refused))
        throw new DlmError('STORE_UNREACHABLE', `etcd unreachable: tried ${tried}`, {endpoints: this.endpoints})
      const left = deadline - Date.now()
      if (left <= 0)
        throw new DlmError('STORE_TIMEOUT', `etcd did not answer in time: tried ${tried || this.endpoints.join(', ')} (try --wait)`, {endpoints: this.endpoints})
      await new Promise((r) => setTimeout(r, Math.min(delay, left)))
      delay = Math.min(delay * 2, 500)
    }
  }

  private post(endpoint: string, path: string, payload: string, timeoutMs: number): Promise<unknown> {
    const [host, port] = splitHostPort(endpoint)
    return new Promise((resolve, reject) => {
      let settled = false
      const done = (f: () => void) => {
        if (!settled) {
          settled = true
          clearTimeout(timer)
          f()
        }
      }
      const req = http.request(
        {host, port, path, method: 'POST', agent: this.agent, headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(payload)}},
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', (e) => done(() => reject(new EndpointDown(endpoint, describe(e)))))
          res.on('end', () =>
            done(() => {
              const text = Buffer.concat(chunks).toString('utf8')
              let obj: {error?: string; message?: string; code?: number} & Record<string, unknown>
              try {
                obj = JSON.parse(text)
              } catch {
                return reject(new EndpointDown(endpoint, `answered HTTP ${res.statusCode} with no JSON`))
              }
              if (res.statusCode !== 200 || obj.error !== undefined) {
                const code = typeof obj.code === 'number' ? obj.code : 2
                const msg = String(obj.message ?? obj.error ?? `HTTP ${res.statusCode}`)
                if (RETRYABLE_GRPC.has(code)) return reject(new EndpointDown(endpoint, msg))
                return reject(new EtcdError(code, msg))
              }
              resolve(obj)
            }),
          )
        },
      )
      const timer = setTimeout(() => {
        done(() => reject(new EndpointDown(endpoint, `no answer in ${timeoutMs} ms`)))
        req.destroy()
      }, timeoutMs)
      req.on('error', (e) => done(() => reject(new EndpointDown(endpoint, describe(e), e))))
      req.end(payload)
    })
  }
}

function splitHostPort(endpoint: string): [string, number] {
  const i = endpoint.lastIndexOf(':')
  const host = endpoint.slice(0, i).replace(/^\[|\]$/g, '')
  return [host, Number(endpoint.slice(i + 1))]
}

const errno = (e: unknown): string | undefined => (e && typeof e === 'object' && 'code' in e ? String((e as {code: unknown}).code) : undefined)

function describe(e: unknown): string {
  switch (errno(e)) {
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ECONNRESET':
      return 'connection reset'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found'
    case 'ETIMEDOUT':
      return 'connection timed out'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable'
    default:
      return e instanceof Error ? e.message : String(e)
  }
}
