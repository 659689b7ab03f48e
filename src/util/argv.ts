import {usage} from '../errors.js'

/**
 * Split a command line the way a POSIX shell splits words: whitespace separates,
 * single quotes keep everything, double quotes keep all but \" and \\, a
 * backslash outside quotes escapes the next character. No expansion of any kind.
 */
export function splitArgs(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let inWord = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === "'") {
      const end = line.indexOf("'", i + 1)
      if (end < 0) throw usage(`unterminated ' in: ${line}`)
      cur += line.slice(i + 1, end)
      i = end
      inWord = true
    } else if (c === '"') {
      let j = i + 1
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++
        cur += line[j]
      }
      if (j >= line.length) throw usage(`unterminated " in: ${line}`)
      i = j
      inWord = true
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += c
      inWord = true
    }
  }
  if (inWord) out.push(cur)
  return out
}

/**
 * The arguments of a command that takes any number of them (recover, fs write),
 * where oclif lets an unknown flag through as one: refuse the first that looks
 * like a flag.
 */
export function noFlagAmong(args: readonly string[], command: string): void {
  const bad = args.find((a) => a.startsWith('-'))
  if (bad) throw usage(`unknown flag ${bad} (see: dlmctl ${command} --help)`)
}
