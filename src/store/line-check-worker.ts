// The worker thread of line-check.ts: checkLines of the shared bytes it is sent.
import {parentPort} from 'node:worker_threads'
import {checkLines, type LineCheckRequest} from './line-check.js'

parentPort!.on('message', (r: LineCheckRequest) => {
  const check = checkLines(Buffer.from(r.buffer, r.offset, r.length), r.bucket, r.marks)
  parentPort!.postMessage({id: r.id, check}, check ? [check.spans.buffer as ArrayBuffer] : [])
})
