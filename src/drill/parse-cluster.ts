// A drill's `cluster:` part: the nodes, the file systems and who mounts them,
// value-block size and fencing — what the drill's `init` is made from.
import {DlmError} from '../errors.js'
import {checkName} from '../model/names.js'
import {parseDuration} from '../util/duration.js'
import type {ClusterSpec} from './types.js'
import type {YMap, YNode, YSeq, YScalar, YamlReader} from './yaml-reader.js'

export function parseCluster(r: YamlReader, map: YMap): ClusterSpec {
  const {Y, bad} = r
  const cp = r.get(map, 'cluster')
  if (!cp || !Y.isMap(cp.value)) bad((cp?.value as YNode) ?? map, 'missing cluster: {nodes: [...], fs: ...}')
  const cm = cp!.value as YMap
  r.keysOf(cm, ['nodes', 'fs', 'lvbSize', 'fenceCmd', 'fenceTimeout'], 'cluster')
  const nodesNode = r.get(cm, 'nodes')?.value as YNode
  if (!Y.isSeq(nodesNode) || nodesNode.items.length === 0) bad(nodesNode ?? cm, 'cluster.nodes must be a list of node names')
  /** A name as init checks it (the CLI's words), reported at its place in the file. */
  const named = (n: YNode, kind: 'node' | 'file system') => {
    const x = r.str(n, `${kind} name`)
    try {
      return checkName(kind, x)
    } catch (e) {
      if (!(e instanceof DlmError)) throw e
      return bad(n, e.message)
    }
  }
  const nodes = (nodesNode as YSeq).items.map((n) => named(n as YNode, 'node'))
  const fsNode = r.get(cm, 'fs')?.value as YNode
  let fs: ClusterSpec['fs'] = []
  if (!fsNode) fs = [{name: 'fs1', members: nodes}]
  else if (Y.isSeq(fsNode)) fs = fsNode.items.map((n) => ({name: named(n as YNode, 'file system'), members: nodes}))
  else if (Y.isMap(fsNode)) {
    fs = fsNode.items.map((p) => {
      const members = p.value as YNode
      if (!Y.isSeq(members)) bad(members ?? (p.key as YNode), 'a file system maps to the list of nodes that mount it')
      const list = (members as YSeq).items.map((n) => r.str(n as YNode, 'a node name'))
      for (const [i, m] of list.entries()) if (!nodes.includes(m)) bad((members as YSeq).items[i] as YNode, `unknown node '${m}' (cluster.nodes: ${nodes.join(', ')})`)
      return {name: named(p.key as YNode, 'file system'), members: list}
    })
  } else bad(fsNode, 'cluster.fs is a list of names or a mapping name → nodes')
  const cluster: ClusterSpec = {nodes, fs}
  const lvb = r.get(cm, 'lvbSize')?.value as YNode
  if (lvb) {
    if (!Y.isScalar(lvb) || !Number.isInteger(lvb.value) || (lvb.value as number) < 1 || (lvb.value as number) > 1024) bad(lvb, 'lvbSize must be an integer from 1 to 1024 (bytes)')
    cluster.lvbSize = (lvb as YScalar).value as number
  }
  const fence = r.get(cm, 'fenceCmd')?.value as YNode
  if (fence) {
    if (!Y.isSeq(fence)) bad(fence, 'fenceCmd is an argument vector, e.g. [/usr/sbin/fence_node, "{node}"]')
    cluster.fenceCmd = (fence as YSeq).items.map((n) => {
      if (!Y.isScalar(n)) bad(n as YNode, 'fenceCmd items are strings')
      return String((n as YScalar).value)
    })
  }
  const ft = r.get(cm, 'fenceTimeout')?.value as YNode
  if (ft) {
    cluster.fenceTimeout = r.str(ft, 'fenceTimeout')
    try {
      parseDuration(cluster.fenceTimeout, 'fenceTimeout')
    } catch (e) {
      bad(ft, (e as Error).message)
    }
  }
  return cluster
}
