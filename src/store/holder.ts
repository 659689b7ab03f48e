// Who holds a scope. The kernel's OFD locks say that a lock is held, not by whom
// (F_OFD_GETLK reports pid -1 for OFD locks, and fs-native-extensions does not
// expose it anyway). So a writer, once it holds a scope's lock exclusively,
// writes a one-line holder record into that lock file — its pid, its command
// line, since when — and empties it before unlocking. A command that finds the
// scope busy reads the record to say who it waits for. Advisory only: never
// state, never fsynced, errors ignored; a record whose pid is gone (a holder
// killed between lock and record) is not believed.
import {ftruncateSync, readFileSync, writeSync} from 'node:fs'
import {systemClock} from '../core/clock.js'
import {escapeControl} from '../render/escape.js'
import {SCOPE_MEMBERSHIP, domainOfScope, lockFile} from './layout.js'

export interface Holder {
  pid: number
  /** The holder's command line as typed (dlmctl and its arguments). */
  command: string
  /** When it took the lock (ISO time, DLMCTL_CLOCK when set). */
  since: string
}

const MAX_COMMAND = 300

function myRecord(): string {
  const command = ['dlmctl', ...process.argv.slice(2)].join(' ').slice(0, MAX_COMMAND)
  return JSON.stringify({pid: process.pid, command, since: systemClock().now()} satisfies Holder) + '\n'
}

/** Record this process as the holder of the lock file open on `fd` (held exclusively). */
export function recordHolder(fd: number): void {
  try {
    const buf = Buffer.from(myRecord())
    writeSync(fd, buf, 0, buf.length, 0)
    ftruncateSync(fd, buf.length)
  } catch {
    // advisory: a busy message without a name is still correct
  }
}

/** Forget the holder record (before unlocking). */
export function clearHolder(fd: number): void {
  try {
    ftruncateSync(fd, 0)
  } catch {
    // close() unlocks anyway; a stale record is not believed once its pid is gone
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The holder recorded in a lock file, if any and still running. */
export function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Holder
    if (!Number.isInteger(h.pid) || typeof h.command !== 'string' || typeof h.since !== 'string') return undefined
    return alive(h.pid) ? h : undefined
  } catch {
    return undefined
  }
}

/** "fs1", "the membership", … : a scope in the operator's words. */
export function scopeWords(scope: string): string {
  const fs = domainOfScope(scope)
  if (fs !== undefined) return fs
  if (scope === SCOPE_MEMBERSHIP) return 'the membership'
  if (scope === 'events') return 'the event log'
  return scope
}

const age = (since: string): string => {
  const s = Math.max(0, Math.round((Date.parse(systemClock().now()) - Date.parse(since)) / 1000))
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`
}

/** `fs1 is held by pid 4242 (dlmctl node mark-dead n2, for 41s)`, or without a known holder, by whom it may be. */
export function describeHolder(scope: string, holder: Holder | undefined): string {
  if (!holder) return `${scopeWords(scope)} is held by another process (no holder record in ${lockFile(scope)}: a reader, or not a dlmctl)`
  return `${scopeWords(scope)} is held by pid ${holder.pid} (${escapeControl(holder.command)}, for ${age(holder.since)})`
}
