import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {joinNode} from '../../src/core/nodes.js'
import {renderJoin} from '../../src/render/results.js'

export default defineCommand({
  summary: 'Bring a recovered node back (incarnation + 1) or join a node to more file systems',
  description: 'A recovered node rejoins every file system it mounts (or those given with --fs) with a new incarnation and takes its deadman locks. An up node joins the file systems given with --fs. A dead node cannot rejoin: its journals are not replayed yet.',
  examples: ['<%= config.bin %> node join n2', '<%= config.bin %> node join n4 --fs fs1,fs2'],
  args: {node: Args.string({description: 'node name', required: true})},
  flags: {fs: Flags.string({description: 'comma-separated file systems to join'})},
  async run({args, flags}, cx) {
    const fs = flags.fs?.split(',').map((s) => s.trim()).filter(Boolean)
    const r = await joinNode(cx.ctx(flags), args.node, fs)
    await cx.emit(r, () => renderJoin(r))
  },
})
