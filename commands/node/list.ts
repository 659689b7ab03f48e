import {defineCommand} from '../../src/cli/define.js'
import {outputFlag, outputFormat, writeListing} from '../../src/cli/output.js'
import {listNodes} from '../../src/core/nodes.js'
import {renderNodes} from '../../src/render/views.js'

export default defineCommand({
  summary: 'List nodes with their state, incarnation, last heartbeat and domains',
  examples: ['<%= config.bin %> node list', '<%= config.bin %> node list --json', '<%= config.bin %> node list -o tsv'],
  flags: {output: outputFlag},
  async run({flags}, cx) {
    const format = outputFormat(flags)
    if (format === 'json') cx.json = true
    const r = await listNodes(cx.ctx(flags))
    if (await writeListing(format, r, r.nodes, ['name', 'state', 'incarnation', 'heartbeat', 'domains'])) return
    await cx.emit(r, () => renderNodes(r))
  },
})
