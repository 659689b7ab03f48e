// The live views: `status --watch` on a real terminal (bash in tmux) redraws when
// the state changes and leaves the terminal as it found it on q or Ctrl-C; off a
// terminal it prints one JSON document per change. `events --follow` prints
// events as they are appended.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {BIN, CLOCK, tempDirsPerFile, copyFixture, run, tempDir} from './helpers.js'

tempDirsPerFile()

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A bash in a detached tmux session of cols × rows; `screen` waits for the pane to match. */
async function tmuxBash(state: string, cols = 100, rows = 30) {
  const dir = tempDir('tmux')
  const sock = join(dir, 'sock')
  writeFileSync(join(dir, 'rc'), `PS1='$ '\n`)
  const env = {PATH: process.env.PATH!, HOME: dir, TERM: 'xterm-256color', DLMCTL_STATE: state, LANG: 'C.UTF-8'}
  const tmux = (...a: string[]) => execa('tmux', ['-S', sock, ...a], {reject: false, env, extendEnv: false})
  await tmux('new-session', '-d', '-x', String(cols), '-y', String(rows), `bash --noprofile --rcfile ${join(dir, 'rc')} -i`)
  const pane = async () => String((await tmux('capture-pane', '-p')).stdout)
  const screen = async (want: RegExp, what = String(want)) => {
    let last = ''
    for (let i = 0; i < 150; i++) {
      last = await pane()
      if (want.test(last)) return last
      await sleep(100)
    }
    throw new Error(`the terminal never showed ${what}:\n${last}`)
  }
  const flags = async () => String((await tmux('display', '-p', '#{alternate_on} #{cursor_flag}')).stdout).trim()
  return {tmux, pane, screen, flags, close: () => tmux('kill-server')}
}

describe('status --watch on a terminal', () => {
  for (const key of ['q', 'C-c'] as const) {
    it(`redraws when the state changes; ${key === 'q' ? 'q' : 'Ctrl-C'} leaves the terminal clean (main screen back, cursor shown, exit 0)`, async () => {
      const state = copyFixture('chain')
      const t = await tmuxBash(state)
      try {
        await t.screen(/^\$/m)
        await t.tmux('send-keys', `echo before-watch; node ${BIN} status --watch; echo "rc=$?"`, 'Enter')
        const first = await t.screen(/status --watch.*\n(.*\n)*fs1\s+recovering\s+1\s+10\s/, 'the view with 10 locks')
        expect(first).toMatch(/nodes: n1 up {2}n2 DEAD {2}n3 up/)
        expect(first).toMatch(/n2 \(1 record\)/)
        expect(first).toMatch(/fs1 meta\/a: 1 waiting, 1 converting/)
        expect(first).not.toMatch(/before-watch/) // its own screen
        expect(await t.flags()).toBe('1 0') // alternate screen on, cursor hidden
        // A change from another process shows up without a key pressed.
        const r = await run(state, ['lock', 'request', 'fs1', 'r/new', '--node', 'n1', '--mode', 'EX'])
        expect(r.exitCode, r.stderr).toBe(0)
        const t0 = Date.now()
        await t.screen(/fs1\s+recovering\s+1\s+11\s+7\s/, 'the view with 11 locks, 7 granted')
        expect(Date.now() - t0).toBeLessThan(5000) // generous: a shared machine (the bench measures the real latency)
        await t.tmux('send-keys', key)
        const after = await t.screen(/rc=\d+/)
        expect(after).toMatch(/rc=0/)
        expect(after).toMatch(/^\$ echo before-watch.*\nbefore-watch\n/m) // the shell's screen, as it was
        expect(after).not.toMatch(/status --watch {2}cluster/)
        expect(after).not.toMatch(/DOMAIN\s+STATE/)
        expect(await t.flags()).toBe('0 1') // main screen, cursor visible
      } finally {
        await t.close()
      }
    })
  }

  it('fits a narrow terminal: no line wider than it', async () => {
    const state = copyFixture('chain')
    const t = await tmuxBash(state, 50, 20)
    try {
      await t.screen(/^\$/m)
      await t.tmux('send-keys', `node ${BIN} status --watch; echo "rc=$?"`, 'Enter')
      const s = await t.screen(/last events/)
      for (const line of s.split('\n')) expect([...line].length).toBeLessThanOrEqual(50)
      expect(s).toMatch(/…/)
      await t.tmux('send-keys', 'q')
      expect(await t.screen(/rc=\d+/)).toMatch(/rc=0/)
    } finally {
      await t.close()
    }
  })
})

describe('status --watch off a terminal', () => {
  it('one JSON document per change, one per line; SIGTERM ends it with exit 0', async () => {
    const state = copyFixture('chain')
    const child = execa('node', [BIN, 'status', '--watch', '--interval', '100ms'], {reject: false, env: {DLMCTL_STATE: state, DLMCTL_CLOCK: CLOCK, NO_COLOR: '1'}, buffer: true})
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    const lines = () => out.split('\n').filter(Boolean)
    const waitLines = async (n: number) => {
      for (let i = 0; i < 150 && lines().length < n; i++) await sleep(100)
      expect(lines().length, out).toBeGreaterThanOrEqual(n)
    }
    await waitLines(1)
    await sleep(400) // idle: nothing more is printed while nothing changes
    expect(lines()).toHaveLength(1)
    const doc0 = JSON.parse(lines()[0])
    expect(doc0).toMatchObject({cluster: 'chain', generation: 2, domains: [{name: 'fs1', state: 'recovering', counts: {locks: 10}, unreplayed: {n2: 1}}]})
    expect(doc0.events.at(-1)).toMatchObject({type: 'node.dead', node: 'n2'})
    expect((await run(state, ['lock', 'request', 'fs1', 'r/new', '--node', 'n3', '--mode', 'PR'])).exitCode).toBe(0)
    await waitLines(2)
    expect(JSON.parse(lines()[1]).domains[0].counts).toMatchObject({locks: 11, granted: 7})
    expect((await run(state, ['domain', 'attach', 'fs1', '--node', 'n1'])).exitCode).toBe(0)
    await waitLines(3)
    expect(JSON.parse(lines()[2]).events.at(-1)).toMatchObject({type: 'domain.attach', node: 'n1'})
    child.kill('SIGTERM')
    const r = await child
    expect(r.exitCode).toBe(0)
    expect(String(r.stderr)).toBe('')
    for (const l of lines()) expect(() => JSON.parse(l)).not.toThrow()
  })

  it('no state directory: exit 2 and one line, at once', async () => {
    const r = await run(join(tempDir('none'), 'x'), ['status', '--watch'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/^dlmctl: no state directory at .*\n$/)
  })
})

describe('events --follow', () => {
  it('prints every event, then each one appended (JSON Lines with --json); the filters apply; SIGTERM: exit 0', async () => {
    const state = copyFixture('chain')
    const start = (args: string[]) => {
      const c = execa('node', [BIN, 'events', '--follow', ...args], {reject: false, env: {DLMCTL_STATE: state, DLMCTL_CLOCK: CLOCK, NO_COLOR: '1'}})
      const o = {text: '', c}
      c.stdout!.on('data', (d: Buffer) => (o.text += d.toString()))
      return o
    }
    const until = async (o: {text: string}, re: RegExp) => {
      for (let i = 0; i < 150 && !re.test(o.text); i++) await sleep(100)
      expect(o.text).toMatch(re)
    }
    const human = start([])
    const json = start(['--json'])
    const onlyFs1Attach = start(['--type', 'domain.attach', '--json'])
    await until(human, /node\.dead {2}node=n2/)
    await until(json, /"type":"node\.dead"/)
    expect(human.text.split('\n')[0]).toMatch(/^2026-01-01T00:00:00\.000Z {2}init {2}cluster=chain/)
    expect((await run(state, ['domain', 'attach', 'fs1', '--node', 'n1'])).exitCode).toBe(0)
    await until(human, /domain\.attach {2}domain=fs1 node=n1 id=1 epoch=1/)
    await until(json, /"type":"domain\.attach"/)
    await until(onlyFs1Attach, /"type":"domain\.attach"/)
    const lines = json.text.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.map((e) => e.type)).toEqual(['init', 'domain.death', 'node.dead', 'domain.attach'])
    expect(lines.every((e) => !('at' in e))).toBe(true)
    expect(onlyFs1Attach.text.trim().split('\n')).toHaveLength(1)
    for (const o of [human, json, onlyFs1Attach]) o.c.kill('SIGTERM')
    for (const o of [human, json, onlyFs1Attach]) expect((await o.c).exitCode).toBe(0)
  })
})
