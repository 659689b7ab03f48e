// A drill file: YAML written by hand, validated whole before anything runs. Every
// mistake is reported with file:line:col (exit 2), all of them in one run. The
// parts: the YAML reader and its mistakes (yaml-reader.ts), `cluster:`
// (parse-cluster.ts), `steps:` with their sugar (parse-steps.ts, check-sugar.ts),
// references between steps (refs.ts); what they compile to is types.ts.
import {parseCluster} from './parse-cluster.js'
import {parseSteps} from './parse-steps.js'
import {DrillInvalid, type ClusterSpec, type Drill} from './types.js'
import {YamlReader, type YAML, type YMap, type YNode} from './yaml-reader.js'

export {drillCommands} from './parse-steps.js'
export * from './types.js'

export async function parseDrill(text: string, file: string): Promise<Drill> {
  // Loaded lazily (start-up); bundled, its exports may sit on `default`.
  const ym = (await import('yaml')) as YAML & {default?: YAML}
  const Y: YAML = ym.LineCounter ? ym : ym.default!
  const lc = new Y.LineCounter()
  const doc = Y.parseDocument(text, {lineCounter: lc, prettyErrors: false, uniqueKeys: true})
  const r = new YamlReader(Y, file, lc)
  if (doc.errors.length) {
    for (const e of doc.errors) {
      const p = e.linePos?.[0] ?? lc.linePos(e.pos[0])
      r.mistakes.push(new DrillInvalid(file, {line: p.line, col: p.col}, `not valid YAML: ${e.message.split('\n')[0]}`))
    }
    r.report()
  }
  const root = doc.contents
  if (!Y.isMap(root)) r.bad(root, 'a drill is a mapping with name, cluster and steps')
  const map = root as YMap
  // A misspelt top-level key (setps:) is that one mistake, not also a missing key.
  const topMistake = r.attempt((): boolean => (r.keysOf(map, ['name', 'description', 'clock', 'cluster', 'steps'], 'the drill'), false), true)

  const name = r.attempt(() => {
    const nameNode = r.get(map, 'name')
    if (!nameNode) r.bad(map, 'missing required key: name')
    return r.str(nameNode!.value as YNode, 'name')
  }, '')
  const description = r.attempt(() => (r.get(map, 'description') ? r.str(r.get(map, 'description')!.value as YNode, 'description') : ''), '')
  const clock = r.attempt(() => {
    const clockPair = r.get(map, 'clock')
    const c = clockPair ? r.str(clockPair.value as YNode, 'clock') : undefined
    if (c && Number.isNaN(Date.parse(c))) r.bad(clockPair!.value as YNode, `clock '${c}' is not an ISO time`)
    return c
  }, undefined)
  const cluster = r.attempt((): ClusterSpec => parseCluster(r, map), {nodes: [], fs: []})

  const sp = r.get(map, 'steps')
  if (!(topMistake && !sp) && (!sp || !Y.isSeq(sp.value) || sp.value.items.length === 0)) r.attempt(() => r.bad((sp?.value as YNode) ?? map, 'steps must be a non-empty list'), undefined)
  const stepNodes = sp && Y.isSeq(sp.value) ? (sp.value.items as YNode[]) : []
  const steps = parseSteps(r, cluster.nodes, stepNodes)
  r.report()
  return {name, description, file, clock, cluster, steps}
}
