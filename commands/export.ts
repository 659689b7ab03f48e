import {defineCommand} from '../src/cli/define.js'
import {once} from 'node:events'
import {writeExport} from '../src/core/cluster-views.js'

export default defineCommand({
  summary: 'A canonical JSON dump of the whole state (byte-identical for the same state)',
  description: 'Keys sorted at every level, resources sorted by name, events in order without their ordering key. With DLMCTL_CLOCK fixed, the same commands give the same bytes. Always JSON.',
  examples: ['<%= config.bin %> export > before.json', '<%= config.bin %> export | jq .domains[0].resources'],
  async run({flags}, cx) {
    // Streamed (bounded memory at any size), the same bytes as the whole document.
    await writeExport(cx.ctx(flags), async (text) => {
      if (!process.stdout.write(text)) await once(process.stdout, 'drain')
    })
  },
})
