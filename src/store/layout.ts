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

export const SCOPE_MEMBERSHIP = 'membership'
export const domainScope = (fs: string) => `domain.${checkName('file system', fs)}`

export const domainDir = (fs: string) => `domains/${checkName('file system', fs)}`
export const domainFile = (fs: string) => `${domainDir(fs)}/domain.json`
export const domainEvents = (fs: string) => `${domainDir(fs)}/events.jsonl`
export const bucketOf = (resource: string) => crc32cStr(resource) % BUCKETS
export const bucketName = (b: number) => b.toString(16).padStart(2, '0')
export const bucketFile = (fs: string, b: number) => `${domainDir(fs)}/res/${bucketName(b)}.json`
export const indexChunkOf = (lockId: number) => Math.floor(lockId / INDEX_CHUNK)
export const indexFile = (fs: string, chunk: number) => `${domainDir(fs)}/locks/${chunk}.json`

// File systems: metadata and one journal per node, under the domain's scope
// (a file system's lock domain guards its metadata).
export const fsDir = (fs: string) => `fs/${checkName('file system', fs)}`
export const metaFile = (fs: string) => `${fsDir(fs)}/meta.json`
export const journalFile = (fs: string, node: string) => `${fsDir(fs)}/journal/${checkName('node', node)}.jsonl`
export const pointFile = (fs: string, node: string) => `${fsDir(fs)}/journal/${checkName('node', node)}.point.json`
