import * as Flags from '@oclif/core/flags'
import {DlmCommand} from '../src/cli/base.js'
import {runFollow} from '../src/cli/follow.js'
import {outputFlag, outputFormat, writeListing} from '../src/cli/output.js'
import {events} from '../src/core/cluster-views.js'
import {renderEvents} from '../src/render/views.js'

export default class Events extends DlmCommand {
  static override summary = 'The event log: deaths, fencing, joins, attach, validate'
  static override examples = ['<%= config.bin %> events', '<%= config.bin %> events --node n2 --json', '<%= config.bin %> events --type domain', '<%= config.bin %> events --follow', '<%= config.bin %> events -f --json | jq -c .']
  static override flags = {
    domain: Flags.string({description: 'only events of this domain'}),
    node: Flags.string({description: 'only events about this node'}),
    type: Flags.string({description: 'only events of this type (or type prefix, e.g. node)'}),
    output: outputFlag,
    follow: Flags.boolean({char: 'f', description: 'keep printing events as they are appended, one per line (JSON Lines with --json), until Ctrl-C'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Events)
    const format = outputFormat(flags)
    if (format === 'json') this.jsonMode = true
    if (flags.follow) return runFollow(this.ctx(flags), flags, {intervalMs: 250, json: this.jsonMode})
    const r = await events(this.ctx(flags), flags)
    if (await writeListing(format, r, r.events)) return
    await this.emit(r, () => renderEvents(r))
  }
}
