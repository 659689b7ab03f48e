// The exit status a command's result stands for (man dlmctl(1), EXIT STATUS), in
// one place: the commands whose answer is printed whole and still says something
// went wrong set it from here. EXIT.OK: all is well (the status is left as it is).
import {EXIT} from '../errors.js'

const BY_RESULT = {
  /** check: a problem (4), or a file that could not be read at all (9). */
  check: (r: {ok: boolean; unreadable?: boolean}) => (r.ok ? EXIT.OK : r.unreadable ? EXIT.STORE_IO : EXIT.CORRUPT),
  /** replay, validate: a member died since the attach. */
  recovery: (r: {result: string}) => (r.result === 'MORE_RECOVERY' ? EXIT.MORE_RECOVERY : EXIT.OK),
  /** drill run: an expectation failed. */
  drill: (r: {ok: boolean}) => (r.ok ? EXIT.OK : EXIT.DRILL),
  /** drill fuzz: a drill failed (and was shrunk to a drill file). */
  fuzz: (r: {result: string}) => (r.result === 'FAILED' ? EXIT.DRILL : EXIT.OK),
}

/** The exit status of a result of this kind. */
export function exitOf<K extends keyof typeof BY_RESULT>(kind: K, r: Parameters<(typeof BY_RESULT)[K]>[0]): number {
  return BY_RESULT[kind](r as never)
}
