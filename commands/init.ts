import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../src/cli/define.js'
import {initCluster, parseFsSpec, parseNodeList} from '../src/core/init.js'
import {splitArgs} from '../src/util/argv.js'
import {parseDuration} from '../src/util/duration.js'
import {renderInit} from '../src/render/results.js'

export default defineCommand({
  summary: 'Create a state directory (or etcd prefix) for a new cluster',
  description: 'Creates the cluster in --state (a new or empty directory, or an etcd prefix that holds no cluster): nodes, one lock domain per file system with its members joined (deadman locks taken), and the fencing command. Refuses a directory that is not empty, and an etcd prefix that already holds a cluster.',
  examples: [
    '<%= config.bin %> init --state ./c1 --nodes n1,n2,n3 --fs fs1,fs2',
    '<%= config.bin %> init --state etcd://10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379/c1 --nodes n1,n2,n3 --fs fs1',
    '<%= config.bin %> init --nodes n1,n2,n3 --fs fs1:n1+n2+n3,fs2:n1+n2 --lvb-size 16',
    `<%= config.bin %> init --nodes n1,n2 --fs fs1 --fence-cmd '/usr/sbin/fence_node {node}' --fence-timeout 20s`,
  ],
  flags: {
    nodes: Flags.string({description: 'comma-separated node names', default: 'n1,n2,n3'}),
    fs: Flags.string({description: 'file systems: fs1,fs2 (all nodes) or fs1:n1+n2,fs2', default: 'fs1'}),
    'lvb-size': Flags.integer({description: 'value block size in bytes', default: 32}),
    'fence-cmd': Flags.string({description: "fence command, split like a shell would, with {node} in it (run without a shell)"}),
    'fence-timeout': Flags.string({description: 'how long the fence command may run', default: '30s'}),
    name: Flags.string({description: 'cluster name', default: 'cluster'}),
  },
  async run({flags}, cx) {
    const nodes = parseNodeList(flags.nodes)
    const r = await initCluster(
      cx.ctx(flags).root,
      {
        name: flags.name,
        nodes,
        fs: parseFsSpec(flags.fs, nodes),
        lvbSize: flags['lvb-size'],
        fenceCmd: flags['fence-cmd'] ? splitArgs(flags['fence-cmd']) : null,
        fenceTimeoutMs: parseDuration(flags['fence-timeout'], '--fence-timeout'),
      },
      cx.ctx(flags).clock,
      cx.ctx(flags).waitMs,
    )
    await cx.emit(r, () => renderInit(r, flags.state))
  },
})
