// Shell completion: the candidates for the word under the cursor, from the
// command table of the bundled oclif manifest (commands, topics, flags, flag
// options) and, read straight from the state without taking its locks (a
// shell must never wait on a busy cluster), node names, file systems, recovery
// ids and lock ids: the same files on a state directory and on etcd (its keys
// read at one revision, see src/cli/complete.ts). Everything here only reads.
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {MODES} from '../model/modes.js'
import {NODE_NAME} from '../model/names.js'
import {DOMAINS, MEMBERSHIP, domainFile, indexChunkOfName, indexDir, indexFileNamed, isIndexChunkName} from '../store/layout.js'
import {SORT_KEYS} from './summary.js'

export interface ManifestFlag {
  name: string
  char?: string
  type: 'option' | 'boolean'
  options?: string[]
  hidden?: boolean
}
export interface ManifestCommand {
  id: string
  hidden?: boolean
  flags: Record<string, ManifestFlag>
  args: Record<string, {name: string; options?: string[]}>
}
export type CommandTable = Record<string, ManifestCommand>

export function loadManifest(path: string): CommandTable {
  return (JSON.parse(readFileSync(path, 'utf8')) as {commands: CommandTable}).commands
}

/** What the state can name (read lazily: only what a completion needs is read). */
export interface StateSource {
  nodes(): Promise<string[]>
  fileSystems(): Promise<string[]>
  recoveryIds(fs: string): Promise<string[]>
  lockIds(fs: string): Promise<string[]>
}

/** The state's files as text, read loosely: a missing or unreadable file is undefined, a missing directory lists nothing. */
export interface StateFiles {
  text(rel: string): Promise<string | undefined>
  list(rel: string): Promise<string[]>
}


/** A state directory's files, read as plain files without its locks. */
export function dirFiles(root: string): StateFiles {
  return {
    text: async (rel) => {
      try {
        return readFileSync(join(root, rel), 'utf8')
      } catch {
        return undefined
      }
    },
    list: async (rel) => {
      try {
        return readdirSync(join(root, rel))
      } catch {
        return []
      }
    },
  }
}

/** The names a state's files hold (the same files on a directory and on etcd); anything odd completes nothing. */
export function stateSource(files: StateFiles): StateSource {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read loosely: a missing or odd field completes nothing
  const json = async (rel: string): Promise<any> => {
    try {
      return JSON.parse((await files.text(rel)) ?? '')
    } catch {
      return undefined
    }
  }
  return {
    nodes: async () => (((await json(MEMBERSHIP))?.nodes ?? []) as {name?: unknown}[]).map((n) => String(n?.name)).filter((n) => NODE_NAME.test(n)),
    fileSystems: async () => (await files.list(DOMAINS)).filter((n) => NODE_NAME.test(n)).sort(),
    recoveryIds: async (fs) => (NODE_NAME.test(fs) ? (((await json(domainFile(fs)))?.attachments ?? []) as {id?: unknown}[]).map((a) => String(a?.id)) : []),
    // The lock index: one small file per 1,024 ids mapping id → resource. The
    // ids are the keys, found without parsing the names: every '":"' of such a
    // file ends a key (a '"' inside a name is escaped, and the one other key,
    // "locks", is followed by '{'). Native searches, no match object per id: at
    // 100,000 ids a regular expression's matches were a sixth of the call's time.
    lockIds: async (fs) => {
      if (!NODE_NAME.test(fs)) return []
      const out: string[] = []
      const chunks = (await files.list(indexDir(fs)))
        .filter(isIndexChunkName)
        .sort((a, b) => indexChunkOfName(a) - indexChunkOfName(b))
      for (const f of chunks) {
        const text = await files.text(indexFileNamed(fs, f))
        if (text !== undefined) for (let p = text.indexOf('":"'); p >= 0; p = text.indexOf('":"', p + 3)) out.push(text.slice(text.lastIndexOf('"', p - 1) + 1, p))
      }
      return out
    },
  }
}

const GLOBAL_FLAGS = ['--state', '--json', '--wait', '--help']

/** Value completions of flags that name something, by flag name. */
function flagValues(flag: string, cmd: ManifestCommand | undefined, st: StateSource, fs: string | undefined): Promise<string[]> | string[] | undefined {
  const f = cmd ? Object.values(cmd.flags).find((x) => x.name === flag) : undefined
  if (f?.options) return f.options
  switch (flag) {
    case 'node':
    case 'as':
      return st.nodes()
    case 'domain':
      return st.fileSystems()
    case 'fs':
      return cmd?.id === 'node:join' ? st.fileSystems() : undefined
    case 'mode':
      return [...MODES]
    case 'sort':
      return [...SORT_KEYS]
    case 'id':
      return fs ? st.recoveryIds(fs) : []
    default:
      return undefined // a free value (or a path: the shell completes file names)
  }
}

function argValues(arg: string, st: StateSource, fs: string | undefined): Promise<string[]> | string[] {
  switch (arg) {
    case 'fs':
      return st.fileSystems()
    case 'node':
      return st.nodes()
    case 'lockid':
      return fs ? st.lockIds(fs) : []
    case 'shell':
      return ['bash', 'zsh']
    default:
      return []
  }
}

/**
 * Candidates for words[cword], where words are the command line's words after
 * the program name (words[cword] is the partial word being completed; it may be
 * ''). Only candidates starting with it, sorted, without duplicates.
 */
export async function complete(table: CommandTable, rawWords: string[], rawCword: number, state: (stateDir: string | undefined) => StateSource): Promise<string[]> {
  // bash splits `--node=n2` at '=' (COMP_WORDBREAKS): join such pieces back into one word.
  const words: string[] = []
  let cword = rawCword
  for (let i = 0; i < rawWords.length; i++) {
    const w = rawWords[i]
    if ((w === '=' || (i > 0 && rawWords[i - 1] === '=')) && words.length && /^--[a-z-]+=?$/.test(words[words.length - 1])) {
      words[words.length - 1] += w
      if (i <= rawCword) cword--
    } else words.push(w)
  }
  let cur = words[cword] ?? ''
  const before = words.slice(0, cword)
  // --flag=value: complete the value; the shell replaces only what follows the '='.
  const eq = /^(--[a-z-]+)=(.*)$/.exec(cur)
  if (eq) {
    before.push(eq[1])
    cur = eq[2]
  }
  // `dlmctl help <Tab>`: the command path, as without help.
  if (before[0] === 'help' && cword >= 1) return complete(table, [...before.slice(1), cur], cword - 1, state)
  const ids = Object.values(table).filter((c) => !c.hidden).map((c) => c.id.split(':'))
  // The command: the longest run of leading words (before the cursor) that names one.
  let cmd: ManifestCommand | undefined
  let cmdLen = 0
  for (let n = Math.min(3, before.length); n >= 1 && !cmd; n--) {
    const id = before.slice(0, n).join(':')
    if (table[id] && !table[id].hidden) {
      cmd = table[id]
      cmdLen = n
    }
  }
  const pick = (xs: Iterable<string>) => [...new Set([...xs].filter((x) => x.startsWith(cur)))].sort()
  // Lock ids come unique and in ascending order: 100,000 of them need no sorting.
  const pickOrdered = (xs: string[]) => (cur ? xs.filter((x) => x.startsWith(cur)) : xs)
  if (!cmd) {
    // Still in the command path: topics and commands under what is typed.
    if (before.some((w) => w.startsWith('-'))) return []
    const next = ids.filter((p) => p.length > before.length && before.every((w, i) => p[i] === w)).map((p) => p[before.length])
    return pick([...next, ...(before.length === 0 ? ['help'] : [])])
  }
  // The --state given on the line (else DLMCTL_STATE, else the default) is where names come from.
  const rest = before.slice(cmdLen)
  // --state may come anywhere on the line, after the cursor too.
  const line = [...rest, ...words.slice(cword + 1)]
  const stateAt = line.lastIndexOf('--state')
  const st = state(stateAt >= 0 ? line[stateAt + 1] : undefined)
  const valueFlags = new Set(['state', 'wait', ...Object.values(cmd.flags).filter((f) => f.type === 'option').map((f) => f.name)])
  const charOf = new Map(Object.values(cmd.flags).filter((f) => f.char).map((f) => [`-${f.char}`, f.name]))
  // Positional arguments typed so far (skipping flags and their values).
  const positional: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]
    if (w === '--') continue
    if (w.startsWith('-')) {
      const name = charOf.get(w) ?? w.replace(/^--/, '')
      if (!w.includes('=') && valueFlags.has(name)) i++
      continue
    }
    positional.push(w)
  }
  const argNames = Object.keys(cmd.args)
  const fs = argNames[0] === 'fs' ? positional[0] : undefined
  const prev = before[before.length - 1]
  if (prev !== undefined && before.length > cmdLen && prev.startsWith('-')) {
    const name = charOf.get(prev) ?? prev.replace(/^--/, '')
    if (!prev.includes('=') && valueFlags.has(name)) return pick((await flagValues(name, cmd, st, fs)) ?? [])
  }
  if (cur.startsWith('-')) {
    const own = Object.values(cmd.flags).filter((f) => !f.hidden).flatMap((f) => [`--${f.name}`])
    return pick([...own, ...GLOBAL_FLAGS])
  }
  const argName = argNames[Math.min(positional.length, argNames.length - 1)]
  if (argName === undefined) return []
  // Past the last argument: only a variadic `recover fs...` takes more.
  if (positional.length >= argNames.length && !(cmd.id === 'recover' && argName === 'fs')) return []
  return argName === 'lockid' ? pickOrdered(await argValues(argName, st, fs)) : pick(await argValues(argName, st, fs))
}
