import {defineCommand} from '../src/cli/define.js'
import {metricsOp} from '../src/core/metrics.js'
import {renderMetrics} from '../src/render/metrics.js'

export default defineCommand({
  summary: 'The cluster state in the Prometheus text exposition format',
  description: 'Gauges of every domain (recovering, epoch, locks by mode and status, invalid locks by reason, unreplayed journal records of dead nodes) and every node (state, heartbeat age). For node_exporter\'s textfile collector, or any scrape wrapper. Read-only.',
  examples: [
    '<%= config.bin %> metrics',
    '<%= config.bin %> metrics > /var/lib/node_exporter/textfile/dlm.prom.$$ && mv /var/lib/node_exporter/textfile/dlm.prom.$$ /var/lib/node_exporter/textfile/dlm.prom',
    '<%= config.bin %> metrics --json',
  ],
  async run({flags}, cx) {
    const m = await metricsOp(cx.ctx(flags))
    if (cx.json) return cx.emit(m, () => undefined)
    // The exposition format is for machines: never paged, never coloured.
    process.stdout.write(renderMetrics(m))
  },
})
