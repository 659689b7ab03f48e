import {errnoOf, io} from '../store/io.js'

/** A journal's size and whether it ends mid-line (a torn tail). A missing journal is empty. */
export async function journalTail(path: string | Buffer): Promise<{size: number; torn: boolean}> {
  if (Buffer.isBuffer(path)) return {size: path.length, torn: path.length > 0 && path[path.length - 1] !== 0x0a}
  let fh
  try {
    fh = await io.open(path, 'r')
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return {size: 0, torn: false}
    throw e
  }
  try {
    const {size} = await io.fstat(fh)
    if (size === 0) return {size, torn: false}
    const b = Buffer.alloc(1)
    await io.read(fh, b, size - 1)
    return {size, torn: b[0] !== 0x0a}
  } finally {
    await io.close(fh)
  }
}
