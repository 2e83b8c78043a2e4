/**
 * The command tree of `kubectl ksit`: the global flags, the help epilogue (examples and exit codes), and the
 * commands, each declared beside its handler in its own file of cli/ (flags, help, action); and how an error
 * becomes one line on stderr and an exit code (cli/errors.ts).
 */
import { Command, CommanderError, type CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { defineCheck } from "./check.ts";
import type { CommandContext, CommandDefinition } from "./command.ts";
import { defineCompletion } from "./completion.ts";
import { defineDashboard } from "./dashboard.ts";
import { defineDescribe } from "./describe.ts";
import { CliError, EXIT, exitCodeTable } from "./errors.ts";
import type { Io } from "./io.ts";
import { OUTPUTS } from "./render.ts";
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
    .description("Is Argo CD, Flux, Prometheus and Istio healthy on all my clusters? (KSIT)")
    .option("--kubeconfig <path>", "path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    .option(
      "--context <name>",
      "kubeconfig context (check: a comma-separated list; target add: the workload cluster)",
    )
    .option("-n, --namespace <namespace>", "namespace of the KSIT objects")
    .option("-A, --all-namespaces", "all namespaces")
    .addOption(
      new Option("-o, --output <format>", "output format").choices(OUTPUTS).default("table" as const),
    )
    .option("--debug", "print stack traces and API details on errors")
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError()
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .addHelpText("after", EPILOG);
  const ctx = { io, run };
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
  const err = e instanceof Error ? e : new Error(String(e));
  const code = e instanceof CliError ? e.exitCode : EXIT.Error;
  io.err(`error: ${err.message}\n`);
  if (e instanceof CliError && e.reason === "Usage") io.err("(run with --help for usage)\n");
  if (debug) {
    let cur: unknown = err;
    for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
      io.err(`${depth ? "caused by: " : ""}${cur.stack ?? cur.message}\n`);
      cur = cur.cause;
    }
  } else if (!(e instanceof CliError)) {
    io.err("(run with --debug for details)\n");
  }
  return code;
}
