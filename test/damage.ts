// Ways a state file gets damaged, shared by the in-process and end-to-end
// "validated on read" tests (test/unit/corrupt-reads.test.ts, test/e2e/corrupt.test.ts).
import {readFileSync, writeFileSync} from 'node:fs'

export type Kind = 'truncated' | 'not JSON' | 'wrong shape'
export const KINDS: Kind[] = ['truncated', 'not JSON', 'wrong shape']

export function damage(abs: string, kind: Kind): void {
  const text = readFileSync(abs, 'utf8')
  if (kind === 'truncated') writeFileSync(abs, text.slice(0, Math.floor(text.length / 2)))
  else if (kind === 'not JSON') writeFileSync(abs, 'this is not JSON\n')
  else if (abs.endsWith('.jsonl')) {
    // The first event, wrapped in an array: valid JSON, not an event.
    const [first, ...rest] = text.split('\n')
    writeFileSync(abs, [`[${first}]`, ...rest].join('\n'))
  } else writeFileSync(abs, JSON.stringify([JSON.parse(text)]) + '\n') // valid JSON, wrong shape
}

/**
 * Which files of fixtures/clusters/basic each command reads (so must refuse when
 * damaged) and which read-only commands do not read them (so must leave them alone).
 * Commands by name: status, list (lock list), request, request-deadman (a request
 * on deadman/n2, whose bucket is domains/fs1/res/ad.json), mark-dead (n3), check,
 * events, export.
 */
export type Reader = 'status' | 'list' | 'request' | 'request-deadman' | 'mark-dead' | 'check' | 'events' | 'export'
export interface Target {
  file: string
  readers: Reader[]
  others: Reader[]
}
export const TARGETS: Target[] = [
  {file: 'membership.json', readers: ['status', 'list', 'request', 'check'], others: []},
  {file: 'cluster.json', readers: ['status', 'list', 'request', 'check'], others: []},
  {file: 'domains/fs1/domain.json', readers: ['status', 'list', 'request', 'check'], others: []},
  // The bucket of deadman/n2 (basic has buckets 59, ad, ae in fs1).
  {file: 'domains/fs1/res/ad.json', readers: ['list', 'request-deadman', 'check'], others: ['status']},
  // A request records its lock id in the index; a death removes the dropped ones.
  {file: 'domains/fs1/locks/0.json', readers: ['request', 'mark-dead', 'check'], others: ['status', 'list']},
  {file: 'events.jsonl', readers: ['events', 'export', 'check'], others: ['status', 'list']},
]
