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
import {BIN, tempDirsPerFile, copyFixture, treeFiles, json, run, tempDir} from './helpers.js'

tempDirsPerFile()

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

/** In bash: source the script, set the words as bash would on Tab, call the function, print COMPREPLY. */
async function candidates(words: string[], opts: {cwd?: string; env?: Record<string, string>; cword?: number} = {}): Promise<string[]> {
  const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`
  const prog = [
    `source ${sh(join(binDir, 'completion.bash'))}`,
    `COMP_WORDS=(${words.map(sh).join(' ')})`,
    `COMP_CWORD=${opts.cword ?? words.length - 1}`,
    `COMP_LINE=${sh(words.join(' '))}`,
    `COMP_POINT=\${#COMP_LINE}`,
    '_dlmctl_complete',
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n')
  const r = await execa('bash', ['--norc', '--noprofile', '-c', prog], {
    reject: false,
    env: {PATH: `${binDir}:${process.env.PATH}`, DLMCTL_STATE: state, ...opts.env},
    extendEnv: false,
    cwd: opts.cwd,
  })
  expect(r.exitCode, String(r.stderr)).toBe(0)
  return String(r.stdout).split('\n').filter(Boolean)
}

describe('dlmctl completion bash', () => {
  it('the script registers a completion function for dlmctl (complete -p)', async () => {
    const r = await execa('bash', ['--norc', '--noprofile', '-c', `source ${join(binDir, 'completion.bash')}\ncomplete -p dlmctl`], {reject: false, env: {PATH: `${binDir}:${process.env.PATH}`}})
    expect(r.exitCode, String(r.stderr)).toBe(0)
    expect(String(r.stdout).trim()).toBe('complete -F _dlmctl_complete dlmctl')
    expect(script).toMatch(/source <\(dlmctl completion bash\)/) // says how to install it
  })

  it('dlmctl lo<Tab> → lock; dlmctl <Tab> → every topic and top-level command', async () => {
    expect(await candidates(['dlmctl', 'lo'])).toEqual(['lock'])
    const top = await candidates(['dlmctl', ''])
    for (const c of ['lock', 'node', 'domain', 'fs', 'journal', 'drill', 'status', 'recover', 'metrics', 'completion', 'help']) expect(top).toContain(c)
    expect(top.some((c) => c.includes(':'))).toBe(false)
  })

  it('dlmctl lock <Tab> → the lock commands; flags after a command', async () => {
    expect(await candidates(['dlmctl', 'lock', ''])).toEqual(['blockers', 'convert', 'explain', 'list', 'release', 'request'])
    const flags = await candidates(['dlmctl', 'lock', 'list', '--s'])
    expect(flags).toEqual(['--sort', '--state', '--summary'])
  })

  it('--node <Tab> → the node names of the state directory', async () => {
    const {nodes} = await json(state, ['node', 'list'])
    expect(nodes.length).toBeGreaterThan(0)
    expect(await candidates(['dlmctl', 'lock', 'list', '--node', ''])).toEqual(nodes.map((n: any) => n.name).sort())
    expect(await candidates(['dlmctl', 'lock', 'list', '--node', 'n'])).toEqual(nodes.map((n: any) => n.name).sort())
  })

  it('file systems, lock ids of the named file system, modes, -o formats, --sort keys', async () => {
    const {locks} = await json(state, ['lock', 'list', 'fs1'])
    expect(await candidates(['dlmctl', 'lock', 'explain', ''])).toEqual(['fs1'])
    const ids = await candidates(['dlmctl', 'lock', 'explain', 'fs1', ''])
    expect(ids.map(Number).sort((a, b) => a - b)).toEqual(locks.map((l: any) => l.lockId).sort((a: number, b: number) => a - b))
    expect(await candidates(['dlmctl', 'lock', 'explain', 'fs1', '1'])).toEqual(ids.filter((i) => i.startsWith('1')))
    expect(await candidates(['dlmctl', 'lock', 'request', 'fs1', 'r', '--mode', ''])).toEqual(['CR', 'CW', 'EX', 'NL', 'PR', 'PW'])
    expect(await candidates(['dlmctl', 'lock', 'list', '-o', ''])).toEqual(['json', 'table', 'tsv', 'yaml'])
    expect(await candidates(['dlmctl', 'lock', 'list', '--sort', 'n'])).toEqual(['node'])
    expect(await candidates(['dlmctl', 'completion', ''])).toEqual(['bash', 'zsh'])
  })

  it('--node=<Tab> (bash splits the word at =) and dlmctl help <Tab>', async () => {
    expect(await candidates(['dlmctl', 'lock', 'list', '--node', '=', ''])).toEqual(['n1', 'n2', 'n3'])
    expect(await candidates(['dlmctl', 'lock', 'list', '--node', '=', 'n2'])).toEqual(['n2'])
    expect(await candidates(['dlmctl', 'help', 'lo'])).toEqual(['lock'])
    expect(await candidates(['dlmctl', 'help', 'lock', 'l'])).toEqual(['list'])
  })

  it('names come from --state on the line, wherever it is', async () => {
    const other = join(tempDir('other'), 'c')
    expect((await run(other, ['init', '--nodes', 'alpha,beta', '--fs', 'data'])).exitCode).toBe(0)
    expect(await candidates(['dlmctl', 'node', 'heartbeat', '--state', other, ''])).toEqual(['alpha', 'beta'])
    expect(await candidates(['dlmctl', 'lock', 'list', '--node', '', '--state', other], {cword: 4})).toEqual(['alpha', 'beta'])
    expect(await candidates(['dlmctl', 'lock', 'list', ''], {env: {DLMCTL_STATE: other}})).toEqual(['data'])
  })

  it('no state directory, or a path to complete: nothing offered and no error (bash completes file names)', async () => {
    const empty = tempDir('nostate')
    expect(await candidates(['dlmctl', 'lock', 'list', '--node', ''], {env: {DLMCTL_STATE: join(empty, 'none')}})).toEqual([])
    expect(await candidates(['dlmctl', 'drill', 'run', ''], {cwd: empty})).toEqual([])
  })

  it('completing reads without locking or changing anything', async () => {
    const before = treeFiles(state)
    await candidates(['dlmctl', 'lock', 'explain', 'fs1', ''])
    expect(treeFiles(state)).toEqual(before)
  })
})

describe('on a real terminal: bash in tmux, Tab typed', () => {
  it('dlmctl lo<Tab> becomes "dlmctl lock "; lock list --node n<Tab><Tab> lists the nodes', async () => {
    const sock = join(tempDir('tmux'), 'sock')
    const tmux = (...a: string[]) => execa('tmux', ['-S', sock, ...a], {reject: false, env: {PATH: `${binDir}:${process.env.PATH}`, DLMCTL_STATE: state, HOME: tempDir('home'), TERM: 'xterm'}, extendEnv: false})
    writeFileSync(join(binDir, 'rc'), `PS1='$ '\nsource ${join(binDir, 'completion.bash')}\n`)
    await tmux('new-session', '-d', '-x', '120', '-y', '30', `bash --noprofile --rcfile ${join(binDir, 'rc')} -i`)
    try {
      const screen = async (want: RegExp) => {
        let last = ''
        for (let i = 0; i < 100; i++) {
          last = String((await tmux('capture-pane', '-p')).stdout)
          if (want.test(last)) return last
          await new Promise((r) => setTimeout(r, 100))
        }
        throw new Error(`screen never matched ${want}:\n${last}`)
      }
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
    const tmux = (...a: string[]) => execa('tmux', ['-S', sock, ...a], {reject: false, env, extendEnv: false})
    await tmux('new-session', '-d', '-x', '120', '-y', '30', 'zsh -i')
    try {
      const screen = async (want: RegExp) => {
        let last = ''
        for (let i = 0; i < 100; i++) {
          last = String((await tmux('capture-pane', '-p')).stdout)
          if (want.test(last)) return last
          await new Promise((r) => setTimeout(r, 100))
        }
        throw new Error(`screen never matched ${want}:\n${last}`)
      }
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
