import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../../src/cli/define.js'
import {fsWrite, parseAssignments} from '../../src/core/fs.js'
import {testingAid, TORN_WRITE} from '../../src/core/testing-aids.js'
import {renderFsWrite} from '../../src/render/results.js'

export default defineCommand({
  summary: 'Write metadata as a node: one journaled transaction (needs a valid persistent PW/EX lock on meta/<key>)',
  description: "Appends set/del records and a commit record to the node's journal of the file system, durably, before answering. Refused (exit 5) with LOCK_NOT_HELD unless the node holds a persistent PW or EX lock on meta/<key> for every key, and with VALNOTVALID while that lock is not valid (e.g. the domain is recovering).",
  strict: false,
  examples: [
    '<%= config.bin %> fs write fs1 --node n2 a=1 b=hello',
    '<%= config.bin %> fs write fs1 --node n2 --del b',
  ],
  args: {
    fs: Args.string({description: 'file system', required: true}),
    assignments: Args.string({description: 'key=value ... (one or more)'}),
  },
  flags: {
    node: Flags.string({description: 'the writing node', required: true}),
    del: Flags.string({description: 'delete this key (repeatable)', multiple: true}),
  },
  async run({args, argv, flags}, cx) {
    const sets = parseAssignments((argv as string[]).slice(1))
    const r = await fsWrite(cx.ctx(flags), args.fs, flags.node, sets, flags.del ?? [], {simulateTorn: testingAid(TORN_WRITE) !== undefined})
    await cx.emit(r, () => renderFsWrite(r))
  },
})
