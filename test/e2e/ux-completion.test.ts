// Shell completion in a real bash: the script from `dlmctl completion bash` is
// sourced, `complete -p` shows it registered, and its function, called the way
// bash calls it on Tab (COMP_WORDS, COMP_CWORD), offers commands, topics,
// flags and the names of the state directory. A tmux session then types Tab
// for real. The zsh script is loaded by a real zsh (compinit, then the script)
// in tmux and Tab typed there too; without zsh that test fails (.ci/run installs it).
import {chmodSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {beforeAll, describe, expect, it} from 'vitest'
import {BIN, ROOT, commandsInProcess, tempDirsPerFile, copyFixture, treeFiles, json, run, tempDir, inOneProcess} from './helpers.js'

tempDirsPerFile()
// Set-up and the scripts printed in this process; the shells, their Tabs and `--complete` are processes.
commandsInProcess()

let binDir: string
let state: string
let script: string

beforeAll(async () => {
  binDir = tempDir('bin', {forPrograms: true})
  // `dlmctl` on PATH, as after npm install -g or npm link.
  writeFileSync(join(binDir, 'dlmctl'), `#!/bin/sh\nexec node ${JSON.stringify(BIN)} "$@"\n`)
  chmodSync(join(binDir, 'dlmctl'), 0o755)
  state = copyFixture('chain')
  const r = await run(undefined, ['completion', 'bash'])
  expect(r.exitCode, r.stderr).toBe(0)
  script = r.stdout
  writeFileSync(join(binDir, 'completion.bash'), script)
})

/** A Tab's question as bash's function asks it: the words, the index of the word being completed, and where. */
interface Tab {
  words: string[]
  cword?: number
  cwd?: string
  env?: Record<string, string>
}

/**
 * What dlmctl offers for each Tab, asked the way the script's function asks it
 * (`dlmctl completion bash --complete CWORD -- WORDS…`), all in one process
 * (inOneProcess) instead of a bash and a node each. The function itself runs in a
 * real bash in the tests below (inBash), and Tab is typed in tmux.
 */
async function offered(...tabs: Tab[]): Promise<string[][]> {
  const answers = await inOneProcess(
    tabs.map((t) => ({
      args: ['completion', 'bash', '--complete', String(t.cword ?? t.words.length - 1), '--', ...t.words],
      env: {PATH: `${binDir}:${process.env.PATH}`, DLMCTL_STATE: state, ...t.env},
      cwd: t.cwd ?? ROOT,
    })),
  )
  return answers.map((a, i) => {
    // The function hides stderr (2>/dev/null): completing must never need it.
    expect(a.exit, `${tabs[i].words.join(' ')}: ${a.stderr}`).toBe(0)
    expect(a.stderr).toBe('')
    return a.stdout.split('\n').filter(Boolean)
  })
}

/** In bash: source the script, set the words as bash would on Tab, call the function, print COMPREPLY; every tab in one bash. */
async function inBash(...tabs: Tab[]): Promise<string[][]> {
  const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`
  const prog = [`source ${sh(join(binDir, 'completion.bash'))}`]
  for (const t of tabs) {
    prog.push(
      `( ${t.cwd ? `cd ${sh(t.cwd)}; ` : ''}${Object.entries(t.env ?? {}).map(([k, v]) => `export ${k}=${sh(v)}; `).join('')}`,
      `COMP_WORDS=(${t.words.map(sh).join(' ')})`,
      `COMP_CWORD=${t.cword ?? t.words.length - 1}`,
      `COMP_LINE=${sh(t.words.join(' '))}`,
      `COMP_POINT=\${#COMP_LINE}`,
      '_dlmctl_complete',
      `printf '%s\\n' "\${COMPREPLY[@]}" )`,
      `echo '--'`,
    )
  }
  const r = await execa('bash', ['--norc', '--noprofile', '-c', prog.join('\n')], {
    reject: false,
    env: {PATH: `${binDir}:${process.env.PATH}`, DLMCTL_STATE: state},
    extendEnv: false,
    stripFinalNewline: false,
  })
  expect(r.exitCode, String(r.stderr)).toBe(0)
  const out = String(r.stdout).split('--\n')
  expect(out.length, String(r.stdout)).toBe(tabs.length + 1)
  return out.slice(0, -1).map((o) => o.split('\n').filter(Boolean))
}

describe('dlmctl completion bash', () => {
  it('the script registers a completion function for dlmctl (complete -p)', async () => {
    const r = await execa('bash', ['--norc', '--noprofile', '-c', `source ${join(binDir, 'completion.bash')}\ncomplete -p dlmctl`], {reject: false, env: {PATH: `${binDir}:${process.env.PATH}`}})
    expect(r.exitCode, String(r.stderr)).toBe(0)
    expect(String(r.stdout).trim()).toBe('complete -F _dlmctl_complete dlmctl')
    expect(script).toMatch(/source <\(dlmctl completion bash\)/) // says how to install it
  })

  it('its function, called as bash calls it on Tab, fills COMPREPLY from dlmctl: a topic, a split --node=, names from the state, nothing without one', async () => {
    const empty = tempDir('nostate-bash')
    const got = await inBash(
      {words: ['dlmctl', 'lo']},
      {words: ['dlmctl', 'lock', 'list', '--node', '=', 'n2']},
      {words: ['dlmctl', 'lock', 'list', '--node', '']},
      {words: ['dlmctl', 'lock', 'list', '--node', ''], env: {DLMCTL_STATE: join(empty, 'none')}},
    )
    expect(got).toEqual([['lock'], ['n2'], ['n1', 'n2', 'n3'], []])
  })

  it('dlmctl lo<Tab> → lock; dlmctl <Tab> → every topic and top-level command', async () => {
    const [lo, top] = await offered({words: ['dlmctl', 'lo']}, {words: ['dlmctl', '']})
    expect(lo).toEqual(['lock'])
    for (const c of ['lock', 'node', 'domain', 'fs', 'journal', 'drill', 'status', 'recover', 'metrics', 'completion', 'help']) expect(top).toContain(c)
    expect(top.some((c) => c.includes(':'))).toBe(false)
  })

  it('dlmctl lock <Tab> → the lock commands; flags after a command', async () => {
    const [cmds, flags] = await offered({words: ['dlmctl', 'lock', '']}, {words: ['dlmctl', 'lock', 'list', '--s']})
    expect(cmds).toEqual(['blockers', 'convert', 'explain', 'list', 'release', 'request'])
    expect(flags).toEqual(['--sort', '--state', '--summary'])
  })

  it('--node <Tab> → the node names of the state directory', async () => {
    const {nodes} = await json(state, ['node', 'list'])
    expect(nodes.length).toBeGreaterThan(0)
    const names = nodes.map((n: any) => n.name).sort()
    expect(await offered({words: ['dlmctl', 'lock', 'list', '--node', '']}, {words: ['dlmctl', 'lock', 'list', '--node', 'n']})).toEqual([names, names])
  })

  it('file systems, lock ids of the named file system, modes, -o formats, --sort keys', async () => {
    const {locks} = await json(state, ['lock', 'list', 'fs1'])
    const [fss, ids, ids1, modes, formats, sorts, shells] = await offered(
      {words: ['dlmctl', 'lock', 'explain', '']},
      {words: ['dlmctl', 'lock', 'explain', 'fs1', '']},
      {words: ['dlmctl', 'lock', 'explain', 'fs1', '1']},
      {words: ['dlmctl', 'lock', 'request', 'fs1', 'r', '--mode', '']},
      {words: ['dlmctl', 'lock', 'list', '-o', '']},
      {words: ['dlmctl', 'lock', 'list', '--sort', 'n']},
      {words: ['dlmctl', 'completion', '']},
    )
    expect(fss).toEqual(['fs1'])
    expect(ids.map(Number).sort((a, b) => a - b)).toEqual(locks.map((l: any) => l.lockId).sort((a: number, b: number) => a - b))
    expect(ids1).toEqual(ids.filter((i) => i.startsWith('1')))
    expect(modes).toEqual(['CR', 'CW', 'EX', 'NL', 'PR', 'PW'])
    expect(formats).toEqual(['json', 'table', 'tsv', 'yaml'])
    expect(sorts).toEqual(['node'])
    expect(shells).toEqual(['bash', 'zsh'])
  })

  it('--node=<Tab> (bash splits the word at =) and dlmctl help <Tab>', async () => {
    expect(
      await offered(
        {words: ['dlmctl', 'lock', 'list', '--node', '=', '']},
        {words: ['dlmctl', 'lock', 'list', '--node', '=', 'n2']},
        {words: ['dlmctl', 'help', 'lo']},
        {words: ['dlmctl', 'help', 'lock', 'l']},
      ),
    ).toEqual([['n1', 'n2', 'n3'], ['n2'], ['lock'], ['list']])
  })

  it('names come from --state on the line, wherever it is', async () => {
    const other = join(tempDir('other'), 'c')
    expect((await run(other, ['init', '--nodes', 'alpha,beta', '--fs', 'data'])).exitCode).toBe(0)
    expect(
      await offered(
        {words: ['dlmctl', 'node', 'heartbeat', '--state', other, '']},
        {words: ['dlmctl', 'lock', 'list', '--node', '', '--state', other], cword: 4},
        {words: ['dlmctl', 'lock', 'list', ''], env: {DLMCTL_STATE: other}},
      ),
    ).toEqual([['alpha', 'beta'], ['alpha', 'beta'], ['data']])
  })

  it('no state directory, or a path to complete: nothing offered and no error (bash completes file names)', async () => {
    const empty = tempDir('nostate')
    expect(await offered({words: ['dlmctl', 'lock', 'list', '--node', ''], env: {DLMCTL_STATE: join(empty, 'none')}}, {words: ['dlmctl', 'drill', 'run', ''], cwd: empty})).toEqual([[], []])
  })

  it('completing reads without locking or changing anything', async () => {
    const before = treeFiles(state)
    expect((await offered({words: ['dlmctl', 'lock', 'explain', 'fs1', '']}))[0].length).toBeGreaterThan(0)
    expect(treeFiles(state)).toEqual(before)
  })
})

/** A tmux server on `sock` with exactly `env`: `tmux` runs its commands, `screen` waits (10 s at most) until the pane matches. */
function terminal(sock: string, env: Record<string, string>) {
  const tmux = (...a: string[]) => execa('tmux', ['-S', sock, ...a], {reject: false, env, extendEnv: false})
  const screen = async (want: RegExp) => {
    let last = ''
    for (let i = 0; i < 100; i++) {
      last = String((await tmux('capture-pane', '-p')).stdout)
      if (want.test(last)) return last
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`screen never matched ${want}:\n${last}`)
  }
  return {tmux, screen}
}

describe('on a real terminal: bash in tmux, Tab typed', () => {
  it('dlmctl lo<Tab> becomes "dlmctl lock "; lock list --node n<Tab><Tab> lists the nodes', async () => {
    const sock = join(tempDir('tmux'), 'sock')
    const {tmux, screen} = terminal(sock, {PATH: `${binDir}:${process.env.PATH}`, DLMCTL_STATE: state, HOME: tempDir('home'), TERM: 'xterm'})
    writeFileSync(join(binDir, 'rc'), `PS1='$ '\nsource ${join(binDir, 'completion.bash')}\n`)
    await tmux('new-session', '-d', '-x', '120', '-y', '30', `bash --noprofile --rcfile ${join(binDir, 'rc')} -i`)
    try {
      await screen(/^\$/m)
      await tmux('send-keys', 'dlmctl lo', 'Tab', 'X')
      // Tab completed the word and added a space: the X typed after it lands after "lock ".
      await screen(/^\$ dlmctl lock X$/m)
      await tmux('send-keys', 'BSpace')
      await tmux('send-keys', 'list --node n', 'Tab', 'Tab')
      const s = await screen(/n1\s+n2\s+n3/)
      expect(s).toMatch(/\$ dlmctl lock list --node n/)
    } finally {
      await tmux('kill-server')
    }
  })
})

describe('dlmctl completion zsh', () => {
  it('prints a #compdef script that asks dlmctl for the candidates', async () => {
    const r = await run(undefined, ['completion', 'zsh'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout.split('\n')[0]).toBe('#compdef dlmctl')
    expect(r.stdout).toContain('compdef _dlmctl dlmctl')
    expect(r.stdout).toContain('completion zsh --complete $((CURRENT - 1)) --')
  })

  it('in a real zsh (compinit, script sourced, in tmux): dlmctl lo<Tab> → "dlmctl lock "; --node <Tab> lists the nodes', async () => {
    const zsh = await execa('zsh', ['--version'], {reject: false})
    // Not a skip: completion for zsh is shipped, so it is proven in zsh (.ci/run installs it).
    expect(zsh.exitCode, 'zsh is not installed (apt-get install zsh; .ci/run does it)').toBe(0)
    const r = await run(undefined, ['completion', 'zsh'])
    writeFileSync(join(binDir, 'completion.zsh'), r.stdout)
    const home = tempDir('zhome')
    writeFileSync(join(home, '.zshrc'), `PS1='$ '\nautoload -Uz compinit && compinit -u\nsource ${join(binDir, 'completion.zsh')}\n`)
    const sock = join(tempDir('ztmux'), 'sock')
    const env = {PATH: `${binDir}:${process.env.PATH}`, DLMCTL_STATE: state, HOME: home, ZDOTDIR: home, TERM: 'xterm'}
    const {tmux, screen} = terminal(sock, env)
    await tmux('new-session', '-d', '-x', '120', '-y', '30', 'zsh -i')
    try {
      await screen(/^\$/m)
      await tmux('send-keys', 'dlmctl lo', 'Tab', 'X')
      await screen(/^\$ dlmctl lock X$/m)
      await tmux('send-keys', 'BSpace')
      await tmux('send-keys', 'list --node ', 'Tab')
      // The candidates share the prefix "n": the first Tab inserts it, the second lists them
      // under the line (and starts zsh's menu with the first).
      await screen(/^\$ dlmctl lock list --node n$/m)
      await tmux('send-keys', 'Tab')
      const s = await screen(/^n1\s+n2\s+n3\s*$/m)
      expect(s).toMatch(/^\$ dlmctl lock list --node n1?$/m)
    } finally {
      await tmux('kill-server')
    }
  })

  it('a shell it does not know: exit 2 naming the choices', async () => {
    const r = await run(undefined, ['completion', 'fish'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/bash, zsh/)
  })
})
