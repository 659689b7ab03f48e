// Bundle the CLI for start-up time (SPEC §5):
// - dist/dlmctl.cjs: the command line and every command in one CommonJS file; a
//   command's modules are evaluated only when it runs (the generated entry imports
//   each one lazily). bin/run.js loads it through dist/boot.cjs (src/cli/boot.ts)
//   with V8's code cache, dist/dlmctl-<hash>.v8cache, written here after a warm
//   run of `status`.
// - dist/vendor/*.cjs: the libraries only drills use (yaml, fast-check), one file
//   each, loaded when a drill command needs them: the code every command reads and
//   deserializes at start (the bundle and its code cache) stays without them.
// - dist/commands/**.js: oclif's Command classes (generated adapters of the same
//   definitions, src/cli/adapter.ts), which oclif finds through its manifest for
//   help, --version and topics.
// - dist/line-check-worker.cjs: the worker thread a death or validate of a big
//   domain checks its bucket files in (src/store/line-check.ts).
// - dist/bench/*.js: the benchmarks (ESM), and dist/bench/oclif-floor.cjs, their reference
//   for start-up: oclif's flags and parser alone.
// No dependency's source is changed.
import {build} from 'esbuild'
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, relative} from 'node:path'

const commands = []
const walk = (d) => {
  for (const e of readdirSync(d)) {
    const p = join(d, e)
    if (statSync(p).isDirectory()) walk(p)
    else if (p.endsWith('.ts')) commands.push(p.split('\\').join('/'))
  }
}
walk('commands')
const idOf = (file) => file.replace(/^commands\//, '').replace(/\.ts$/, '').split('/').join(' ')
const bench = (existsSync('bench') ? readdirSync('bench') : []).filter((f) => f.endsWith('.ts')).map((f) => join('bench', f))
rmSync('dist', {recursive: true, force: true})
const {version} = JSON.parse(readFileSync('package.json', 'utf8'))
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify: !process.env.DLMCTL_NO_MINIFY,
  keepNames: true,
  legalComments: 'none',
  // Native addon (loaded with require-addon), and packages that read their own files at run time.
  external: ['fs-native-extensions', '@oclif/plugin-help', 'typescript'],
  logLevel: 'warning',
  metafile: true,
}

// CommonJS has no import.meta: each CommonJS bundle's own URL stands in for import.meta.url
// (createRequire, paths next to the bundle).
const URL_BANNER = {js: "var __dlmctlUrl=require('node:url').pathToFileURL(__filename).href;"}
const URL_DEFINE = {'import.meta.url': '__dlmctlUrl'}

// Libraries only drills use, each bundled into a file of its own under dist/vendor/.
// In the CLI's bundle an import of one is a require of that file, by the bundle's own
// require (relative to dist/dlmctl.cjs) when the importing code first runs.
const VENDOR = ['yaml', 'fast-check']
await build({
  ...common,
  entryPoints: Object.fromEntries(VENDOR.map((v) => [v, v])),
  outdir: 'dist/vendor',
  outExtension: {'.js': '.cjs'},
  format: 'cjs',
})
const vendorChunks = {
  name: 'vendor-chunks',
  setup(b) {
    const filter = new RegExp(`^(${VENDOR.join('|')})$`)
    b.onResolve({filter}, (a) => ({path: a.path, namespace: 'vendor'}))
    b.onLoad({filter: /.*/, namespace: 'vendor'}, (a) => ({contents: `module.exports = require(${JSON.stringify(`./vendor/${a.path}.cjs`)})`, loader: 'js'}))
    b.onResolve({filter: /^\.\/vendor\//}, (a) => ({path: a.path, external: true}))
  },
}

// The entry: the command table (each command imported lazily), the command line, the adapters.
const entry = [
  "import {registerCommands} from './src/cli/commands.ts'",
  'registerCommands({',
  ...commands.map((c) => `  ${JSON.stringify(idOf(c))}: () => import(${JSON.stringify(`./${c}`)}),`),
  '})',
  "export {main} from './src/cli/main.ts'",
  "export const adapterOf = async (id) => (await import('./src/cli/adapter.ts')).adapterOf(id)",
].join('\n')
const cli = await build({
  ...common,
  // oclif's execute (help, --version, topics) and Command class (the adapters) load from node_modules, as
  // oclif itself: they import() modules, which code run through vm.Script with a code cache cannot.
  // The terminal prompts too: only a terminal that asks needs them, and they are half a megabyte.
  external: [...common.external, '@oclif/core/execute', '@oclif/core/command', '@inquirer/prompts'],
  stdin: {contents: entry, resolveDir: '.', sourcefile: 'dlmctl-entry.ts', loader: 'ts'},
  plugins: [vendorChunks],
  outfile: 'dist/dlmctl.cjs',
  format: 'cjs',
  banner: URL_BANNER,
  define: {...URL_DEFINE, __DLMCTL_VERSION__: JSON.stringify(version)},
})
// ASCII only, so that dist/boot.cjs can read it as Latin-1 into a one-byte string: a single
// non-ASCII byte made Node decode UTF-8 into a two-byte string of twice the size, a few
// milliseconds of every start. esbuild escapes strings but keeps regular expression literals
// as written (a dependency's /[\u001b\u009b].../, our own table's ×…→✓✗): each such character
// becomes its \uXXXX escape, which means the same inside a string, template, regular expression
// or identifier, and after a backslash would not: the build stops there instead.
asciiOnly('dist/dlmctl.cjs')
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8')
  const ascii = text.replace(/[\u0080-\uffff]/g, (c, at) => {
    if (text[at - 1] === '\\') throw new Error(`bundle: ${file}: a non-ASCII character after a backslash at ${at}; escape it in the source`)
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
  writeFileSync(file, ascii)
}
const hash = createHash('sha256').update(readFileSync('dist/dlmctl.cjs')).digest('hex').slice(0, 16)

// The worker thread that checks bucket files for a whole-domain change (src/store/line-check.ts).
await build({
  ...common,
  entryPoints: ['src/store/line-check-worker.ts'],
  outfile: 'dist/line-check-worker.cjs',
  format: 'cjs',
  // It bundles line-check.ts whole, whose starting of this worker (not run in the worker) reads
  // import.meta.url: the same stand-in as the CLI's bundle, not an empty object.
  banner: URL_BANNER,
  define: URL_DEFINE,
})

// The loader bin/run.js requires (CommonJS: no ES module loader to start).
const boot = await build({
  ...common,
  entryPoints: ['src/cli/boot.ts'],
  outfile: 'dist/boot.cjs',
  format: 'cjs',
  banner: URL_BANNER,
  define: {...URL_DEFINE, __DLMCTL_BUNDLE_HASH__: JSON.stringify(hash)},
})

const esm = await build({
  ...common,
  entryPoints: bench.map((f) => ({in: f, out: f.replace(/\.ts$/, '')})),
  outdir: 'dist',
  splitting: true,
  format: 'esm',
  banner: {js: "import {createRequire as __cr} from 'node:module';const require=__cr(import.meta.url);"},
  define: {__DLMCTL_VERSION__: JSON.stringify(version)},
})

// The benchmark's reference for start-up (bench/lib/floor.ts): oclif's flags and parser alone, in a
// bundle built as dlmctl's is (ASCII, CommonJS), loaded the same way (dist/boot.cjs loadBundle).
const floor = await build({
  ...common,
  entryPoints: ['bench/lib/oclif-floor-entry.ts'],
  outfile: 'dist/bench/oclif-floor.cjs',
  format: 'cjs',
})
asciiOnly('dist/bench/oclif-floor.cjs')

// oclif's Command classes: one module per command where oclif's pattern discovery looks.
for (const c of commands) {
  const out = join('dist', c.replace(/\.ts$/, '.js'))
  mkdirSync(dirname(out), {recursive: true})
  const bundle = relative(dirname(out), 'dist/dlmctl.cjs').split('\\').join('/')
  writeFileSync(out, `// Generated by scripts/bundle.mjs: the oclif adapter of commands/${c.slice('commands/'.length)}.\nimport {createRequire} from 'node:module'\nexport default await createRequire(import.meta.url)('./${bundle}').adapterOf(${JSON.stringify(idOf(c))})\n`)
}

// The code cache: what a warm `status` compiled (the parser, the store's reads, the table).
const tmp = mkdtempSync(join(tmpdir(), 'dlmctl-codecache-'))
try {
  const state = join(tmp, 'state')
  const node = (args, what) => {
    const r = spawnSync(process.execPath, args, {stdio: ['ignore', 'ignore', 'pipe'], env: {PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1'}, encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`bundle: ${what} failed (exit ${r.status}): ${r.stderr}`)
  }
  node(['bin/run.js', 'init', '--state', state, '--nodes', 'n1,n2,n3', '--fs', 'fs1,fs2:n1+n2'], 'init of the warm-up cluster')
  const bin = join(process.cwd(), 'bin/run.js')
  const warm = `process.argv = [process.argv[0], ${JSON.stringify(bin)}, 'status', '--state', ${JSON.stringify(state)}]; require('./dist/boot.cjs').writeCodeCache(${JSON.stringify(bin)})`
  node(['-e', warm], 'the warm run of status that writes the code cache')
} finally {
  rmSync(tmp, {recursive: true, force: true})
}
if (process.env.BUNDLE_META) writeFileSync(process.env.BUNDLE_META, JSON.stringify({cli: cli.metafile, boot: boot.metafile, esm: esm.metafile, floor: floor.metafile}))
