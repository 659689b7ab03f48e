// Fencing: run the cluster's fence command for a node, without a shell, with a
// timeout. The node is declared dead only if this succeeds (or is skipped).
import {spawn} from 'node:child_process'

export interface FenceResult {
  argv: string[]
  ok: boolean
  exitCode: number | null
  signal: string | null
  timedOut: boolean
  /** Last line the command wrote on stderr (or the spawn error). */
  message: string
}

export function fenceArgv(cmd: string[], node: string): string[] {
  return cmd.map((a) => a.replaceAll('{node}', node))
}

export function runFence(cmd: string[], node: string, timeoutMs: number): Promise<FenceResult> {
  const argv = fenceArgv(cmd, node)
  return new Promise((resolve) => {
    let stderr = ''
    let timedOut = false
    let settled = false
    const done = (r: Omit<FenceResult, 'argv'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({argv, ...r})
    }
    const child = spawn(argv[0], argv.slice(1), {stdio: ['ignore', 'ignore', 'pipe'], shell: false, detached: true})
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000)
    })
    const timer = setTimeout(() => {
      timedOut = true
      // Kill the whole process group: a fence script may have children.
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    }, timeoutMs)
    child.on('error', (e) => done({ok: false, exitCode: null, signal: null, timedOut: false, message: e.message}))
    // Decide on exit, not on close: a fence script may leave a background child
    // holding its stderr. Give stderr a moment to deliver its last line.
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      const last = stderr.trim().split('\n').at(-1) ?? ''
      done({
        ok: code === 0 && !timedOut,
        exitCode: code,
        signal,
        timedOut,
        message: timedOut ? `timed out after ${timeoutMs / 1000}s` : last,
      })
      child.stderr!.destroy()
    }
    child.on('exit', (code, signal) => {
      const grace = setTimeout(() => finish(code, signal), 100)
      child.on('close', () => {
        clearTimeout(grace)
        finish(code, signal)
      })
    })
  })
}
