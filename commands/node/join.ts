import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {DlmCommand} from '../../src/cli/base.js'
import {joinNode} from '../../src/core/nodes.js'
import {renderJoin} from '../../src/render/results.js'

export default class NodeJoin extends DlmCommand {
  static override summary = 'Bring a recovered node back (incarnation + 1) or join a node to more file systems'
  static override description = 'A recovered node rejoins every file system it mounts (or those given with --fs) with a new incarnation and takes its deadman locks. An up node joins the file systems given with --fs. A dead node cannot rejoin: its journals are not replayed yet.'
  static override examples = ['<%= config.bin %> node join n2', '<%= config.bin %> node join n4 --fs fs1,fs2']
  static override args = {node: Args.string({description: 'node name', required: true})}
  static override flags = {fs: Flags.string({description: 'comma-separated file systems to join'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(NodeJoin)
    const fs = flags.fs?.split(',').map((s) => s.trim()).filter(Boolean)
    const r = await joinNode(this.ctx(flags), args.node, fs)
    await this.emit(r, () => renderJoin(r))
  }
}
