import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {DlmCommand} from '../../src/cli/base.js'
import {attachOp} from '../../src/core/domains.js'
import {renderAttach} from '../../src/render/results.js'

export default class DomainAttach extends DlmCommand {
  static override summary = "Attach to a domain's recovery: prints a recovery id that remembers the epoch"
  static override description = 'validate --id answers MORE_RECOVERY if a member dies after this attach.'
  static override examples = ['<%= config.bin %> domain attach fs1 --node n1', 'id=$(<%= config.bin %> domain attach fs1 --node n1 --json | jq .id)']
  static override args = {fs: Args.string({description: 'file system (lock domain)', required: true})}
  static override flags = {node: Flags.string({description: 'the survivor running the recovery', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(DomainAttach)
    const r = await attachOp(this.ctx(flags), args.fs, flags.node)
    await this.emit(r, () => renderAttach(r))
  }
}
