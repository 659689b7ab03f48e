// Questions on the terminal (stderr, keys from stdin). An operator in an outage
// must never have a key typed too early answer a question not yet on screen, and
// Ctrl-C or Escape must always mean "stop, change nothing" — never an internal
// error. So keys typed before a question appears are discarded, and both keys
// end the command with CANCELLED (exit 130).
import {DlmError} from '../errors.js'
import {emitKeypressEvents} from 'node:readline'
import {createRequire} from 'node:module'

export const cancelled = (what = 'cancelled; nothing changed') => new DlmError('CANCELLED', what)

const CTRL_C = '\x03'
const CTRL_D = '\x04'
const ESC = '\x1b'

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Throw away whatever was typed before the question is shown: the terminal
 * holds such keys (even an unfinished line) until someone reads them, and read
 * in raw mode they all arrive at once. A Ctrl-C among them still cancels.
 */
export async function discardTypeAhead(): Promise<void> {
  const input = process.stdin
  if (!input.isTTY) return
  let interrupted = false
  const drop = (b: Buffer) => {
    if (b.includes(CTRL_C)) interrupted = true
  }
  input.setRawMode(true)
  input.on('data', drop)
  input.resume()
  await sleep(40)
  input.off('data', drop)
  input.pause()
  input.setRawMode(false)
  if (interrupted) throw cancelled()
}

/**
 * Ask "<message> (y/N)". y or yes (any case) then Enter is yes; Enter alone, n,
 * or anything else is no (the default: a destructive change needs a clear yes).
 * Ctrl-C, Escape or Ctrl-D cancel.
 */
export async function askYesNo(message: string): Promise<boolean> {
  await discardTypeAhead()
  const input = process.stdin
  const out = process.stderr
  // Raw mode before the question shows: a Ctrl-C typed as it appears is a key we read, not a signal.
  input.setRawMode(true)
  out.write(`${message} (y/N) `)
  return new Promise<boolean>((resolve, reject) => {
    let answer = ''
    const end = () => {
      input.off('data', onData)
      process.off('SIGINT', onSigint)
      input.setRawMode(false)
      input.pause()
      out.write('\n')
    }
    const cancel = () => {
      end()
      reject(cancelled())
    }
    const onSigint = () => cancel()
    const onData = (b: Buffer) => {
      const s = b.toString('utf8')
      // A lone ESC is the Escape key; ESC followed by more is a key sequence (an arrow key): ignored.
      if (s === ESC) return cancel()
      if (s.startsWith(ESC)) return
      for (const ch of s) {
        if (ch === CTRL_C || ch === CTRL_D) return cancel()
        if (ch === '\r' || ch === '\n') {
          end()
          return resolve(/^y(es)?$/i.test(answer.trim()))
        }
        if (ch === '\x7f' || ch === '\b') {
          if (answer) out.write('\b \b')
          answer = answer.slice(0, -1)
        } else if (ch >= ' ') {
          answer += ch
          out.write(ch)
        }
      }
    }
    process.on('SIGINT', onSigint)
    disarmEarlyCancel() // after onSigint is in: SIGINT always has a listener
    input.on('data', onData)
    input.resume()
  })
}

/**
 * Let the operator tick some of `choices` (inquirer's checkbox). Escape cancels
 * like Ctrl-C does (inquirer itself ignores Escape and reports Ctrl-C as an error).
 */
export async function chooseMany(message: string, choices: {name: string; value: string; checked: boolean}[]): Promise<string[]> {
  await discardTypeAhead()
  // Loaded from node_modules when a terminal asks (not bundled: half a megabyte every command would read).
  const {checkbox} = createRequire(import.meta.url)('@inquirer/prompts') as typeof import('@inquirer/prompts')
  const abort = new AbortController()
  const onKey = (_: string, key?: {name?: string; sequence?: string}) => {
    if (key?.name === 'escape' && key.sequence === ESC) abort.abort()
  }
  emitKeypressEvents(process.stdin)
  process.stdin.on('keypress', onKey)
  try {
    return await checkbox({message, choices}, {output: process.stderr, signal: abort.signal})
  } catch (e) {
    if (e instanceof Error && (e.name === 'ExitPromptError' || e.name === 'AbortPromptError')) throw cancelled()
    throw e
  } finally {
    process.stdin.off('keypress', onKey)
    process.stdin.pause()
  }
}

/**
 * While a plan is computed before a question: one line on stderr (terminal only,
 * never with --json) so the wait is not silent, and Ctrl-C meanwhile cancels
 * cleanly (nothing has changed yet).
 */
export async function computing<T>(show: boolean, fn: () => Promise<T>, what = 'computing the plan…'): Promise<T> {
  const on = show && process.stderr.isTTY
  let onSigint = () => {}
  const interrupted = new Promise<never>((_, reject) => {
    onSigint = () => reject(cancelled())
  })
  // The handler first, then the line: a Ctrl-C typed the moment the line shows
  // must find it (with no listener, Node dies of the signal, saying nothing).
  process.on('SIGINT', onSigint)
  if (on) process.stderr.write(what)
  try {
    return await Promise.race([fn(), interrupted])
  } finally {
    // Until the question that follows takes over Ctrl-C, it still means "cancelled";
    // armed before this one goes, so that SIGINT never lacks a listener meanwhile.
    armEarlyCancel(!show)
    process.off('SIGINT', onSigint)
    if (on) process.stderr.write('\r\x1b[2K')
  }
}

let earlyCancel: (() => void) | null = null

/**
 * Between a plan and its question (rendering, discarding type-ahead) a Ctrl-C
 * arrives as SIGINT with no handler of the question's yet: nothing has changed,
 * so end as a cancel at the question would (exit 130, the same words), never
 * killed silently by the signal.
 */
function armEarlyCancel(json: boolean): void {
  const previous = earlyCancel
  earlyCancel = () => {
    if (json) process.stdout.write(JSON.stringify({error: {code: 'CANCELLED', message: 'cancelled; nothing changed'}}, null, 2) + '\n')
    else process.stderr.write('\ndlmctl: cancelled; nothing changed\n')
    process.exit(130)
  }
  process.on('SIGINT', earlyCancel)
  if (previous) process.off('SIGINT', previous)
}

/** The question has its own Ctrl-C handling now (or none follows): back to the default. */
export function disarmEarlyCancel(): void {
  if (earlyCancel) process.off('SIGINT', earlyCancel)
  earlyCancel = null
}
