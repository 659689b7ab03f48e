import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {DlmCommand} from '../../src/cli/base.js'
import {fsCheckpoint} from '../../src/core/fs.js'
import {renderCheckpoint} from '../../src/render/results.js'

export default class FsCheckpoint extends DlmCommand {
  static override summary = "Checkpoint a live node's journal: apply its committed records to the metadata"
  static override examples = ['<%= config.bin %> fs checkpoint fs1 --node n1']
  static override args = {fs: Args.string({description: 'file system', required: true})}
  static override flags = {node: Flags.string({description: 'the node whose journal to checkpoint', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(FsCheckpoint)
    const r = await fsCheckpoint(this.ctx(flags), args.fs, flags.node)
    await this.emit(r, () => renderCheckpoint(r))
  }
}
