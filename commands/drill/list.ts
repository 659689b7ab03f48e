import {DlmCommand} from '../../src/cli/base.js'
import {listBundled} from '../../src/drill/bundled.js'
import {table} from '../../src/render/table.js'

export default class DrillList extends DlmCommand {
  static override summary = 'List the bundled drills (fixtures/drills) with their descriptions'
  static override examples = ['<%= config.bin %> drill list', '<%= config.bin %> drill list --json']

  async run(): Promise<void> {
    const {flags} = await this.parse(DrillList)
    void flags
    const drills = (await listBundled(process.argv[1])).map((d) => ({name: d.name, description: d.description, file: d.file, steps: d.steps.length}))
    await this.emit({drills}, () => table(['DRILL', 'STEPS', 'DESCRIPTION'], drills.map((d) => [d.name, d.steps, d.description])))
  }
}
