// The one place where an error's code meets its exit status. The man page's
// EXIT STATUS section and test/unit/errors.test.ts are checked against EXIT.

export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  MORE_RECOVERY: 3,
  CORRUPT: 4,
  REFUSED: 5,
  BUSY: 6,
  FENCE: 7,
  DRILL: 8,
  STORE_IO: 9,
  /** Cancelled at a prompt (Ctrl-C, Escape): nothing changed. 128 + SIGINT, as shells report an interrupt. */
  CANCELLED: 130,
} as const

/** Codes refused by the lock rules (exit 5). */
export const REFUSAL_CODES = [
  'NOTQUEUED',
  'DEADLOCK',
  'VALNOTVALID',
  'LOCK_NOT_HELD',
  'REPLAY_INCOMPLETE',
  'NODE_NOT_UP',
  'NODE_DEAD',
  'NOT_MEMBER',
  'NOT_GRANTED',
  'CONVERSION_PENDING',
  'NO_CONVERSION',
  'LVB_NOT_WRITER',
  'QUECVT_NOT_UP',
  'ALREADY_EXISTS',
  'STATE_CHANGED',
  'RECOVERY_ID_RETIRED',
] as const

/** Codes of usage errors (exit 2). */
export const USAGE_CODES = [
  'USAGE',
  'BAD_NAME',
  'UNKNOWN_NODE',
  'UNKNOWN_DOMAIN',
  'UNKNOWN_LOCK',
  'UNKNOWN_RECOVERY_ID',
  'NO_STATE',
  'NOT_EMPTY',
  'CONFIRMATION_REQUIRED',
  'DECLINED',
  'DRILL_INVALID',
] as const

export type RefusalCode = (typeof REFUSAL_CODES)[number]
export type UsageCode = (typeof USAGE_CODES)[number]
export type ErrorCode =
  | RefusalCode
  | UsageCode
  | 'INTERNAL'
  | 'MORE_RECOVERY'
  | 'STATE_CORRUPT'
  | 'STATE_INCONSISTENT'
  | 'BUSY'
  | 'FENCE_FAILED'
  | 'DRILL_FAILED'
  | 'STORE_UNREACHABLE'
  | 'STORE_TIMEOUT'
  | 'CANCELLED'
  | 'STORE_IO'

export function exitCodeOf(code: ErrorCode): number {
  if ((REFUSAL_CODES as readonly string[]).includes(code)) return EXIT.REFUSED
  if ((USAGE_CODES as readonly string[]).includes(code)) return EXIT.USAGE
  switch (code) {
    case 'MORE_RECOVERY':
      return EXIT.MORE_RECOVERY
    case 'STATE_CORRUPT':
    case 'STATE_INCONSISTENT':
      return EXIT.CORRUPT
    case 'BUSY':
    case 'STORE_TIMEOUT':
      return EXIT.BUSY
    case 'FENCE_FAILED':
      return EXIT.FENCE
    case 'DRILL_FAILED':
      return EXIT.DRILL
    case 'STORE_IO':
    case 'STORE_UNREACHABLE':
      return EXIT.STORE_IO
    case 'CANCELLED':
      return EXIT.CANCELLED
    default:
      return EXIT.INTERNAL
  }
}

/** An error the operator can act on: a code, a one-line message, its exit status. */
export class DlmError extends Error {
  readonly code: ErrorCode
  readonly exitCode: number
  /** Extra machine-readable detail, added to the JSON error object. */
  readonly detail?: Record<string, unknown>
  /** A message of several lines by design (one per mistake): each line is shown escaped, the line breaks kept. */
  readonly multiline: boolean = false

  constructor(code: ErrorCode, message: string, detail?: Record<string, unknown>) {
    super(message)
    this.name = 'DlmError'
    this.code = code
    this.exitCode = exitCodeOf(code)
    this.detail = detail
  }
}

export const usage = (message: string) => new DlmError('USAGE', message)
export const refused = (code: RefusalCode, message: string, detail?: Record<string, unknown>) =>
  new DlmError(code, message, detail)

/** A state file that cannot be trusted: always names the file. */
export class StateCorrupt extends DlmError {
  readonly file: string
  constructor(file: string, why: string) {
    super('STATE_CORRUPT', `state file ${file} is corrupt: ${why}`, {file})
    this.file = file
  }
}

export class StoreBusy extends DlmError {
  /** `holder`: who holds it, in words and as JSON detail, when known. */
  constructor(what: string, waitMs: number, holder?: {text: string; detail: Record<string, unknown>}) {
    super(
      'BUSY',
      holder
        ? `state directory busy: ${holder.text}; still held after ${waitMs / 1000}s (try --wait)`
        : `state directory busy: ${what} still locked by another dlmctl after ${waitMs / 1000}s (try --wait)`,
      holder?.detail,
    )
  }
}

/** The environment refused a state file (EACCES, ENOSPC, EIO, …): names the file and what to do (exit 9). */
export class StoreIoError extends DlmError {
  constructor(message: string, detail: {file: string; errno: string}) {
    super('STORE_IO', message, detail)
  }
}
