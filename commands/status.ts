import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../src/cli/define.js'
import {status} from '../src/core/cluster-views.js'
import {renderStatus} from '../src/render/views.js'
import {parseDuration} from '../src/util/duration.js'

export default defineCommand({
  summary: 'Cluster, generation, nodes, domains, their recovery state and lock counts at a glance',
  examples: [
    '<%= config.bin %> status',
    '<%= config.bin %> status --state ./c1 --json',
    '<%= config.bin %> status --watch',
    '<%= config.bin %> status --watch --interval 2s | jq -c .domains',
  ],
  flags: {
    watch: Flags.boolean({description: 'keep watching: a full-screen view redrawn when the state changes (q or Ctrl-C quits); off a terminal or with --json, one JSON document per change, one per line'}),
    interval: Flags.string({description: 'with --watch: how often to check the state directory for a change (a few stat calls); on etcd, only while its watch stream is down', default: '250ms'}),
  },
  async run({flags}, cx) {
    const ctx = cx.ctx(flags)
    // The watch loop is loaded only for --watch: a plain status starts without it.
    if (flags.watch) return (await import('../src/cli/watch.js')).runWatch(ctx, {intervalMs: Math.max(50, parseDuration(flags.interval, '--interval')), json: cx.json})
    const r = await status(ctx)
    await cx.emit(r, () => renderStatus(r))
  },
})
