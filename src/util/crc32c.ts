// CRC-32C (Castagnoli), unsigned. crc-32's crc32c.js is pure JS and fast enough
// (~10M small records/s measured) that no native addon is needed.
import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)
const CRC32C = require('crc-32/crc32c.js') as {str(s: string): number; buf(b: Uint8Array, seed?: number): number}

export const crc32cStr = (s: string): number => CRC32C.str(s) >>> 0
/** CRC of `b`, continuing from `seed` (the CRC of what came before) when given. */
export const crc32cBuf = (b: Uint8Array, seed?: number): number => CRC32C.buf(b, seed) >>> 0
