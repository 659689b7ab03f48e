// dlmctl init: create a state directory. Files are written one by one and
// cluster.json last: until it exists the directory is not a cluster, and a
// crashed init (marked by .dlmctl-init) is cleared and redone by the next init.
import {join} from 'node:path'
import {DlmError, usage} from '../errors.js'
import {joinDomain, joinNeeds, newDomain} from '../model/domain.js'
import {newMembership} from '../model/membership.js'
import {checkName} from '../model/names.js'
import type {ClusterConfig} from '../model/types.js'
import {writeFileDurable, fsyncDir, mkdirDurable, writeNewFileSynced} from '../store/durable.js'
import {errnoOf, io} from '../store/io.js'
import {afterCommitPoint, withEnvErrors} from '../store/envfail.js'
import {initLockFiles} from '../store/filelock.js'
import {CLUSTER, COMMIT_DIR, INIT_MARKER, MEMBERSHIP, SCOPE_MEMBERSHIP, domainFile, domainScope, isInitLeftover} from '../store/layout.js'
import type {Tx} from '../store/txdir.js'
import type {Clock} from './clock.js'
import {ClusterState} from './state.js'
import {stateJson} from './state-format.js'
import {isEtcdState} from '../store/etcd/url.js'

export interface InitSpec {
  name: string
  nodes: string[]
  /** File systems and the nodes that mount them. */
  fs: {name: string; members: string[]}[]
  lvbSize: number
  fenceCmd: string[] | null
  fenceTimeoutMs: number
}

/**
 * Parse `--nodes n1,n2,n3`. Empty entries (a trailing comma) are ignored; a
 * list with no name, or a name given twice, is a usage error (a cluster with
 * one node fewer than the operator typed must not be created silently).
 */
export function parseNodeList(spec: string): string[] {
  const nodes = spec.split(',').map((s) => s.trim()).filter(Boolean)
  if (nodes.length === 0) throw usage('--nodes: the node list is empty (give at least one node name, e.g. --nodes n1,n2,n3)')
  for (const n of nodes) checkName('node', n)
  const twice = nodes.find((n, i) => nodes.indexOf(n) !== i)
  if (twice !== undefined) throw usage(`--nodes: node '${twice}' given twice`)
  return nodes
}

/**
 * Parse `--fs fs1,fs2` (all nodes) or `--fs fs1:n1+n2,fs2` into file systems.
 */
export function parseFsSpec(spec: string, nodes: string[]): InitSpec['fs'] {
  const out: InitSpec['fs'] = []
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, members, extra] = part.split(':')
    if (extra !== undefined) throw usage(`bad --fs entry '${part}': use fs1 or fs1:n1+n2`)
    checkName('file system', name)
    const list = members === undefined ? [...nodes] : members.split('+').filter(Boolean)
    for (const m of list) {
      checkName('node', m)
      if (!nodes.includes(m)) throw new DlmError('UNKNOWN_NODE', `--fs ${name}: unknown node '${m}' (nodes: ${nodes.join(', ')})`)
    }
    if (list.length === 0) throw usage(`--fs ${name}: no nodes`)
    const twice = list.find((n, i) => list.indexOf(n) !== i)
    if (twice !== undefined) throw usage(`--fs ${name}: node '${twice}' given twice`)
    if (out.some((f) => f.name === name)) throw usage(`--fs: file system '${name}' given twice`)
    out.push({name, members: [...list].sort()})
  }
  if (out.length === 0) throw usage('--fs: at least one file system')
  return out
}

/** A Tx that only collects: init has no directory to lock or roll forward yet. */
class CollectingTx implements Tx {
  files = new Map<string, string>()
  async read(rel: string) {
    const v = this.files.get(rel)
    return v === undefined ? null : Buffer.from(v)
  }
  async list() {
    return []
  }
  async source(rel: string) {
    return Buffer.from(this.files.get(rel) ?? '')
  }
  write(rel: string, data: string | Buffer) {
    this.files.set(rel, data.toString())
  }
  append(rel: string, data: string | Buffer) {
    this.files.set(rel, (this.files.get(rel) ?? '') + data.toString())
  }
  remove(rel: string) {
    this.files.delete(rel)
  }
}

async function prepareDirectory(root: string): Promise<void> {
  let entries: string[]
  try {
    const st = await io.stat(root)
    if (!st.isDirectory()) throw new DlmError('NOT_EMPTY', `${root} exists and is not a directory`)
    entries = await io.readdir(root)
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw e
    // A new directory is durable only once its parent is fsynced (mkdirDurable does).
    await mkdirDurable(root)
    return
  }
  if (entries.includes(CLUSTER)) throw new DlmError('NOT_EMPTY', `${root} already holds a cluster (${CLUSTER}); init refuses to overwrite it`)
  if (entries.length > 0 && !entries.some(isInitLeftover)) {
    throw new DlmError('NOT_EMPTY', `${root} is not empty; init needs a new or empty directory`)
  }
  // An earlier init died before its commit point (cluster.json): start again.
  // The marker goes last, so a kill while clearing still leaves it to be found.
  const order = entries.filter((e) => e !== INIT_MARKER).concat(entries.includes(INIT_MARKER) ? [INIT_MARKER] : [])
  for (const e of order) await io.rmTree(join(root, e))
  if (entries.length > 0) await fsyncDir(root)
  await io.chmod(root, 0o700)
}

export async function initCluster(root: string, spec: InitSpec, clock: Clock, waitMs = 10_000) {
  if (isEtcdState(root)) {
    const made = await initFiles(root, spec, clock)
    await (await import('../store/etcd/store.js')).etcdStore(root).init(made.files, waitMs)
    return made.result
  }
  return withEnvErrors(root, () => initClusterRaw(root, spec, clock))
}

/** The new cluster's files (relative path → content) and init's result: the same on every backend. */
async function initFiles(root: string, spec: InitSpec, clock: Clock) {
  const nodes = [...new Set(spec.nodes)]
  if (nodes.length === 0) throw usage('--nodes: at least one node')
  nodes.forEach((n) => checkName('node', n))
  if (!Number.isInteger(spec.lvbSize) || spec.lvbSize < 1 || spec.lvbSize > 1024) throw usage('--lvb-size must be 1..1024 bytes')
  if (spec.fenceCmd && !spec.fenceCmd.some((a) => a.includes('{node}'))) {
    throw usage(`--fence-cmd must contain {node} where the node's name goes`)
  }
  const now = clock.now()
  const config: ClusterConfig = {format: 1, name: spec.name, lvbSize: spec.lvbSize, fenceCmd: spec.fenceCmd, fenceTimeoutMs: spec.fenceTimeoutMs}
  const tx = new CollectingTx()
  tx.write(CLUSTER, stateJson(config))
  const membership = newMembership(nodes, now)
  tx.write(MEMBERSHIP, stateJson(membership))

  const state = new ClusterState(tx, clock, root)
  for (const fs of spec.fs) {
    tx.write(domainFile(fs.name), stateJson(newDomain(fs.name, fs.members)))
    const d = await state.domain(fs.name)
    // Members join one by one, so every pair ends up with deadman PRs both ways.
    const joined: string[] = []
    for (const node of fs.members) {
      const names = joinNeeds(d.meta, node, joined)
      const res = new Map(await Promise.all(names.map(async (n) => [n, await d.resourceForUpdate(n)] as const)))
      for (const {lock, resource} of joinDomain(d.meta, node, joined, (n) => res.get(n)!)) await d.indexSet(lock.id, resource)
      joined.push(node)
    }
    d.changed()
  }
  state.event('init', {cluster: spec.name, nodes, fs: spec.fs, generation: membership.generation})
  await state.stampEvents([])
  state.flush()
  return {files: tx.files, result: {cluster: spec.name, generation: membership.generation, nodes, fs: spec.fs, lvbSize: spec.lvbSize, state: root}}
}

async function initClusterRaw(root: string, spec: InitSpec, clock: Clock) {
  // Built (and checked) before the directory is touched: a bad spec leaves nothing behind.
  const {files: collected, result} = await initFiles(root, spec, clock)
  const tx = {files: collected}
  await prepareDirectory(root)
  // Created in place (no temp): whatever a kill leaves from here on is named by the marker.
  await writeNewFileSynced(join(root, INIT_MARKER), '')
  await fsyncDir(root)
  await initLockFiles(root, [SCOPE_MEMBERSHIP, ...spec.fs.map((f) => domainScope(f.name))])
  await mkdirDurable(join(root, COMMIT_DIR))
  const files = [...tx.files.entries()].filter(([rel]) => rel !== CLUSTER).sort()
  for (const [rel, content] of files) await writeFileDurable(root, rel, content)
  const done = `init's marker ${INIT_MARKER} may be left in ${root}: harmless, remove it by hand`
  await writeFileDurable(root, CLUSTER, tx.files.get(CLUSTER)!, (fsync) =>
    afterCommitPoint(root, [], fsync, `making ${CLUSTER} durable (the directory fsync) failed: if the power fails before the system writes it back, run init again`),
  ) // the commit point
  await afterCommitPoint(root, [], async () => {
    await io.rmTree(join(root, INIT_MARKER))
    await fsyncDir(root)
  }, done)
  return result
}
