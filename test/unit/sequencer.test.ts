// test/sequencer.ts names the files that start first: a renamed or removed file would
// silently drop out of that order (and its waits could make the run's tail again).
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {expect, test} from 'vitest'
import {SLOW_FIRST} from '../sequencer.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

test('every file the sequencer starts first exists, once', () => {
  expect(SLOW_FIRST.filter((f) => !existsSync(join(ROOT, f)))).toEqual([])
  expect(new Set(SLOW_FIRST).size).toBe(SLOW_FIRST.length)
})
