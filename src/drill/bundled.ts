// Drills shipped in fixtures/drills/, found next to the running bin/run.js.
import {readdir, readFile, stat} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {DlmError} from '../errors.js'
import {parseDrill, type Drill} from './parse.js'

export const bundledDir = (bin: string) => resolve(dirname(bin), '..', 'fixtures', 'drills')

export async function listBundled(bin: string): Promise<Drill[]> {
  const dir = bundledDir(bin)
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => /\.ya?ml$/.test(f)).sort()
  const out: Drill[] = []
  for (const f of files) out.push(await parseDrill(await readFile(join(dir, f), 'utf8'), join(dir, f)))
  return out
}

/** What `drill list` shows of each bundled drill (steps counted as the file writes them). */
export async function bundledSummaries(bin: string): Promise<{name: string; description: string; file: string; steps: number}[]> {
  return (await listBundled(bin)).map((d) => ({name: d.name, description: d.description, file: d.file, steps: d.steps.length}))
}

/** A drill file, or the name of a bundled drill (seed-story, …). */
export async function loadDrill(bin: string, ref: string): Promise<Drill> {
  const isFile = await stat(ref).then((s) => s.isFile(), () => false)
  if (isFile) return parseDrill(await readFile(ref, 'utf8'), ref)
  const bundled = await listBundled(bin)
  const hit = bundled.find((d) => d.name === ref || d.file.endsWith(`/${ref}.yaml`) || d.file.endsWith(`/${ref}`))
  if (hit) return hit
  throw new DlmError('USAGE', `no drill file '${ref}' and no bundled drill of that name (bundled: ${bundled.map((d) => d.name).join(', ') || 'none'})`)
}
