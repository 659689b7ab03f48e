// The part of start-up that is oclif's: a script that loads nothing but oclif's flags and
// parser and parses two flags (bench/lib/oclif-floor-entry.ts, built into
// dist/bench/oclif-floor.cjs as dlmctl's bundle is, loaded by the same loader,
// dist/boot.cjs loadBundle, with a V8 code cache of its own).
// Every dlmctl command defines its flags with oclif's flag types and parses its command
// line with oclif's public parser (issue 11), and loading those modules evaluates oclif's
// errors, help and ux modules too (debug, tty, readline, ejs…): no command can start
// faster than this. The startup phase reports it beside `status`.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

/** Write the runner of the reference bundle into `dir`; returns its path (run it as `node <path> --state X`). */
export function oclifFloor(root: string, dir: string): string {
  const runner = join(dir, 'oclif-floor-run.cjs')
  const cache = JSON.stringify(join(dir, 'oclif-floor.v8cache'))
  writeFileSync(
    runner,
    [
      `const {exports: floor, script} = require(${JSON.stringify(join(root, 'dist', 'boot.cjs'))}).loadBundle(${JSON.stringify(join(root, 'dist', 'bench', 'oclif-floor.cjs'))}, ${cache})`,
      // The first run writes the code cache, as scripts/bundle.mjs's warm run does dlmctl's.
      `floor.main().then(() => process.env.FLOOR_WRITE_CACHE && require('node:fs').writeFileSync(${cache}, script.createCachedData()))`,
      '',
    ].join('\n'),
  )
  return runner
}
