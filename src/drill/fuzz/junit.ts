// JUnit XML of a fuzz run: one testcase per drill; the failing one names the seed, the path and the minimal drill.
import {xmlEscape as esc} from '../junit.js'
import type {FuzzReport} from './fuzz.js'

export function fuzzJunit(r: FuzzReport | undefined): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>']
  if (!r) return out.concat('<testsuites name="dlmctl drill fuzz" tests="0" failures="0" errors="0"/>').join('\n') + '\n'
  const f = r.failure
  const secs = (r.durationMs / 1000).toFixed(3)
  out.push(`<testsuites name="dlmctl drill fuzz" tests="${r.drills}" failures="${f ? 1 : 0}" errors="0" time="${secs}">`)
  out.push(`  <testsuite name="drill fuzz seed ${r.seed}" tests="${r.drills}" failures="${f ? 1 : 0}" errors="0" skipped="0" time="${secs}">`)
  for (const d of r.generated) {
    out.push(`    <testcase classname="drill.fuzz" name="${esc(`drill ${d.index}: ${d.nodes.length} nodes, ${d.fs.length} fs, ${d.steps.length} steps`)}">`)
    if (f && d.index === f.drill) {
      const msg = `seed ${r.seed}, path ${f.path}: ${f.rules.join(', ')} (minimal drill: ${f.file}, ${f.steps} steps)`
      out.push(`      <failure message="${esc(msg)}" type="fuzz">${esc([msg, ...f.messages, `rerun: dlmctl drill run ${f.file}`].join('\n'))}</failure>`)
    }
    out.push('    </testcase>')
  }
  out.push('  </testsuite>', '</testsuites>')
  return out.join('\n') + '\n'
}
