import * as Args from '@oclif/core/args'
import {DlmCommand} from '../../src/cli/base.js'
import {fsShow} from '../../src/core/fs.js'
import {renderFsShow} from '../../src/render/views.js'

export default class FsShow extends DlmCommand {
  static override summary = "A file system's applied metadata with sequence numbers, and its journals' state"
  static override examples = ['<%= config.bin %> fs show fs1', '<%= config.bin %> fs show fs1 --json | jq .keys']
  static override args = {fs: Args.string({description: 'file system', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(FsShow)
    const r = await fsShow(this.ctx(flags), args.fs)
    await this.emit(r, () => renderFsShow(r))
  }
}
