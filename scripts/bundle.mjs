// Bundle the CLI for start-up time: one ESM entry per command plus the runner,
// shared code split into chunks, so a command loads only what it imports.
// oclif finds the commands through the manifest (oclif.manifest.json).
import {build} from 'esbuild'
import {existsSync, readdirSync, readFileSync, statSync, rmSync} from 'node:fs'
import {join} from 'node:path'

const commands = []
const walk = (d) => {
  for (const e of readdirSync(d)) {
    const p = join(d, e)
    if (statSync(p).isDirectory()) walk(p)
    else if (p.endsWith('.ts')) commands.push(p)
  }
}
walk('commands')
const extra = (existsSync('bench') ? readdirSync('bench') : []).filter((f) => f.endsWith('.ts')).map((f) => join('bench', f))
rmSync('dist', {recursive: true, force: true})
const table = Object.fromEntries(commands.map((c) => [c.replace(/^commands\//, '').replace(/\.ts$/, '').split('/').join(' '), `../dist/${c.replace(/\.ts$/, '.js')}`]))
const {version} = JSON.parse(readFileSync('package.json', 'utf8'))
// oclif's lib/command.js loads its whole config module (plugins, manifests,
// globbing) at import, for Command.run only; our fast path builds commands
// without it. Make that one require lazy: ~10 ms of every command's start-up.
const lazyOclifConfig = {
  name: 'lazy-oclif-config',
  setup(b) {
    b.onLoad({filter: /@oclif[\\/]core[\\/]lib[\\/]command\.js$/}, async (args) => {
      const src = readFileSync(args.path, 'utf8')
      const eager = 'const config_1 = require("./config");'
      if (!src.includes(eager)) throw new Error(`lazy-oclif-config: ${args.path} changed; update scripts/bundle.mjs`)
      return {contents: src.replace(eager, 'const config_1 = {get Config() { return require("./config").Config }};'), loader: 'js'}
    })
  },
}

const result = await build({
  plugins: [lazyOclifConfig],
  entryPoints: [...commands, 'src/cli/main.ts', ...extra],
  outdir: 'dist',
  outbase: '.',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: !process.env.DLMCTL_NO_MINIFY,
  keepNames: true,
  legalComments: 'none',
  // Native addon (loaded with require-addon), and packages that read their own files at run time.
  external: ['fs-native-extensions', '@oclif/plugin-help', 'typescript'],
  banner: {js: "import {createRequire as __cr} from 'node:module';const require=__cr(import.meta.url);"},
  define: {__DLMCTL_COMMANDS__: JSON.stringify(table), __DLMCTL_VERSION__: JSON.stringify(version)},
  logLevel: 'warning',
  metafile: true,
})
if (process.env.BUNDLE_META) (await import('node:fs')).writeFileSync(process.env.BUNDLE_META, JSON.stringify(result.metafile))
