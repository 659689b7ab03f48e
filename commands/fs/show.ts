import * as Args from '@oclif/core/args'
import {defineCommand} from '../../src/cli/define.js'
import {outputFlag, outputFormat, writeListing} from '../../src/cli/output.js'
import {fsShow} from '../../src/core/fs.js'
import {renderFsShow} from '../../src/render/views.js'

export default defineCommand({
  summary: "A file system's applied metadata with sequence numbers, and its journals' state",
  examples: [
    '<%= config.bin %> fs show fs1',
    '<%= config.bin %> fs show fs1 --json | jq .keys',
    '<%= config.bin %> fs show fs1 -o tsv   # one line per metadata key: key, value, seq, deleted',
  ],
  args: {fs: Args.string({description: 'file system', required: true})},
  flags: {output: outputFlag},
  async run({args, flags}, cx) {
    const format = outputFormat(flags)
    if (format === 'json') cx.json = true
    const r = await fsShow(cx.ctx(flags), args.fs)
    // tsv is one table: the metadata keys (the journals' state is in table, json and yaml).
    if (await writeListing(format, r, r.keys, ['key', 'value', 'seq', 'deleted'])) return
    await cx.emit(r, () => renderFsShow(r))
  },
})
