// Long human output goes through a pager, like git and systemctl do: only when
// stdout is a terminal and the text is taller than it, through $PAGER (default
// `less -FRX`: quit if it fits, keep colours, leave the text on screen). An empty
// PAGER, PAGER=cat or a pager that cannot start prints straight to the terminal.
import {createRequire} from 'node:module'

export const DEFAULT_PAGER = 'less -FRX'

export function pagerCommand(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const p = env.DLMCTL_PAGER ?? env.PAGER ?? DEFAULT_PAGER
  return p.trim() === '' || p.trim() === 'cat' ? undefined : p
}

/** Write human output to stdout, through the pager when it is long and stdout is a terminal. */
export async function writeHuman(text: string): Promise<void> {
  const out = text.endsWith('\n') ? text : text + '\n'
  const rows = process.stdout.rows ?? 0
  const pager = pagerCommand()
  if (!process.stdout.isTTY || !pager || rows === 0 || lineCount(out) < rows) {
    process.stdout.write(out)
    return
  }
  // node:child_process only here: loading it is a few milliseconds of every command's start. (require, not
  // import(): the bundle runs through vm.Script, where import() is not available, src/cli/boot.ts.)
  const {spawn} = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')
  const ok = await new Promise<boolean>((resolve) => {
    // Through the shell, as git does: PAGER may carry options ("less -S").
    const child = spawn('/bin/sh', ['-c', pager], {stdio: ['pipe', 'inherit', 'inherit'], env: {LESS: 'FRX', ...process.env}})
    let started = false
    child.on('spawn', () => (started = true))
    child.on('error', () => resolve(false))
    // The pager quit before reading everything (q in less): not an error.
    child.stdin.on('error', () => {})
    child.on('close', (code) => resolve(started && code !== 127))
    child.stdin.end(out)
  })
  if (!ok) process.stdout.write(out)
}

function lineCount(s: string): number {
  let n = 0
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++
  return n
}
