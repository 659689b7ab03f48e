import {open} from 'node:fs/promises'

/** A journal's size and whether it ends mid-line (a torn tail). A missing journal is empty. */
export async function journalTail(path: string): Promise<{size: number; torn: boolean}> {
  let fh
  try {
    fh = await open(path, 'r')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {size: 0, torn: false}
    throw e
  }
  try {
    const {size} = await fh.stat()
    if (size === 0) return {size, torn: false}
    const b = Buffer.alloc(1)
    await fh.read(b, 0, 1, size - 1)
    return {size, torn: b[0] !== 0x0a}
  } finally {
    await fh.close()
  }
}
