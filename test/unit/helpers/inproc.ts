// The in-process resolver for tests: the command table from the TypeScript sources (vitest), as bin/dev.js runs it.
export {commandResolver as sourceResolver} from '../../../src/drill/inproc.js'
