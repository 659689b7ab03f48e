// Which file systems a `recover` run is about, and what its outcome means as an
// exit status. The rules of the command line (names or --all, never both; names
// must exist; --dry-run alone plans every recovering one; without names, the
// operator chooses among the recovering ones when a terminal can ask) live here,
// so the command only parses, calls and renders.
import {DlmError, EXIT, usage} from '../errors.js'
import type {Ctx} from './context.js'
import {domainsOf} from './nodes.js'
import {recoveringDomains, type DomainRecovery} from './recover.js'
import {unknownFileSystem} from '../model/domain.js'
import {noFlagAmong} from '../util/argv.js'

export interface Recovering {
  name: string
  deadNodes: string[]
}

export interface TargetOptions {
  all?: boolean
  dryRun?: boolean
  /** Asks the operator which of the recovering file systems to recover; absent when no terminal can ask. */
  choose?: (recovering: Recovering[]) => Promise<string[]>
}

/**
 * The file systems to recover, checked against the state; null when the operator
 * was to choose and none is recovering (nothing to ask about).
 */
export async function recoverTargets(ctx: Ctx, args: string[], opts: TargetOptions): Promise<string[] | null> {
  const all = await domainsOf(ctx)
  let names = args
  noFlagAmong(names, 'recover')
  if (opts.all && names.length) throw usage('give file systems or --all, not both')
  if (opts.all || (names.length === 0 && opts.dryRun)) names = (await recoveringDomains(ctx, all)).map((d) => d.name)
  else if (names.length === 0) {
    if (!opts.choose) throw usage('name the file systems to recover, or --all')
    const recovering = await recoveringDomains(ctx, all)
    if (recovering.length === 0) return null
    names = await opts.choose(recovering)
    if (names.length === 0) throw new DlmError('DECLINED', 'no file system chosen; nothing changed')
  }
  for (const n of names) if (!all.includes(n)) throw unknownFileSystem(n, all)
  return names
}

/** The exit status of a recover: 0 when every domain recovered; MORE_RECOVERY when members kept dying; else the first error's. */
export function recoverExitCode(r: {domains: DomainRecovery[]}): number {
  const failed = r.domains.filter((d) => d.result === 'FAILED')
  if (failed.length === 0) return EXIT.OK
  return failed.every((d) => !d.error) ? EXIT.MORE_RECOVERY : failed.find((d) => d.error)!.error!.exitCode
}
