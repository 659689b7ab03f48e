// The order files start in. vitest starts the longest first when it has timed them (its
// cache under node_modules/.vite), else the largest: on a fresh clone, files that mostly
// wait (an etcd cluster electing a leader, a stopped member timing out) came last and
// their waits made the run's tail. These start first, longest wall time first (measured
// on an idle 2-core machine); every other file keeps vitest's own order after them.
import {BaseSequencer, type TestSpecification} from 'vitest/node'

export const SLOW_FIRST = [
  'test/e2e/conformance.test.ts',
  'test/e2e/etcd-cluster.test.ts',
  'test/e2e/drill-fuzz.test.ts',
  'test/unit/store-faults.test.ts',
  'test/unit/store-stream.test.ts',
  'test/e2e/cli-both-ways.test.ts',
  'test/e2e/etcd.test.ts',
  'test/unit/store-changes.test.ts',
  'test/unit/fuzz-check.test.ts',
  'test/unit/etcd-store.test.ts',
  'test/e2e/etcd-watch.test.ts',
  'test/e2e/etcd-pause.test.ts',
  'test/unit/store-defects.test.ts',
  'test/unit/replay-idempotent.test.ts',
  'test/e2e/ux-safety.test.ts',
  'test/e2e/recovery-fence.test.ts',
  'test/e2e/ux-watch.test.ts',
  'test/unit/txdir.test.ts',
  'test/e2e/ux-busy.test.ts',
]

export class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((p) => f.moduleId.endsWith(`/${p}`))
      return i < 0 ? SLOW_FIRST.length : i
    }
    const base = await super.sort(files)
    return base.map((f, i) => ({f, i, r: rank(f)})).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.f)
  }
}
