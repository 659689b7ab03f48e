// Unknown commands: say which command was meant. Runs before oclif sees the
// command line (oclif would answer `command node:mark-ded:n2 not found`, with its
// colon ids, and nothing on stdout under --json).

/** Edit distance with transpositions (a swapped pair of letters, as in "stauts", costs 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({length: a.length + 1}, (_, i) => [i, ...Array(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

export interface Unknown {
  /** The words the operator typed as a command. */
  typed: string
  /** The closest command, if one is close enough to be meant. */
  suggestion?: string
}

/**
 * The command words of `argv` (up to the first flag, at most as many as the
 * longest command id) when they name no command and no topic; else undefined.
 * `ids` are space-separated command ids.
 */
export function unknownCommand(argv: string[], ids: string[]): Unknown | undefined {
  const words: string[] = []
  for (const a of argv) {
    if (a.startsWith('-')) break
    words.push(a)
  }
  if (words.length === 0) return undefined
  const topics = new Set(ids.filter((id) => id.includes(' ')).map((id) => id.split(' ')[0]))
  const idSet = new Set(ids)
  for (let n = Math.min(words.length, 3); n >= 1; n--) if (idSet.has(words.slice(0, n).join(' '))) return undefined
  // A topic alone (`dlmctl lock`) is oclif's topic help.
  if (words.length === 1 && topics.has(words[0])) return undefined
  // A known topic: the next word is its mistyped command; else the first word is.
  const typed = topics.has(words[0]) || (words.length > 1 && [...topics].some((t) => editDistance(t, words[0]) <= 1))
    ? words.slice(0, 2).join(' ')
    : words[0]
  let best: {id: string; d: number} | undefined
  for (const id of ids) {
    const d = editDistance(typed, id)
    if (!best || d < best.d) best = {id, d}
  }
  // Close enough to be a typo: a third of the length, at least 2 edits. Else also
  // try the last word alone against each command's (`dlmctl mark-dead` → `node mark-dead`).
  const ok = (d: number, s: string) => d <= Math.max(2, Math.floor(s.length / 3))
  if (best && ok(best.d, typed)) return {typed, suggestion: best.id}
  const last = typed.split(' ').at(-1)!
  const byWord = ids.filter((id) => id.includes(' ') && ok(editDistance(last, id.split(' ').at(-1)!), last))
  return {typed, suggestion: byWord.length === 1 ? byWord[0] : undefined}
}

export function unknownMessage(u: Unknown): string {
  return `unknown command '${u.typed}'${u.suggestion ? ` (did you mean '${u.suggestion}'?)` : ''}; see: dlmctl --help`
}
