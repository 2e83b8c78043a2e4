/**
 * `kubectl ksit completion bash|zsh|fish`: shell scripts that complete `kubectl-ksit …` by asking the binary
 * (`kubectl-ksit __complete <words…>`, cli/complete.ts). For `kubectl ksit <TAB>`, kubectl (≥ 1.26) itself
 * runs `kubectl_complete-ksit` from PATH (scripts/kubectl_complete-ksit, installed by `deno task install`),
 * which answers through the same `__complete`.
 */
import { Argument } from "@commander-js/extra-typings";
import type { CommandDefinition } from "./command.ts";
import { EXIT } from "./errors.ts";
import type { Io } from "./io.ts";

export const BASH = `# bash completion for kubectl-ksit; load with: source <(kubectl-ksit completion bash)
_kubectl_ksit() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" out directive
  out=$(kubectl-ksit __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
  directive=\${out##*:}
  out=$(printf '%s\\n' "$out" | sed '$d' | cut -f1)
  COMPREPLY=( $(compgen -W "$out" -- "$cur") )
  if [[ $directive == 4 ]]; then compopt +o default 2>/dev/null; fi
}
complete -o default -F _kubectl_ksit kubectl-ksit
`;

export const ZSH = `#compdef kubectl-ksit
# zsh completion for kubectl-ksit; load with: source <(kubectl-ksit completion zsh)
_kubectl_ksit() {
  local -a lines comps
  lines=("\${(@f)$(kubectl-ksit __complete "\${(@)words[2,$CURRENT]}" 2>/dev/null)}")
  comps=("\${(@)lines[1,-2]}")
  comps=("\${(@)comps%%$'\\t'*}")
  compadd -- "\${comps[@]}"
}
if [ "$funcstack[1]" = "_kubectl_ksit" ]; then _kubectl_ksit "$@"; else compdef _kubectl_ksit kubectl-ksit; fi
`;

export const FISH = `# fish completion for kubectl-ksit; load with: kubectl-ksit completion fish | source
function __kubectl_ksit_complete
    set -l words (commandline -opc) (commandline -ct)
    kubectl-ksit __complete $words[2..-1] 2>/dev/null | string match -v -r '^:[0-9]+$'
end
complete -c kubectl-ksit -f -a '(__kubectl_ksit_complete)'
`;

export function completionScript(shell: "bash" | "zsh" | "fish"): string {
  return shell === "bash" ? BASH : shell === "zsh" ? ZSH : FISH;
}

export function completion(shell: "bash" | "zsh" | "fish", io: Io): Promise<number> {
  io.out(completionScript(shell));
  return Promise.resolve(EXIT.Ok);
}

export const defineCompletion: CommandDefinition = (parent, { io, run }) => {
  parent
    .command("completion")
    .description("print a shell completion script (kubectl ksit <TAB> needs kubectl_complete-ksit on PATH)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"] as const))
    .action((shell) => run(completion(shell, io)));
};
