// The testing aids: environment variables that make a command stage what is
// otherwise hard to time (man dlmctl(1), ENVIRONMENT). They are never product
// flags. A drill step may set them (its env:, man dlmctl-drill(5)), all but
// DLMCTL_TEST_FUZZ_CRASH_OPS, which steers drill fuzz itself; the crash points
// (DLMCTL_CRASH_POINT) are the store's own, in store/io.ts.

/** fs write writes its commit record only half, as a node dying mid-write: the result says committed: false. */
export const TORN_WRITE = 'DLMCTL_TEST_TORN_WRITE'

/** recover marks this node dead right after its first attach in each domain, unfenced: a death during recovery. */
export const KILL_AFTER_ATTACH = 'DLMCTL_KILL_AFTER_ATTACH'

/** drill fuzz: the commands its crash steps may kill (comma-separated, or none); unset: all of them. */
export const FUZZ_CRASH_OPS = 'DLMCTL_TEST_FUZZ_CRASH_OPS'

/** The testing variables a drill step may set. */
export const STEP_TESTING_VARIABLES: readonly string[] = [TORN_WRITE, KILL_AFTER_ATTACH]

/** The value of testing aid `name` in this process; unset or empty: off. */
export const testingAid = (name: string): string | undefined => process.env[name] || undefined
