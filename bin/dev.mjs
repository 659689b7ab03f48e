#!/usr/bin/env node
// dlmctl from the TypeScript sources, without the build (npm run dev -- <args>):
// the same command line as bin/run.js, each .ts file compiled by esbuild as node
// loads it (bin/dev-loader.mjs). For development only: slower to start (no bundle,
// no code cache), and needs Node 20.6 or later (module.register).
import {register} from 'node:module'
import {fileURLToPath} from 'node:url'

register('./dev-loader.mjs', import.meta.url)
const {main} = await import('../src/cli/main.ts')
await main(fileURLToPath(import.meta.url))
