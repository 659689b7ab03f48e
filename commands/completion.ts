import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {defineCommand} from '../src/cli/define.js'
import {badCompleteCall, completionScript} from '../src/render/completion.js'
import {usage} from '../src/errors.js'

export default defineCommand({
  summary: 'Print a shell completion script (bash or zsh)',
  description: 'Completes commands, topics, flags, flag values, and from the state, a directory or an etcd URL (--state on the line, else DLMCTL_STATE, else ./dlm-cluster) node names, file systems, recovery ids and lock ids. Install for bash: source <(dlmctl completion bash) in ~/.bashrc; for zsh: source <(dlmctl completion zsh) in ~/.zshrc after compinit.',
  examples: [
    {description: 'Complete in this bash and every new one (add the line to ~/.bashrc)', command: 'source <(<%= config.bin %> completion bash)'},
    {description: 'For every user, with the bash-completion package', command: '<%= config.bin %> completion bash > /etc/bash_completion.d/<%= config.bin %>'},
    {description: 'zsh: a completion function on $fpath (or source <(dlmctl completion zsh) in ~/.zshrc after compinit)', command: '<%= config.bin %> completion zsh > "${fpath[1]}/_<%= config.bin %>"'},
  ],
  args: {shell: Args.string({description: 'the shell: bash or zsh', required: true, options: ['bash', 'zsh']})},
  flags: {
    // Used by the scripts themselves: the index of the word to complete, then `--` and the line's words.
    complete: Flags.string({hidden: true}),
  },
  async run({args, flags}) {
    // The scripts' own call is answered in src/cli/main.ts before oclif loads; here it was malformed.
    if (flags.complete !== undefined) throw usage(badCompleteCall(flags.complete, args.shell))
    process.stdout.write(completionScript(args.shell, 'dlmctl'))
  },
})
