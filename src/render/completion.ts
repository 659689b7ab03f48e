// The completion scripts `dlmctl completion bash|zsh` prints. Each asks dlmctl
// itself for the candidates of the word under the cursor (`completion <shell>
// --complete <index> -- <words...>`), so commands, flags and the names in the
// state directory are always those of the installed version.

export function bashScript(bin: string): string {
  return `# bash completion for ${bin}
# Install: add to ~/.bashrc
#   source <(${bin} completion bash)
# or, for every user:
#   ${bin} completion bash > /etc/bash_completion.d/${bin}
_${bin}_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(command ${bin} completion bash --complete "$COMP_CWORD" -- "\${COMP_WORDS[@]}" 2>/dev/null))
  # Nothing to offer for a path (--state, a drill file, --junit): complete file names.
  if [[ \${#COMPREPLY[@]} -eq 0 ]]; then
    compopt -o default 2>/dev/null
  fi
}
complete -F _${bin}_complete ${bin}
`
}

export function zshScript(bin: string): string {
  return `#compdef ${bin}
# zsh completion for ${bin}
# Install: add to ~/.zshrc, after compinit
#   source <(${bin} completion zsh)
# or write it as _${bin} into a directory of $fpath:
#   ${bin} completion zsh > "\${fpath[1]}/_${bin}"
_${bin}() {
  local -a candidates
  candidates=("\${(@f)$(command ${bin} completion zsh --complete $((CURRENT - 1)) -- "\${words[@]}" 2>/dev/null)}")
  if (( \${#candidates} )) && [[ -n "\${candidates[1]}" ]]; then
    compadd -Q -a candidates
  else
    _files
  fi
}
if (( \${+functions[compdef]} )); then compdef _${bin} ${bin}; fi
`
}

/** The script for `shell` (bash or zsh). */
export const completionScript = (shell: string, bin: string) => (shell === 'zsh' ? zshScript(bin) : bashScript(bin))

/** The scripts' own call (--complete) when it reached the command malformed (main.ts answers a well-formed one). */
export const badCompleteCall = (value: string, shell: string) => `bad --complete '${value}': completion ${shell} --complete <index> -- <words...>`
