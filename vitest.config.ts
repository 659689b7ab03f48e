import {defineConfig} from 'vitest/config'

// Files that replace a module (vi.mock) need a module graph of their own; the rest
// share two long-lived forks and their module graph (isolate: false), which saves
// booting a fork, vitest's worker and our sources again for each of the ~80 files.
// Shared helpers reset what a file chose (commandsInProcess, tempDirsPerFile) in
// that file's afterAll.
const ISOLATED = ['test/unit/fuzz-mutant.test.ts']

export default defineConfig({
  test: {
    // End-to-end tests spawn the built CLI many times; give them room on 2 shared cores.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Isolation is read here, from the pool's options, for every project: a project's
    // own poolOptions are not used, and its test.isolate alone leaves a fork per file
    // (81 forks a run, each booting node and vitest's worker again: ~0.5 s of CPU each).
    // `npm run test:full` (DLMCTL_TEST_FULL=1) keeps a fork per file: its exhaustive fault
    // suite hung once in a fork shared with the other full suites (a promise never settled,
    // no timer pending; not understood yet), and per file it has always passed.
    poolOptions: {forks: {maxForks: Number(process.env.VF ?? 2), minForks: 1, isolate: process.env.DLMCTL_TEST_FULL === '1'}},
    projects: [
      // One throwaway etcd for the whole run (test/etcd-global.ts); each file takes its own key prefixes.
      {extends: true, test: {name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false, globalSetup: ['test/etcd-global.ts']}},
      {extends: true, test: {name: 'isolated', include: ISOLATED, isolate: true}},
    ],
  },
})
