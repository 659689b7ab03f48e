// How the core writes its state files: canonical JSON with a stable key order, so
// the same state is the same bytes (diffs, snapshots, checks of byte equality).
import type {FsMeta} from '../store/schema.js'

/** Canonical JSON for state files: stable key order as built, one-space indent, final newline. */
export const stateJson = (v: unknown) => JSON.stringify(v, null, 1) + '\n'

/** meta.json with keys sorted, one key per line: deterministic and diff-friendly. */
export function canonicalMeta(m: FsMeta): string {
  const keys = Object.keys(m.keys).sort()
  if (keys.length === 0) return '{"keys":{}}\n'
  return `{"keys":{\n${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(m.keys[k])}`).join(',\n')}\n}}\n`
}
