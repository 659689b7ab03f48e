// The six classic VMS/Linux DLM lock modes and their compatibility matrix.

export const MODES = ['NL', 'CR', 'CW', 'PR', 'PW', 'EX'] as const
export type Mode = (typeof MODES)[number]

//            NL     CR     CW     PR     PW     EX      (requested ↓ / granted →)
const MATRIX: Record<Mode, readonly boolean[]> = {
  NL: [true, true, true, true, true, true],
  CR: [true, true, true, true, true, false],
  CW: [true, true, true, false, false, false],
  PR: [true, true, false, true, false, false],
  PW: [true, true, false, false, false, false],
  EX: [true, false, false, false, false, false],
}

export function compatible(a: Mode, b: Mode): boolean {
  return MATRIX[a][MODES.indexOf(b)]
}

export function isMode(s: string): s is Mode {
  return (MODES as readonly string[]).includes(s)
}

/** PW and EX are the modes that may write the value block (and that leave it invalid on death). */
export function isWriteMode(m: Mode): boolean {
  return m === 'PW' || m === 'EX'
}

/** Strength order used for "at least CR" style checks (NL < CR < CW,PR < PW < EX). */
export function atLeast(m: Mode, min: Mode): boolean {
  const rank: Record<Mode, number> = {NL: 0, CR: 1, CW: 2, PR: 2, PW: 3, EX: 4}
  return rank[m] >= rank[min]
}
