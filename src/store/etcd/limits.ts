// etcd's limits on one request (one Txn): --max-txn-ops (128 by default) and
// --max-request-bytes (1.5 MiB by default; the gRPC layer refuses a message
// past 2 MiB before etcd sees it). A change too big for them is refused whole
// (nothing is written); this turns etcd's or gRPC's answer into one line that
// says what was too big and what to do (man dlmctl-state(5), LIMITS ON ETCD).
import {DlmError} from '../../errors.js'
import type {TxnOp} from './client.js'
import {isBucketFile} from '../layout.js'

/** etcd's answers (code 3, or gRPC's 8) to a transaction past its limits. */
export const TOO_LARGE = /too many operations|request is too large|larger than max/

export const DEFAULT_MAX_TXN_OPS = 128
export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024

/** Is this the refusal of a change too big for one etcd request (finishChange then commits fewer buckets at a time)? */
export const isTooLarge = (e: unknown): boolean => e instanceof DlmError && e.detail?.tooLarge === true

export function tooLargeError(url: string, prefix: string, held: string[], ops: TxnOp[], bytes: number, etcdMessage: string): DlmError {
  let largest: {key: string; bytes: number} | undefined
  for (const op of ops) {
    if (!('put' in op)) continue
    const size = op.put.length + Buffer.byteLength(op.value)
    if (!largest || size > largest.bytes) largest = {key: op.put.startsWith(prefix + '/') ? op.put.slice(prefix.length + 1) : op.put, bytes: size}
  }
  // A bucket key holds 1/256 of a domain's resources and is written whole by every change to one of
  // them: when it is most of the request, the domain itself has outgrown the limit.
  const bucket = largest && isBucketFile(largest.key)
  const what = largest
    ? `; its largest key, ${largest.key}, is ${largest.bytes} bytes${bucket && largest.bytes * 2 > bytes ? ' (a bucket of the domain\'s resources, written whole: the domain has outgrown the request limit, see LIMITS ON ETCD in dlmctl-state(5))' : ''}`
    : ''
  // Too many operations: the size is not the point (init and finishChange keep to etcd's default count).
  const tooMany = /too many operations/.test(etcdMessage)
  const todo = tooMany
    ? `start etcd with a larger --max-txn-ops (default ${DEFAULT_MAX_TXN_OPS}) or --max-request-bytes`
    : `start etcd with a larger --max-request-bytes (default ${DEFAULT_MAX_REQUEST_BYTES}) or --max-txn-ops (default ${DEFAULT_MAX_TXN_OPS})`
  return new DlmError(
    'STORE_IO',
    `this change to ${held.join(', ')} needs ${ops.length} etcd operations and ${bytes} bytes in one transaction, more than ${url} accepts (${etcdMessage})${tooMany ? '' : what}; nothing was written: ${todo}`,
    {tooLarge: true, operations: ops.length, bytes, ...(largest ? {largestKey: largest.key, largestBytes: largest.bytes} : {})},
  )
}
