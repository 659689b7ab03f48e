// oclif's parse errors rewritten in the house style: one line that names the
// flag or argument, what it takes, and where to read more — never oclif's
// "The following error occurred" or its colon-separated command ids.
import {editDistance} from './suggest.js'

export interface CommandShape {
  /** Command id with spaces (`lock list`). */
  id: string
  flags: Record<string, {description?: string; type?: string; options?: readonly string[]; char?: string; hidden?: boolean}>
  args: Record<string, {description?: string}>
}

const closestFlag = (typed: string, shape: CommandShape): string | undefined => {
  const name = typed.replace(/^-+/, '').split('=')[0]
  let best: {f: string; d: number} | undefined
  for (const [f, def] of Object.entries(shape.flags)) {
    if (def.hidden) continue
    const d = editDistance(name, f)
    if (!best || d < best.d) best = {f, d}
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? `--${best.f}` : undefined
}

/** The house-style message for an oclif parse error, or undefined if it is not one we know. */
export function usageMessage(raw: string, shape: CommandShape): string | undefined {
  const text = raw.replace(/\s+/g, ' ').trim()
  const see = `see: dlmctl ${shape.id} --help`
  let m: RegExpExecArray | null
  if ((m = /Missing required flag:? -?-?([\w-]+)/.exec(text))) {
    const f = shape.flags[m[1]]
    return `missing --${m[1]}${f?.description ? `: ${f.description}` : ''} (${see})`
  }
  if ((m = /Expected --([\w-]+)=(.*?) to be one of: (.*?)(?: See more help|$)/.exec(text))) {
    return `--${m[1]}: '${m[2]}' is not allowed; use one of ${m[3].split(/,\s*/).join(', ')} (${see})`
  }
  if ((m = /Nonexistent flags?: (.*?)(?: See more help|$)/.exec(text))) {
    const typed = m[1].split(/,\s*/)[0]
    const near = closestFlag(typed, shape)
    return `unknown flag ${typed}${near ? ` (did you mean ${near}?)` : ''} (${see})`
  }
  if ((m = /Parsing --([\w-]+) Expected an integer but received: (.*?)(?: See more help|$)/.exec(text))) {
    return `--${m[1]}: '${m[2]}' is not a whole number (${see})`
  }
  if ((m = /Flag --([\w-]+) expects a value/.exec(text))) {
    const f = shape.flags[m[1]]
    return `--${m[1]} needs a value${f?.description ? ` (${f.description})` : ''} (${see})`
  }
  if ((m = /Unexpected arguments?: (.*?)(?: See more help|$)/.exec(text))) {
    const names = Object.keys(shape.args)
    const takes = names.length ? `takes ${names.map((a) => `<${a}>`).join(' ')}` : 'takes no arguments'
    return `unexpected argument '${m[1].split(/,\s*/)[0]}' (dlmctl ${shape.id} ${takes}; ${see})`
  }
  if ((m = /Missing \d+ required args?: ([\w-]+)/.exec(text))) {
    const a = shape.args[m[1]]
    return `missing argument <${m[1]}>${a?.description ? `: ${a.description}` : ''} (${see})`
  }
  if ((m = /--([\w-]+)=\S* cannot also be provided when using --([\w-]+)/.exec(text))) {
    return `--${m[1]} and --${m[2]} cannot be given together (${see})`
  }
  if ((m = /(?:Parsing --([\w-]+) )?Expected an integer (greater|less) than or equal to (-?\d+) but received: (.*?)(?: See more help|$)/.exec(text))) {
    return `${m[1] ? `--${m[1]}: ` : ''}'${m[4]}' is too ${m[2] === 'greater' ? 'small: the least' : 'large: the most'} allowed is ${m[3]} (${see})`
  }
  return undefined
}

/**
 * `--switch=value` for a boolean flag: oclif would take the value as an argument
 * (`lock list --invalid=yes` answered "unknown file system 'yes'"). Say what is wrong.
 */
export function switchWithValue(argv: string[], shape: CommandShape): string | undefined {
  for (const a of argv) {
    if (a === '--') break
    const m = /^--([\w-]+)=(.*)$/s.exec(a)
    if (m && shape.flags[m[1]]?.type === 'boolean') {
      return `--${m[1]} is a switch and takes no value (got ${a}): give --${m[1]} alone, or leave it out (see: dlmctl ${shape.id} --help)`
    }
  }
  return undefined
}
