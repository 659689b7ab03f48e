// How much of the exhaustive suites a run takes. `npm test` proves every
// behaviour at least once, on samples chosen to cover every distinct point;
// `npm run test:full` (DLMCTL_TEST_FULL=1; .ci/run runs it after `npm test`)
// runs them whole: every mutating I/O operation of every command under every
// fault, the 8 × 200 conformance test, every bundled drill on etcd and as
// separate processes.
export const FULL = process.env.DLMCTL_TEST_FULL === '1'
