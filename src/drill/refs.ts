// References between a drill's steps: a step remembers its JSON result with
// `as: name`; later steps use ${name.path}. A reference to a name no earlier
// step remembers is a mistake found before anything runs. Inside a parallel
// block, names remembered by one step are visible only after the block.
import type {YAML, YNode} from './yaml-reader.js'

/** Names remembered with `as`, used as ${name.path}. */
export const REF = /\$\{([^}]*)\}/g
/** What `as:` may name (and the first part of a reference). */
export const REF_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/

export class DrillNames {
  private readonly defined = new Set<string>()
  /** Names remembered inside the parallel block being read, defined when it ends. */
  private deferred: string[] | undefined

  constructor(
    private readonly Y: YAML,
    private readonly bad: (n: YNode | null | undefined, msg: string) => never,
  ) {}

  remember(name: string): void {
    if (this.deferred) this.deferred.push(name)
    else this.defined.add(name)
  }

  /** A step that failed to parse: its name still counts, so later uses are not mistakes too. */
  rememberBroken(name: string): void {
    this.defined.add(name)
  }

  /** A parallel block that failed to parse: what its steps remembered is dropped. */
  abandonParallel(): void {
    this.deferred = undefined
  }

  openParallel(): void {
    this.deferred = []
  }

  closeParallel(): void {
    for (const nm of this.deferred ?? []) this.defined.add(nm)
    this.deferred = undefined
  }

  check(text: string, n: YNode): void {
    for (const m of text.matchAll(REF)) {
      const ref = m[1].split('.')[0]
      if (!REF_NAME.test(ref)) this.bad(n, `bad reference \${${m[1]}}: use \${name.path}`)
      if (!this.defined.has(ref)) this.bad(n, `unknown name '${ref}' in \${${m[1]}}: no earlier step remembers it with 'as: ${ref}'`)
    }
  }

  /** Every string under `n`. */
  checkDeep = (n: YNode): void => {
    const Y = this.Y
    if (Y.isScalar(n)) {
      if (typeof n.value === 'string') this.check(n.value, n)
    } else if (Y.isMap(n)) for (const p of n.items) this.checkDeep(p.value as YNode)
    else if (Y.isSeq(n)) for (const i of n.items) this.checkDeep(i as YNode)
  }
}
