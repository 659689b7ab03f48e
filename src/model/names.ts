// The naming rules of the cluster, each written once: node and file-system names,
// resource names, metadata keys and the ids the operator types. The store's shapes,
// the drill checker and the commands all test names here.
import {DlmError, usage} from '../errors.js'

/** The longest node or file-system name. */
export const NODE_NAME_MAX = 32
/** Node and file-system names: they become parts of paths, so lowercase and bounded. */
export const NODE_NAME = new RegExp(`^[a-z][a-z0-9-]{0,${NODE_NAME_MAX - 1}}$`)
/** The node-name rule in words, for every message that refuses a name. */
export const NODE_NAME_RULE = `1-${NODE_NAME_MAX} lowercase letters, digits or '-', starting with a letter`

export function checkName(kind: 'node' | 'file system', name: string): string {
  if (!NODE_NAME.test(name)) throw new DlmError('BAD_NAME', `bad ${kind} name '${name}': use ${NODE_NAME_RULE}`)
  return name
}

/** The longest resource name. */
export const RESOURCE_NAME_MAX = 200
/** Resource names live inside files, never in paths: printable ASCII (! to ~), bounded. */
export const RESOURCE_NAME = new RegExp(`^[\\x21-\\x7e]{1,${RESOURCE_NAME_MAX}}$`)

export function checkResource(name: string): string {
  if (!RESOURCE_NAME.test(name)) throw new DlmError('BAD_NAME', `bad resource name '${name}': a resource name is 1 to ${RESOURCE_NAME_MAX} printable ASCII characters (! to ~): no spaces, no control characters, nothing outside ASCII`)
  return name
}

/** Metadata keys live in files and in resource names (meta/<key>, within the 200 of a resource name); '=' separates key=value. */
export const META_KEY = /^[\x21-\x3c\x3e-\x7e]{1,195}$/

export function checkKey(key: string): string {
  if (!META_KEY.test(key)) throw new DlmError('BAD_NAME', `bad key '${key}': 1-195 printable characters, no spaces or '='`)
  return key
}

/** The most digits of an id: 15 stay exact as JS numbers. */
export const ID_MAX_DIGITS = 15
/** Lock ids and recovery ids: positive decimal integers that stay exact as JS numbers. */
export const ID = new RegExp(`^[1-9][0-9]{0,${ID_MAX_DIGITS - 1}}$`)

export function parseId(kind: 'lock' | 'recovery', s: string): number {
  if (!ID.test(s)) throw usage(`bad ${kind} id '${s}': a positive integer${kind === 'recovery' ? ' from dlmctl domain attach' : ''}`)
  return Number(s)
}
export const parseLockId = (s: string) => parseId('lock', s)
export const parseRecoveryId = (s: string) => parseId('recovery', s)
