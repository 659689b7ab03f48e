import * as Args from '@oclif/core/args'
import {DlmCommand} from '../../src/cli/base.js'
import {addNode} from '../../src/core/nodes.js'
import {renderNodeAdded} from '../../src/render/results.js'

export default class NodeAdd extends DlmCommand {
  static override summary = 'Add a new node to the cluster (up, in no domain yet)'
  static override examples = ['<%= config.bin %> node add n4', '<%= config.bin %> node add n4 && <%= config.bin %> node join n4 --fs fs1']
  static override args = {node: Args.string({description: 'node name', required: true})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(NodeAdd)
    const r = await addNode(this.ctx(flags), args.node)
    await this.emit(r, () => renderNodeAdded(r))
  }
}
