// The command-line input rules in-process: typo suggestions, control-character
// escaping, oclif parse errors rewritten in the house style.
import {describe, expect, it} from 'vitest'
import {editDistance, unknownCommand} from '../../src/cli/suggest.js'
import {escapeControl, shellWords} from '../../src/render/escape.js'
import {switchWithValue, usageMessage, type CommandShape} from '../../src/cli/usage.js'
import {hoistGlobalFlags} from '../../src/cli/main.js'

const IDS = ['status', 'events', 'recover', 'validate', 'lock list', 'lock request', 'lock release', 'node list', 'node mark-dead', 'node join', 'domain detach']

describe('unknown commands', () => {
  it('edit distance counts a swapped pair once', () => {
    expect(editDistance('stauts', 'status')).toBe(1)
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('lock lst', 'lock list')).toBe(1)
  })
  it.each([
    [['stauts'], 'stauts', 'status'],
    [['node', 'mark-ded', 'n2'], 'node mark-ded', 'node mark-dead'],
    [['lock', 'lst'], 'lock lst', 'lock list'],
    [['nod', 'list'], 'nod list', 'node list'],
    [['mark-dead', 'n2'], 'mark-dead', 'node mark-dead'],
    [['qwertyuiop'], 'qwertyuiop', undefined],
  ])('%j → %s (did you mean %s?)', (argv, typed, suggestion) => {
    expect(unknownCommand(argv, IDS)).toEqual({typed, suggestion})
  })
  it('known commands, topics alone and flags first are not unknown', () => {
    expect(unknownCommand(['status', 'extra'], IDS)).toBeUndefined()
    expect(unknownCommand(['lock'], IDS)).toBeUndefined()
    expect(unknownCommand(['--version'], IDS)).toBeUndefined()
    expect(unknownCommand([], IDS)).toBeUndefined()
  })
  it('global flags before the command move after it', () => {
    expect(hoistGlobalFlags(['--state', 'c1', '--json', 'status'])).toEqual({argv: ['status'], hoisted: ['--state', 'c1', '--json']})
    expect(hoistGlobalFlags(['--wait=1s', 'lock', 'list'])).toEqual({argv: ['lock', 'list'], hoisted: ['--wait=1s']})
    expect(hoistGlobalFlags(['--help'])).toEqual({argv: ['--help'], hoisted: []})
  })
})

describe('control characters', () => {
  it('are escaped visibly, everything else kept', () => {
    expect(escapeControl('a\x1b[31mRED\x07\n\r\t\0b')).toBe('a\\e[31mRED\\x07\\n\\r\\t\\0b')
    expect(escapeControl('\x7f\x9b\u2028\u202e')).toBe('\\x7f\\x9b\\u{2028}\\u{202e}')
    expect(escapeControl('meta/a ✓ é \\n')).toBe('meta/a ✓ é \\n')
  })
  it('argument vectors are shown as a shell would split them', () => {
    expect(shellWords(['/usr/sbin/fence_node', '--victim=n2', 'two words', "it's"])).toBe("/usr/sbin/fence_node --victim=n2 'two words' 'it'\\''s'")
  })
})

describe('parse errors in the house style', () => {
  const shape: CommandShape = {
    id: 'lock list',
    flags: {node: {description: 'only this node', type: 'option'}, invalid: {description: 'only invalid locks', type: 'boolean'}, json: {type: 'boolean'}},
    args: {fs: {description: 'file system'}},
  }
  it.each([
    ['The following error occurred:\n  Missing required flag node\nSee more help with --help', 'missing --node: only this node (see: dlmctl lock list --help)'],
    ['Nonexistent flag: --nod\nSee more help with --help', 'unknown flag --nod (did you mean --node?) (see: dlmctl lock list --help)'],
    ['Nonexistent flag: --zzzzzz', 'unknown flag --zzzzzz (see: dlmctl lock list --help)'],
    ['Unexpected argument: x\nSee more help with --help', "unexpected argument 'x' (dlmctl lock list takes <fs>; see: dlmctl lock list --help)"],
    ['Parsing --node \n\tExpected an integer but received: abc', "--node: 'abc' is not a whole number (see: dlmctl lock list --help)"],
    ['Expected --node=x to be one of: a, b\nSee more help with --help', "--node: 'x' is not allowed; use one of a, b (see: dlmctl lock list --help)"],
    ['Missing 1 required arg:\nfs  file system\nSee more help with --help', 'missing argument <fs>: file system (see: dlmctl lock list --help)'],
  ])('%j', (raw, line) => {
    expect(usageMessage(raw, shape)).toBe(line)
  })
  it('a value given to a switch', () => {
    expect(switchWithValue(['fs1', '--invalid=yes'], shape)).toBe('--invalid is a switch and takes no value (got --invalid=yes): give --invalid alone, or leave it out (see: dlmctl lock list --help)')
    expect(switchWithValue(['--node=n1', '--invalid'], shape)).toBeUndefined()
  })
})

describe('safety lines', async () => {
  const {renderReplayProgress, renderFenced, renderForcedValidate} = await import('../../src/render/safety.js')
  it('replay progress: records, of how many and the percentage when known, the rate', () => {
    expect(renderReplayProgress('fs1', 524288, 1_000_000, 500)).toBe('replaying fs1: 524,288 records of 1,000,000 (52%), 1,048,576 records/s')
    expect(renderReplayProgress('fs1', 65536, undefined, 100)).toBe('replaying fs1: 65,536 records, 655,360 records/s')
    // No plan shown (--yes): the percent of the journal bytes scanned.
    expect(renderReplayProgress('fs1', 65536, undefined, 100, 0.427)).toBe('replaying fs1: 65,536 records (42%), 655,360 records/s')
    expect(renderReplayProgress('fs1', 524288, 1_000_000, 500, 0.9)).toBe('replaying fs1: 524,288 records of 1,000,000 (52%), 1,048,576 records/s')
  })
  it('fenced or not, said outright', () => {
    expect(renderFenced({fence: 'ok', fenced: {command: ['/sbin/fence', 'n2'], exit: 0, ms: 840}})).toBe('fenced: /sbin/fence n2 exited 0 after 840 ms')
    expect(renderFenced({fence: 'none', fenced: null})).toBe('NOT fenced: no fence command configured')
    expect(renderFenced({fence: 'skipped', fenced: null})).toMatch(/^NOT fenced: --skip-fence given/)
  })
  it('validate --force names per dead node what it abandons', () => {
    expect(renderForcedValidate('fs1', {abandoned: [{node: 'n3', transactions: 2, records: 5}], releasedOrphans: [10], recoveredNodes: ['n3']})).toBe(
      [
        "validate fs1 even if dead nodes' journals are not replayed:",
        '  n3: 2 committed transaction(s), 5 record(s) will be abandoned (never applied)',
        '  1 orphan lock(s) released: 10',
        '  n3 will be recovered',
      ].join('\n'),
    )
  })
})
