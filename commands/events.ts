import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../src/cli/define.js'
import {runFollow} from '../src/cli/follow.js'
import {outputFlag, outputFormat, writeListing} from '../src/cli/output.js'
import {events} from '../src/core/cluster-views.js'
import {renderEvents} from '../src/render/views.js'

export default defineCommand({
  summary: 'The event log: deaths, fencing, joins, attach, validate',
  examples: ['<%= config.bin %> events', '<%= config.bin %> events --node n2 --json', '<%= config.bin %> events --type domain', '<%= config.bin %> events --follow', '<%= config.bin %> events -f --json | jq -c .'],
  flags: {
    domain: Flags.string({description: 'only events of this domain'}),
    node: Flags.string({description: 'only events about this node'}),
    type: Flags.string({description: 'only events of this type (or type prefix, e.g. node)'}),
    output: outputFlag,
    follow: Flags.boolean({char: 'f', description: 'keep printing events as they are appended, one per line (JSON Lines with --json), until Ctrl-C'}),
  },
  async run({flags}, cx) {
    const format = outputFormat(flags)
    if (format === 'json') cx.json = true
    if (flags.follow) return runFollow(cx.ctx(flags), flags, {intervalMs: 250, json: cx.json})
    const r = await events(cx.ctx(flags), flags)
    if (await writeListing(format, r, r.events)) return
    await cx.emit(r, () => renderEvents(r))
  },
})
