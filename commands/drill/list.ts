import {defineCommand} from '../../src/cli/define.js'
import {outputFlag, outputFormat, writeListing} from '../../src/cli/output.js'
import {bundledSummaries} from '../../src/drill/bundled.js'
import {renderDrillList} from '../../src/render/views.js'

export default defineCommand({
  summary: 'List the bundled drills (fixtures/drills) with their descriptions',
  examples: ['<%= config.bin %> drill list', '<%= config.bin %> drill list --json', '<%= config.bin %> drill list -o tsv'],
  flags: {output: outputFlag},
  async run({flags}, cx) {
    const format = outputFormat(flags)
    if (format === 'json') cx.json = true
    const drills = await bundledSummaries(process.argv[1])
    if (await writeListing(format, {drills}, drills, ['name', 'steps', 'description', 'file'])) return
    await cx.emit({drills}, () => renderDrillList(drills))
  },
})
