// A JUnit XML report: one testsuite per drill, one testcase per step.
import {writeFile} from 'node:fs/promises'
import {DlmError} from '../errors.js'
import type {DrillResult} from './run.js'

/**
 * Write the report of no drill yet (`empty`) to --junit `file`, before the drills
 * run: a report nobody can write is said then (a usage error), not after.
 */
export async function startJunit(file: string, empty: string): Promise<void> {
  await writeFile(file, empty).catch((e: NodeJS.ErrnoException) => {
    throw new DlmError('USAGE', `cannot write --junit ${file}: ${e.code ?? e.message}`)
  })
}

// XML 1.0 forbids most control characters even when escaped.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g
export const xmlEscape = (s: string) =>
  s.replace(FORBIDDEN, '').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
const esc = xmlEscape

export function junitXml(results: DrillResult[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>']
  const tests = results.reduce((n, r) => n + r.steps.length, 0)
  const failures = results.reduce((n, r) => n + r.failed, 0)
  const secs = (ms: number) => (ms / 1000).toFixed(3)
  out.push(`<testsuites name="dlmctl drills" tests="${tests}" failures="${failures}" errors="0" time="${secs(results.reduce((n, r) => n + r.durationMs, 0))}">`)
  for (const r of results) {
    out.push(`  <testsuite name="${esc(r.drill)}" tests="${r.steps.length}" failures="${r.failed}" errors="0" skipped="0" time="${secs(r.durationMs)}" file="${esc(r.file)}">`)
    for (const s of r.steps) {
      const name = `${s.index}: ${s.label}`
      out.push(`    <testcase classname="drill.${esc(r.drill)}" name="${esc(name)}" time="${secs(s.durationMs)}"${s.line ? ` file="${esc(r.file)}" line="${s.line}"` : ''}>`)
      if (!s.ok) {
        const msg = s.failures.map((f) => `${f.path}: ${f.message}`).join('; ')
        out.push(`      <failure message="${esc(msg)}" type="expectation">${esc(`${s.command}\n${msg}${s.stderr ? `\n${s.stderr}` : ''}`)}</failure>`)
      }
      if (s.note) out.push(`      <system-out>${esc(s.note)}</system-out>`)
      out.push('    </testcase>')
    }
    out.push('  </testsuite>')
  }
  out.push('</testsuites>')
  return out.join('\n') + '\n'
}
