// Names → paths. The only place where a path inside the state directory is
// built; every name is checked (checkName) before it becomes part of a path.
import {checkName} from '../model/names.js'
import {crc32cStr} from '../util/crc32c.js'

export const BUCKETS = 256
/** Lock ids per index chunk (domains/<fs>/locks/<chunk>.json maps id → resource). */
export const INDEX_CHUNK = 1024

export const CLUSTER = 'cluster.json'
export const MEMBERSHIP = 'membership.json'
export const EVENTS = 'events.jsonl'
export const INIT_MARKER = '.dlmctl-init'

// The store's own directories at the top: no scope guards them, no transaction
// stages a path in them, and a listing of the top never shows them (txdir.ts).
/** Commit records, commit/<txid>.json: each is its transaction's commit point (commit.ts). */
export const COMMIT_DIR = 'commit'
/** Lock files, lock/<scope>.lock: one kernel lock a scope (filelock.ts). */
export const LOCK_DIR = 'lock'
/** Is this name, at the top, one of the store's own directories? */
export const isStoreDir = (name: string) => name === COMMIT_DIR || name === LOCK_DIR
/** Is this (normalised, relative) path one of the store's own directories, or inside one? */
export const inStoreDir = (rel: string) => isStoreDir(rel.split('/')[0])
export const commitRecordFile = (txid: string) => `${COMMIT_DIR}/${txid}.json`
/** The txid a file name in commit/ is the record of, or undefined for another name (a record's temp while it is written). */
export const txidOfRecord = (name: string): string | undefined => /^([0-9a-z-]+)\.json$/.exec(name)?.[1]
export const lockFile = (scope: string) => `${LOCK_DIR}/${scope}.lock`

// Temps: a file's new copy is written beside it under a name ending in .tmp,
// then renamed over it. Such a name is never data: listings skip it, and no
// state path may end so (tx-paths.ts).
const TEMP = '.tmp'
/** True for the names of store temp files (never data). */
export const isTempName = (name: string) => name.endsWith(TEMP)
/** Where a transaction's new image of `path` (absolute or relative) waits until its commit record is applied. */
export const tempOf = (path: string, txid: string) => `${path}.tx-${txid}${TEMP}`
/** A durable write's new copy of `path` (durable.ts); `tag`: 12 random hex digits, so two writers never share one. */
export const copyTempOf = (path: string, tag: string) => `${path}.${tag}${TEMP}`
/** The file a temp of either kind is the new copy of, or undefined for another name (envfail.ts names both). */
export const fileOfTemp = (rel: string): string | undefined => /^(.+?)\.(?:tx-[A-Za-z0-9-]+|[0-9a-f]{12})\.tmp$/.exec(rel)?.[1]
/** What a killed init leaves before its commit point: its marker, or a temp of an older version's marker. */
export const isInitLeftover = (name: string) => name.startsWith(INIT_MARKER) && /^(\..*\.tmp)?$/.test(name.slice(INIT_MARKER.length))

export const SCOPE_MEMBERSHIP = 'membership'
const DOMAIN_SCOPE = 'domain.'
export const domainScope = (fs: string) => `${DOMAIN_SCOPE}${checkName('file system', fs)}`
/** The file system of a domain scope, as written (unchecked), or undefined for another scope: the inverse of domainScope. */
export const domainOfScope = (scope: string): string | undefined => (scope.startsWith(DOMAIN_SCOPE) ? scope.slice(DOMAIN_SCOPE.length) : undefined)
/** The scope a `recover` of <fs> holds while it runs (claim.ts): no file is guarded by it. */
export const recoverScope = (fs: string) => `recover.${checkName('file system', fs)}`

/** The directories that hold one entry a file system. */
export const DOMAINS = 'domains'
export const FILE_SYSTEMS = 'fs'

export const domainDir = (fs: string) => `${DOMAINS}/${checkName('file system', fs)}`
export const domainFile = (fs: string) => `${domainDir(fs)}/domain.json`
export const domainEvents = (fs: string) => `${domainDir(fs)}/events.jsonl`
/** The file system whose directory (domains/<fs>/ or fs/<fs>/) holds `rel`, its name unchecked, or undefined for any other path (contract.ts). */
export const fsOfPath = (rel: string): string | undefined => IN_FS_DIR.exec(rel)?.[2]
const IN_FS_DIR = new RegExp(`^(${DOMAINS}|${FILE_SYSTEMS})/([^/]+)/.`)
export const bucketOf = (resource: string) => crc32cStr(resource) % BUCKETS
/** Do these names, read from bucket file b, all belong in it? (A file that holds another bucket's resource is read the long way, which names it.) */
export const allInBucket = (names: string[], b: number) => names.every((n) => bucketOf(n) === b)
export const bucketName = (b: number) => b.toString(16).padStart(2, '0')
const RES = 'res'
export const bucketDir = (fs: string) => `${domainDir(fs)}/${RES}`
/** Bucket b's file name inside bucketDir. */
export const bucketFileName = (b: number) => `${bucketName(b)}.json`
export const bucketFile = (fs: string, b: number) => `${bucketDir(fs)}/${bucketFileName(b)}`
/** Is `rel` any domain's bucket file? (etcd's refusal of a too large change says when its largest key is one.) */
export const isBucketFile = (rel: string) => BUCKET_FILE.test(rel)
const BUCKET_FILE = new RegExp(`^${DOMAINS}/[^/]+/${RES}/[0-9a-f]{2}\\.json$`)
export const indexChunkOf = (lockId: number) => Math.floor(lockId / INDEX_CHUNK)
export const indexDir = (fs: string) => `${domainDir(fs)}/locks`
export const indexFile = (fs: string, chunk: number) => `${indexDir(fs)}/${chunk}.json`
/** Is this name, listed in indexDir, an index chunk's? */
export const isIndexChunkName = (name: string) => /^[0-9]+\.json$/.test(name)
/** The chunk an index file's name stands for: NaN or a fraction for a name that stands for none (check reads all it lists). */
export const indexChunkOfName = (name: string) => Number(name.replace(/\.json$/, ''))
/** A file in indexDir by its name as listed (a chunk's number may be written with leading zeros there). */
export const indexFileNamed = (fs: string, name: string) => `${indexDir(fs)}/${name}`

// On etcd (etcd/store.ts) every state file is one key, <prefix>/<path>; an
// append-only file is a key a segment, and beside the state are keys of its own.
/** Append-only files (*.jsonl: journals, event logs). */
export const isAppendOnly = (rel: string) => rel.endsWith('.jsonl')
/** On etcd, the prefix of an append-only file's segment keys. */
export const segmentsOf = (rel: string) => `${rel}/`
/** On etcd, the segment of `rel` that holds the bytes appended at `offset` (12 digits: key order is offset order). */
export const segmentKey = (rel: string, offset: number) => `${segmentsOf(rel)}${String(offset).padStart(12, '0')}`
/** On etcd, each scope's key, scope/<scope>: every transaction holding the scope rewrites it, and compares it. */
export const SCOPE_KEYS = 'scope'
export const scopeKey = (scope: string) => `${SCOPE_KEYS}/${scope}`
/** On etcd, recover's claims, claim/<scope> (etcd/claim.ts). */
export const CLAIM_KEYS = 'claim'
export const claimKey = (scope: string) => `${CLAIM_KEYS}/${scope}`
/** Is this name, at the top of the prefix on etcd, none of the state's (scope keys, claims, init's marker)? */
export const isEtcdOwnKey = (name: string) => name === SCOPE_KEYS || name === CLAIM_KEYS || name === INIT_MARKER

// File systems: metadata and one journal per node, under the domain's scope
// (a file system's lock domain guards its metadata).
export const fsDir = (fs: string) => `${FILE_SYSTEMS}/${checkName('file system', fs)}`
export const metaFile = (fs: string) => `${fsDir(fs)}/meta.json`
export const journalDir = (fs: string) => `${fsDir(fs)}/journal`
export const journalFile = (fs: string, node: string) => `${journalDir(fs)}/${checkName('node', node)}.jsonl`
export const pointFile = (fs: string, node: string) => `${journalDir(fs)}/${checkName('node', node)}.point.json`
