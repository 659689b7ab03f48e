// Values and names come from operators and scripts and may hold control
// characters; written raw they would colour, move or split what the terminal
// shows (a key with ESC [31m recolours a table, a newline splits a row). Human
// output shows them escaped, visibly; JSON keeps the exact string.

const NAMED: Record<string, string> = {'\x1b': '\\e', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0'}

// C0 controls, DEL, C1 controls, and the Unicode line separators and bidirectional
// overrides (which reorder what the terminal shows).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** `s` with every control character written as an escape: \e \n \r \t \0, else \xNN or \u{NNNN}. */
export function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0)
    return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`)
  })
}

/** An argument vector as one line a shell would split back the same way (control characters escaped). */
export function shellWords(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./{}-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).map(escapeControl).join(' ')
}
