// Where the tests make their temporary state directories: tmpfs when there is one.
// The store fsyncs every commit; on a shared disk that wait dominates the tests'
// wall time and proves nothing a test can observe (power loss is simulated in-process
// by test/unit/helpers/faultfs.ts, not by the disk).
import {existsSync} from 'node:fs'
import {tmpdir} from 'node:os'

export const TEST_BASE = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
