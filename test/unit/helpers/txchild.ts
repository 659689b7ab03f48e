// Child process for test/unit/txdir.test.ts. Compiled by the test's beforeAll
// (tsc, into node_modules/.cache) and run as plain node, so it can be SIGKILLed
// at a crash point or hold kernel locks from another process.
//   crash   <root> [scope...]   3-file tx: 2 writes + 1 append (DLMCTL_CRASH_POINT decides where it dies)
//   counter <root> <n>          n txs: counter.json += 1 and one distinct log line, scope domain.a
//   hold    <root> <scope> <ms> hold <scope> exclusively for ms; prints "locked" once held
import {transact} from '../../../src/store/txdir.js'

const [mode, root, ...rest] = process.argv.slice(2)
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

if (mode === 'crash') {
  await transact({root, scopes: rest.length ? rest : ['domain.a'], waitMs: 10_000}, async (tx) => {
    tx.write('a.json', '{"v":"new-a"}')
    tx.write('sub/b.json', '{"v":"new-b"}')
    tx.append('log', 'new\n')
  })
} else if (mode === 'counter') {
  for (let i = 0; i < Number(rest[0]); i++) {
    await transact({root, scopes: ['domain.a'], waitMs: 60_000}, async (tx) => {
      const cur = await tx.read('counter.json')
      const n = cur ? (JSON.parse(cur.toString('utf8')) as {n: number}).n : 0
      tx.write('counter.json', JSON.stringify({n: n + 1}))
      tx.append('log', `${process.pid}-${i}\n`)
    })
  }
} else if (mode === 'hold') {
  await transact({root, scopes: [rest[0]], waitMs: 10_000}, async () => {
    process.stdout.write('locked\n')
    await sleep(Number(rest[1]))
  })
} else {
  throw new Error(`txchild: unknown mode ${mode}`)
}
