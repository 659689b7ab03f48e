import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {outputFlag, outputFormat, writeListing} from '../../src/cli/output.js'
import {journalShow} from '../../src/core/fs.js'
import {renderJournal} from '../../src/render/views.js'

export default defineCommand({
  summary: "A node's journal of a file system: every record with its status, and the replay point",
  description: 'Statuses: applied (committed, before the checkpoint/replay point), committed-pending (committed, not yet applied), uncommitted (its transaction has no commit record: replay discards it), torn (the writer died mid-line), bad-checksum or bad-record (damage), untrusted (after damage: replay never goes past the first damaged line).',
  examples: ['<%= config.bin %> journal show fs1 --node n2', '<%= config.bin %> journal show fs1 --node n2 --json | jq \'.records[] | select(.status != "applied")\'', '<%= config.bin %> journal show fs1 --node n2 -o tsv'],
  args: {fs: Args.string({description: 'file system', required: true})},
  flags: {node: Flags.string({description: 'whose journal', required: true}), output: outputFlag},
  async run({args, flags}, cx) {
    const format = outputFormat(flags)
    if (format === 'json') cx.json = true
    const r = await journalShow(cx.ctx(flags), args.fs, flags.node)
    if (await writeListing(format, r, r.records, ['line', 'offset', 'status', 'seq', 'tx', 'op', 'key', 'value', 'n', 'text'])) return
    await cx.emit(r, () => renderJournal(r))
  },
})
