// The man pages against the code: every command of the oclif manifest has an
// entry in some page of man/ that names all its flags and arguments; dlmctl.1
// names the global flags, every exit status of src/errors.ts EXIT with the error
// codes that map to it, and every page in its SEE ALSO; every page is sound roff
// (checked by groff when it is installed, and by hand in any case).
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {EXIT, REFUSAL_CODES, USAGE_CODES, exitCodeOf, type ErrorCode} from '../../src/errors.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MAN_DIR = join(ROOT, 'man')
const MANIFEST = join(ROOT, 'oclif.manifest.json')
const MAIN_PAGE = 'dlmctl.1'

interface ManifestFlag {
  name: string
  char?: string
  type: 'option' | 'boolean'
  default?: unknown
  helpGroup?: string
  hidden?: boolean
}
interface ManifestCommand {
  id: string
  hidden?: boolean
  flags: Record<string, ManifestFlag>
  args: Record<string, {name: string}>
}

function loadManifest(): {commands: Record<string, ManifestCommand>} | undefined {
  if (!existsSync(MANIFEST)) return undefined
  return JSON.parse(readFileSync(MANIFEST, 'utf8'))
}
const manifest = loadManifest()
const NO_MANIFEST = 'oclif.manifest.json is missing: run `npm run build` first (npm test builds before running vitest)'
const commands = manifest ? Object.values(manifest.commands).sort((a, b) => (a.id < b.id ? -1 : 1)) : []

// ------------------------------------------------------------------ roff helpers

const pageNames = (existsSync(MAN_DIR) ? readdirSync(MAN_DIR) : []).filter((f) => /\.[1-8]$/.test(f)).sort()
const pages = new Map(pageNames.map((f) => [f, readFileSync(join(MAN_DIR, f), 'utf8')]))

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** How a literal word is written in roff source: every hyphen as \-. */
const roff = (s: string) => s.replace(/-/g, '\\-')
/** Roff source to plain text, roughly: escapes of hyphens, quotes and fonts resolved. */
const plain = (s: string) =>
  s
    .replace(/\\-/g, '-')
    .replace(/\\\(dq/g, '"')
    .replace(/\\f(?:\[[^\]]*\]|\(..|.)/g, '')
    .replace(/\\&/g, '')

/** The page's sections: .SH title (unquoted) → the lines up to the next .SH. */
function sections(src: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let cur: string[] | undefined
  for (const line of src.split('\n')) {
    const m = /^\.SH\s+(.*)$/.exec(line)
    if (m) {
      cur = []
      out.set(m[1].replace(/^"|"$/g, '').trim(), cur)
    } else cur?.push(line)
  }
  return out
}

/** `dlmctl <id>` as a regexp over roff source (spaces for ':', escaped hyphens), ending at a word's end. */
const commandRe = (id: string) => `${escapeRe(roff(`dlmctl ${id.replaceAll(':', ' ')}`))}(?=$|\\s|"|\\\\f)`

/**
 * An entry for a command: a `.B dlmctl <id>` line in SYNOPSIS, or an
 * `.SS "dlmctl <id> ..."` heading.
 */
function hasEntry(src: string, id: string): boolean {
  const synopsis = (sections(src).get('SYNOPSIS') ?? []).join('\n')
  return new RegExp(`^\\.B\\s+${commandRe(id)}`, 'm').test(synopsis) || new RegExp(`^\\.SS\\s+"?${commandRe(id)}`, 'm').test(src)
}

/** The lines of the `.SS "dlmctl <id> ..."` subsection, if the page has one (up to the next .SS or .SH). */
function subsection(src: string, id: string): string[] | undefined {
  const head = new RegExp(`^\\.SS\\s+"?${commandRe(id)}`)
  const lines = src.split('\n')
  const start = lines.findIndex((l) => head.test(l))
  if (start < 0) return undefined
  const end = lines.findIndex((l, i) => i > start && /^\.S[HS]\b/.test(l))
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

/** Bodies of the .TP paragraphs whose tag line names \-\-flag. */
function flagParagraphs(lines: string[], flag: string): string[] {
  const tag = new RegExp(`\\\\-\\\\-${escapeRe(roff(flag))}(?!\\\\-|[A-Za-z0-9])`)
  return tpParagraphs(lines).filter(([t]) => tag.test(t)).map(([, body]) => body)
}

/** The argument appears in italics: in a \fI...\f run, or on an .I/.IR/.RI/.BI/.IB line. */
function mentionsArg(src: string, name: string): boolean {
  const word = new RegExp(`(^|[^A-Za-z0-9_-])${escapeRe(name)}($|[^A-Za-z0-9_-])`)
  for (const m of src.matchAll(/\\fI(.*?)(?=\\f|$)/gm)) if (word.test(m[1])) return true
  for (const line of src.split('\n')) if (/^\.(I|IR|RI|BI|IB)\s/.test(line) && word.test(line.replace(/^\.\S+/, ''))) return true
  return false
}

/** The .TP paragraphs of some lines: [raw tag line, body up to the next paragraph or heading]. */
function tpParagraphs(lines: string[]): [string, string][] {
  const out: [string, string][] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '.TP') continue
    const body: string[] = []
    for (let j = i + 2; j < lines.length && !/^\.(TP|PP|IP|SH|SS)\b/.test(lines[j]); j++) body.push(lines[j])
    out.push([lines[i + 1] ?? '', body.join('\n')])
  }
  return out
}

/** The paragraph says "Default:" and gives the value after it. */
const givesDefault = (body: string, value: string) => {
  const k = body.indexOf('Default')
  return k >= 0 && body.slice(k).includes(roff(value))
}

/** EXIT STATUS entries: the tag's text (`.B 5` → "5") → body. */
const exitEntries = (lines: string[]) => new Map(tpParagraphs(lines).map(([t, b]) => [plain(t).replace(/^\.\S+\s+/, '').trim(), b]))

const hasWord = (text: string, word: string) => new RegExp(`(^|[^A-Za-z0-9_])${escapeRe(word)}($|[^A-Za-z0-9_])`).test(text)

/** Every error code named in src/errors.ts: the lists and the ErrorCode union. */
function errorCodes(): string[] {
  const src = readFileSync(join(ROOT, 'src/errors.ts'), 'utf8')
  return [...new Set([...src.matchAll(/'([A-Z][A-Z_]+)'/g)].map((m) => m[1]))].sort()
}

const hasGroff = spawnSync('sh', ['-c', 'command -v groff'], {encoding: 'utf8'}).status === 0

// ------------------------------------------------------------------ tests

describe('man pages', () => {
  it('oclif.manifest.json exists (made by npm run build)', () => {
    if (!manifest) throw new Error(NO_MANIFEST)
    expect(commands.length).toBeGreaterThan(0)
  })

  it('oclif.manifest.json lists exactly the commands in commands/ (else rebuild)', () => {
    if (!manifest) throw new Error(NO_MANIFEST)
    const ids: string[] = []
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e)
        if (statSync(p).isDirectory()) walk(p)
        else if (p.endsWith('.ts')) ids.push(relative(join(ROOT, 'commands'), p).replace(/\.ts$/, '').split(/[\\/]/).join(':'))
      }
    }
    walk(join(ROOT, 'commands'))
    expect(Object.keys(manifest.commands).sort(), 'oclif.manifest.json is stale: run `npm run build`').toEqual(ids.sort())
  })

  it(`man/ has ${MAIN_PAGE} and topic pages`, () => {
    expect(pageNames).toContain(MAIN_PAGE)
    expect(pageNames.length).toBeGreaterThan(1)
  })

  describe.each(commands.map((c) => [c.id.replaceAll(':', ' '), c] as const))('dlmctl %s', (_name, cmd) => {
    const entryPages = [...pages].filter(([, src]) => hasEntry(src, cmd.id))
    const own = Object.values(cmd.flags).filter((f) => f.helpGroup !== 'GLOBAL' && !f.hidden)

    it('has an entry in a page of man/', () => {
      expect(entryPages.map(([f]) => f), `no page in man/ has an entry "dlmctl ${cmd.id.replaceAll(':', ' ')}" (a .B line in SYNOPSIS or an .SS heading)`).not.toEqual([])
    })

    it.each(own.map((f) => [f.name, f] as const))('the page with its entry documents --%s', (_n, flag) => {
      for (const [file, src] of entryPages) {
        expect(src.includes(`\\-\\-${roff(flag.name)}`), `${file} does not mention \\-\\-${roff(flag.name)}`).toBe(true)
        // Its meaning: a .TP entry for the flag, in the command's own subsection when it has one.
        const where = subsection(src, cmd.id) ?? src.split('\n')
        const paras = flagParagraphs(where, flag.name)
        expect(paras.length, `${file} has no .TP entry for \\-\\-${roff(flag.name)}${subsection(src, cmd.id) ? ` under its .SS "dlmctl ${cmd.id.replaceAll(':', ' ')}"` : ''}`).toBeGreaterThan(0)
        if (flag.char) expect(src.includes(`\\-${flag.char}`), `${file} does not mention \\-${flag.char} (short for --${flag.name})`).toBe(true)
        if (flag.type === 'option' && flag.default !== undefined) {
          const d = String(flag.default)
          expect(paras.some((b) => givesDefault(b, d)), `${file}: the entry for --${flag.name} does not say "Default: ${roff(d)}"`).toBe(true)
        }
      }
    })

    it.each(Object.keys(cmd.args).map((a) => [a] as const))('the page with its entry documents argument %s', (arg) => {
      for (const [file, src] of entryPages) expect(mentionsArg(src, arg), `${file} does not mention argument ${arg} in italics`).toBe(true)
    })

  })

  const globalFlags = [...new Map(commands.flatMap((c) => Object.values(c.flags)).filter((f) => f.helpGroup === 'GLOBAL').map((f) => [f.name, f])).values()]
  it.each(globalFlags.map((f) => [f.name, f] as const))('dlmctl.1 GLOBAL OPTIONS documents global flag --%s', (_n, flag) => {
    const global = sections(pages.get(MAIN_PAGE) ?? '').get('GLOBAL OPTIONS') ?? []
    const paras = flagParagraphs(global, flag.name)
    expect(paras.length, `dlmctl.1 GLOBAL OPTIONS has no .TP entry for \\-\\-${roff(flag.name)}`).toBeGreaterThan(0)
    if (flag.type === 'option' && flag.default !== undefined) {
      expect(paras.some((b) => givesDefault(b, String(flag.default))), `the entry for --${flag.name} does not say "Default: ${roff(String(flag.default))}"`).toBe(true)
    }
  })

  describe(`${MAIN_PAGE} EXIT STATUS`, () => {
    const main = pages.get(MAIN_PAGE) ?? ''
    const exitSection = sections(main).get('EXIT STATUS') ?? []
    const paragraphs = exitEntries(exitSection)

    it.each(Object.entries(EXIT))('lists %s as %i', (name, n) => {
      const body = paragraphs.get(String(n))
      expect(body, `no ".TP / .B ${n}" entry in EXIT STATUS`).toBeDefined()
      expect(hasWord(body!, name), `the entry for ${n} does not name ${name}`).toBe(true)
    })

    it('lists nothing but the codes of EXIT', () => {
      expect([...paragraphs.keys()].sort()).toEqual(Object.values(EXIT).map(String).sort())
    })

    const codes = errorCodes()
    it('src/errors.ts names the refusal and usage codes and others', () => {
      for (const c of [...REFUSAL_CODES, ...USAGE_CODES]) expect(codes).toContain(c)
      expect(codes.length).toBeGreaterThan(REFUSAL_CODES.length + USAGE_CODES.length)
    })

    it.each(codes.map((c) => [c] as const))('names error code %s under its exit status', (code) => {
      expect(hasWord(main, code), `dlmctl.1 does not mention ${code}`).toBe(true)
      const n = exitCodeOf(code as ErrorCode)
      expect(hasWord(paragraphs.get(String(n)) ?? '', code), `${code} (exit ${n}) is not in the EXIT STATUS entry for ${n}`).toBe(true)
    })
  })

  describe(`${MAIN_PAGE} SEE ALSO`, () => {
    const seeAlso = plain((sections(pages.get(MAIN_PAGE) ?? '').get('SEE ALSO') ?? []).join('\n'))
    it.each(pageNames.filter((f) => f !== MAIN_PAGE).map((f) => [f] as const))('references %s', (file) => {
      const [, name, sec] = /^(.*)\.([1-8])$/.exec(file)!
      expect(new RegExp(`(^|[\\s,])${escapeRe(name)}\\s*\\(${sec}\\)`).test(seeAlso), `SEE ALSO of dlmctl.1 does not reference ${name}(${sec})`).toBe(true)
    })
  })

  describe.each(pageNames.map((f) => [f] as const))('%s is sound roff', (file) => {
    const src = pages.get(file)!
    const lines = src.split('\n')

    it('starts with .TH naming the page and its section', () => {
      const [, name, sec] = /^(.*)\.([1-8])$/.exec(file)!
      expect(lines[0]).toMatch(new RegExp(`^\\.TH ${escapeRe(roff(name.toUpperCase()))} ${sec} `))
      for (const s of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'SEE ALSO']) expect([...sections(src).keys()], `section ${s}`).toContain(s)
    })

    it('balances .RS/.RE, .EX/.EE and .nf/.fi', () => {
      let rs = 0
      let open: string | undefined
      lines.forEach((line, i) => {
        const at = `${file}:${i + 1}`
        const m = /^\.(RS|RE|EX|EE|nf|fi)\b/.exec(line)
        if (!m) return
        if (m[1] === 'RS') rs++
        else if (m[1] === 'RE') expect(--rs, `${at}: .RE without .RS`).toBeGreaterThanOrEqual(0)
        else if (m[1] === 'EX' || m[1] === 'nf') {
          expect(open, `${at}: .${m[1]} inside .${open}`).toBeUndefined()
          open = m[1]
        } else {
          expect(open, `${at}: .${m[1]} closes nothing`).toBe(m[1] === 'EE' ? 'EX' : 'nf')
          open = undefined
        }
      })
      expect(rs, 'unclosed .RS').toBe(0)
      expect(open, `unclosed .${open}`).toBeUndefined()
    })

    it('escapes the hyphens of options (\\-\\-flag, never --flag)', () => {
      lines.forEach((line, i) => {
        if (line.startsWith('.\\"')) return
        expect(line.replace(/\\-/g, ''), `${file}:${i + 1}: unescaped --`).not.toMatch(/--/)
      })
    })

    it('has no line starting with a quote or a dot that is not a request', () => {
      lines.forEach((line, i) => {
        expect(line, `${file}:${i + 1}`).not.toMatch(/^'/)
        if (line.startsWith('.')) expect(line, `${file}:${i + 1}: not a request`).toMatch(/^\.(\\"|[A-Za-z]{1,3}\b)/)
      })
    })

    it.runIf(hasGroff)('renders with groff -man -Tutf8 -ww -z without a warning', () => {
      const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', join(MAN_DIR, file)], {encoding: 'utf8'})
      expect(r.status, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
    })
  })
})
