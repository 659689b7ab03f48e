// Reading a drill's YAML by hand: where each node is (file:line:col), the shape
// checks every part of a drill shares, and the collection of mistakes (a drill
// author sees them all in one run, not one per run).
import {DrillInvalid, DrillMistakes, type Pos} from './types.js'

export type YNode = import('yaml').Node
export type YMap = import('yaml').YAMLMap
export type YSeq = import('yaml').YAMLSeq
export type YScalar = import('yaml').Scalar
export type YAML = typeof import('yaml')

export class YamlReader {
  readonly mistakes: DrillInvalid[] = []

  constructor(
    readonly Y: YAML,
    readonly file: string,
    private readonly lc: import('yaml').LineCounter,
  ) {}

  at(n: YNode | null | undefined): Pos | undefined {
    if (!n?.range) return undefined
    const p = this.lc.linePos(n.range[0])
    return {line: p.line, col: p.col}
  }

  /** Stop reading this part: `msg` is a mistake at `n`. */
  bad = (n: YNode | null | undefined, msg: string): never => {
    throw new DrillInvalid(this.file, this.at(n), msg)
  }

  /** Run `fn`; a mistake it finds is collected and `fallback` stands in for its result. */
  attempt<T>(fn: () => T, fallback: T): T {
    try {
      return fn()
    } catch (e) {
      if (!(e instanceof DrillInvalid)) throw e
      this.mistakes.push(e)
      return fallback
    }
  }

  /** Throw what was collected: one mistake as itself, several together in file order. */
  report(): void {
    if (this.mistakes.length === 1) throw this.mistakes[0]
    if (this.mistakes.length > 1) throw new DrillMistakes(this.file, this.mistakes)
  }

  get(m: YMap, key: string) {
    return m.items.find((p) => this.Y.isScalar(p.key) && p.key.value === key)
  }

  /** Unknown keys are all reported; the part they are in is not read further. */
  keysOf(m: YMap, allowed: string[], what: string): void {
    const before = this.mistakes.length
    for (const p of m.items) {
      const k = this.Y.isScalar(p.key) ? String(p.key.value) : undefined
      if (k === undefined || !allowed.includes(k)) this.attempt(() => this.bad(p.key as YNode, `unknown key '${k}' in ${what} (allowed: ${allowed.join(', ')})`), undefined)
    }
    if (this.mistakes.length > before) throw this.mistakes.pop()
  }

  str(n: YNode | null | undefined, what: string): string {
    if (!this.Y.isScalar(n) || typeof n.value !== 'string' || n.value === '') this.bad(n, `${what} must be a non-empty string`)
    return (n as YScalar).value as string
  }
}
