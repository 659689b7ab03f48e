// What bin/run.js runs (built as dist/boot.cjs): the CLI's bundle (dist/dlmctl.cjs, one CommonJS file)
// compiled with V8's code cache. Compiling the bundle is much of a command's
// start-up (SPEC §5 budgets it against `node -e 0`); the cache, made at build time
// by scripts/bundle.mjs from a warm run of `status`, lets V8 skip it (vm.Script
// cachedData, Node 20's public API). A cache V8 rejects (another Node or V8 build)
// or a missing one only costs the compile: the bundle loads the same either way.
import {readFileSync, writeFileSync} from 'node:fs'
import {Module, createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Script} from 'node:vm'

/** Content hash of dist/dlmctl.cjs, written by scripts/bundle.mjs: a cache is only ever used with its own bundle. */
declare const __DLMCTL_BUNDLE_HASH__: string

interface Cli {
  main(bin: string): Promise<void>
}

const bundleFile = () => join(dirname(fileURLToPath(import.meta.url)), 'dlmctl.cjs')
const cacheFile = () => join(dirname(fileURLToPath(import.meta.url)), `dlmctl-${__DLMCTL_BUNDLE_HASH__}.v8cache`)

/**
 * Load the CommonJS bundle `file` (ASCII: read as Latin-1 straight into a one-byte string)
 * with V8's code cache `cacheFile`, if there is one. Also what `npm run bench` loads its
 * reference bundle of oclif alone with (bench/lib/floor.ts), to compare like with like.
 */
export function loadBundle(file: string, cacheFile: string): {exports: unknown; script: Script} {
  let cachedData: Buffer | undefined
  try {
    cachedData = readFileSync(cacheFile)
  } catch {
    // none: compile
  }
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'latin1')}\n})`
  // Node 20 loses a script's import() callback with its code cache: what imports modules at run time
  // (oclif's execute and Command, for help and discovery) stays outside the bundle (scripts/bundle.mjs).
  const script = new Script(source, {filename: file, cachedData})
  const mod = new Module(file)
  mod.filename = file
  const req = createRequire(file)
  ;(script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, req, mod, file, dirname(file))
  mod.loaded = true
  // The adapters oclif loads (dist/commands/*.js) require the bundle: this same instance.
  req.cache[file] = mod
  return {exports: mod.exports, script}
}

function load(): {cli: Cli; script: Script} {
  const {exports, script} = loadBundle(bundleFile(), cacheFile())
  return {cli: exports as Cli, script}
}

/** Run the command line (bin: the path of bin/run.js). */
export async function boot(bin: string): Promise<void> {
  await load().cli.main(bin)
}

/** scripts/bundle.mjs: run the command line once, then write the code cache of what it compiled. */
export async function writeCodeCache(bin: string): Promise<void> {
  const {cli, script} = load()
  await cli.main(bin)
  writeFileSync(cacheFile(), script.createCachedData())
}
