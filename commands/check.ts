import {defineCommand} from '../src/cli/define.js'
import {exitOf} from '../src/cli/exit.js'
import {checkState} from '../src/core/cluster-views.js'
import {renderProblems} from '../src/render/views.js'
import {checkProgress, withProgress} from '../src/render/progress.js'
import {stateName} from '../src/store/etcd/url.js'

export default defineCommand({
  summary: 'Check the state (fsck): every file valid, invariants across files hold',
  description: 'Read-only. Exit 0 when consistent, 4 listing every problem otherwise (9 when a file could not be read at all: permissions, I/O error). Pending commit records of interrupted commands are warnings: the next command that changes their scopes rolls them forward.',
  examples: ['<%= config.bin %> check', '<%= config.bin %> check --json | jq .problems'],
  async run({flags}, cx) {
    const ctx = cx.ctx(flags)
    const r = await withProgress(!cx.json, checkProgress(stateName(ctx.root)), () => checkState(ctx))
    await cx.emit(r, () => renderProblems(r, stateName(ctx.root)))
    cx.setExit(exitOf('check', r))
  },
})
