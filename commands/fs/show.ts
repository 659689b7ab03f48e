import * as Args from '@oclif/core/args'
import {DlmCommand} from '../../src/cli/base.js'
import {outputFlag, outputFormat, writeListing} from '../../src/cli/output.js'
import {fsShow} from '../../src/core/fs.js'
import {renderFsShow} from '../../src/render/views.js'

export default class FsShow extends DlmCommand {
  static override summary = "A file system's applied metadata with sequence numbers, and its journals' state"
  static override examples = [
    '<%= config.bin %> fs show fs1',
    '<%= config.bin %> fs show fs1 --json | jq .keys',
    '<%= config.bin %> fs show fs1 -o tsv   # one line per metadata key: key, value, seq, deleted',
  ]
  static override args = {fs: Args.string({description: 'file system', required: true})}
  static override flags = {output: outputFlag}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(FsShow)
    const format = outputFormat(flags)
    if (format === 'json') this.jsonMode = true
    const r = await fsShow(this.ctx(flags), args.fs)
    // tsv is one table: the metadata keys (the journals' state is in table, json and yaml).
    if (await writeListing(format, r, r.keys, ['key', 'value', 'seq', 'deleted'])) return
    await this.emit(r, () => renderFsShow(r))
  }
}
