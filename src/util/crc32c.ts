// CRC-32C (Castagnoli), unsigned. crc-32's crc32c.js is pure JS and fast enough
// (~10M small records/s measured) that no native addon is needed.
// Imported, not required at run time: the bundle holds it (in the code cache, no module lookup at start).
import CRC32C from 'crc-32/crc32c.js'

export const crc32cStr = (s: string): number => CRC32C.str(s) >>> 0
/** CRC of `b`, continuing from `seed` (the CRC of what came before) when given. */
export const crc32cBuf = (b: Uint8Array, seed?: number): number => CRC32C.buf(b, seed) >>> 0
