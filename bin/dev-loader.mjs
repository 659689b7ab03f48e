// Module hooks for bin/dev.mjs: a relative `./x.js` import resolves to `./x.ts`
// when only the TypeScript source exists (the sources import with .js, as
// NodeNext wants), and a .ts module is compiled by esbuild's transform.
import {readFile} from 'node:fs/promises'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {transform} from 'esbuild'

export async function resolve(specifier, context, next) {
  if (/^\.\.?\//.test(specifier) && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL)
    if (!existsSync(fileURLToPath(new URL(specifier, context.parentURL))) && existsSync(fileURLToPath(ts))) return {url: ts.href, shortCircuit: true}
  }
  return next(specifier, context)
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context)
  const file = fileURLToPath(url)
  const {code} = await transform(await readFile(file, 'utf8'), {loader: 'ts', format: 'esm', target: 'node20', sourcefile: file, sourcemap: 'inline'})
  return {format: 'module', source: code, shortCircuit: true}
}
