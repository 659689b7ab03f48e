// oclif's commands when running from the sources (bin/dev.mjs): every command's
// adapter, by oclif id (colon-separated), for help, --version and topics.
import {commandIds, loadCommand} from './commands.js'
import {oclifCommand} from './adapter.js'

export default Object.fromEntries(await Promise.all(commandIds().map(async (id) => [id.replaceAll(' ', ':'), oclifCommand(await loadCommand(id), id)])))
