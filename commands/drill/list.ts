import {DlmCommand} from '../../src/cli/base.js'
import {outputFlag, outputFormat, writeListing} from '../../src/cli/output.js'
import {bundledSummaries} from '../../src/drill/bundled.js'
import {renderDrillList} from '../../src/render/views.js'

export default class DrillList extends DlmCommand {
  static override summary = 'List the bundled drills (fixtures/drills) with their descriptions'
  static override examples = ['<%= config.bin %> drill list', '<%= config.bin %> drill list --json', '<%= config.bin %> drill list -o tsv']
  static override flags = {output: outputFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(DrillList)
    const format = outputFormat(flags)
    if (format === 'json') this.jsonMode = true
    const drills = await bundledSummaries(process.argv[1])
    if (await writeListing(format, {drills}, drills, ['name', 'steps', 'description', 'file'])) return
    await this.emit({drills}, () => renderDrillList(drills))
  }
}
