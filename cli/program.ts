/**
 * The command tree of `kubectl ksit`: the global flags, the help epilogue (examples and exit codes), and the
 * commands, each declared beside its handler in its own file of cli/ (flags, help, action); and how an error
 * becomes one line on stderr and an exit code (cli/errors.ts).
 */
import { Command, CommanderError, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { defineCheck } from "./check.ts";
import { type CommandContext, type CommandDefinition, optionOf } from "./command.ts";
import { defineCompletion } from "./completion.ts";
import { defineDashboard } from "./dashboard.ts";
import { defineDescribe } from "./describe.ts";
import { EXIT, exitCodeTable, reportCliError } from "./errors.ts";
import { GLOBAL_FLAGS } from "./flags.ts";
import type { Io } from "./io.ts";
import { defineServe } from "./serve.ts";
import { defineStatus } from "./status.ts";
import { defineTargetAdd } from "./target_add.ts";
import { defineTargetImport } from "./target_import.ts";
import { defineTargetList } from "./target_list.ts";
import { defineVersion } from "./version.ts";

const EPILOG = `
Global flags go before or after the subcommand. Integrations and targets are read from -n, else the
context's namespace, else ksit-system. Colour is used only on a terminal and never with NO_COLOR.

Examples:
  kubectl ksit check --all-contexts            # no install needed: judge every kubeconfig context
  kubectl ksit status -A                       # all Integrations, list or matrix by terminal width
  kubectl ksit status --watch --type argocd
  kubectl ksit describe argocd-prod -n ksit-system
  kubectl ksit target add prod-1 --context prod-1 --service-account --label env=prod
  kubectl ksit target import --from argocd     # preview the targets your Argo CD clusters give

Exit codes:
${exitCodeTable()}
`;

const COMMANDS: CommandDefinition[] = [defineStatus, defineDescribe, defineCheck];
const TARGET_COMMANDS: CommandDefinition[] = [defineTargetAdd, defineTargetList, defineTargetImport];
const LAST_COMMANDS: CommandDefinition[] = [defineServe, defineDashboard, defineVersion, defineCompletion];

/** The command tree. `run` receives each subcommand's result (its exit code). */
export function buildProgram(io: Io, run: CommandContext["run"]): CommandUnknownOpts {
  const program = new Command()
    .name("kubectl ksit")
    .description("Is Argo CD, Flux, Prometheus and Istio healthy on all my clusters? (KSIT)");
  for (const flag of GLOBAL_FLAGS) program.addOption(optionOf(flag));
  program
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError()
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .addHelpText("after", EPILOG);
  const ctx: CommandContext = { io, run, option: optionOf };
  for (const define of COMMANDS) define(program, ctx);
  const target = program.command("target").description("manage IntegrationTargets (workload clusters)");
  for (const define of TARGET_COMMANDS) define(target, ctx);
  for (const define of LAST_COMMANDS) define(program, ctx);
  return program;
}

/** Prints an error the way the exit-code table says, and returns the exit code. */
export function reportError(e: unknown, io: Io, debug: boolean): number {
  if (e instanceof CommanderError) {
    // commander printed its message already
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT.Ok;
    return EXIT.Usage;
  }
  return reportCliError(e, io, debug);
}
