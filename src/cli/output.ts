// -o/--output of the listing commands: table (the human table), json (the same
// document as --json), yaml, tsv. --json stays and means -o json.
import * as Flags from '@oclif/core/flags'
import {streamSend, type Send} from '../util/json-bytes.js'
import {OUTPUT_FORMATS, columnsOf, tsv, yaml, type OutputFormat} from '../render/listing.js'

export const outputFlag = Flags.string({
  char: 'o',
  description: 'output format: table (default), json (as --json), yaml, or tsv (a header line, then one tab-separated line per row)',
  options: [...OUTPUT_FORMATS],
})

/** The format asked for: --json wins over a default; -o json is --json. */
export function outputFormat(flags: {output?: string; json?: boolean}): OutputFormat {
  if (flags.json) return 'json'
  return (flags.output as OutputFormat | undefined) ?? 'table'
}

/** Machine text (yaml, tsv) goes straight to stdout: never through the pager. */
export function writeMachine(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n')
}

/**
 * yaml of the whole document or tsv of its rows, written to stdout; false for
 * table and json (the command's emit prints those).
 */
export async function writeListing(format: OutputFormat, doc: unknown, rows: readonly object[], columns?: string[]): Promise<boolean> {
  if (format === 'yaml') writeMachine(await yaml(doc))
  else if (format === 'tsv') {
    const r = rows as Record<string, unknown>[]
    writeMachine(tsv(columns ?? columnsOf(r), r))
  } else return false
  return true
}

/** Text to stdout a piece at a time, waiting when the pipe is full (a million-row table is never one string). */
export const stdoutWriter = (): Send<string> => streamSend<string>(process.stdout)
