import {DlmCommand} from '../src/cli/base.js'
import {once} from 'node:events'
import {writeExport} from '../src/core/cluster-views.js'

export default class Export extends DlmCommand {
  static override summary = 'A canonical JSON dump of the whole state (byte-identical for the same state)'
  static override description = 'Keys sorted at every level, resources sorted by name, events in order without their ordering key. With DLMCTL_CLOCK fixed, the same commands give the same bytes. Always JSON.'
  static override examples = ['<%= config.bin %> export > before.json', '<%= config.bin %> export | jq .domains[0].resources']

  async run(): Promise<void> {
    const {flags} = await this.parse(Export)
    // Streamed (bounded memory at any size), the same bytes as the whole document.
    await writeExport(this.ctx(flags), async (text) => {
      if (!process.stdout.write(text)) await once(process.stdout, 'drain')
    })
  }
}
