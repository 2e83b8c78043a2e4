/**
 * `kubectl-ksit`: the kubectl plugin (and the controller, via `serve`). Builds the command tree, runs the
 * chosen subcommand (each lives in cli/ and is imported only when it runs, so start-up stays lean), and maps
 * errors to exit codes (cli/errors.ts): one line on stderr, the stack only with --debug.
 */
import {
  Argument,
  Command,
  CommanderError,
  type CommandUnknownOpts,
  InvalidArgumentError,
  Option,
} from "@commander-js/extra-typings";
import { CliError, EXIT, exitCodeTable } from "./cli/errors.ts";
import { type GlobalOptions, type Io, processIo } from "./cli/io.ts";
import { OUTPUTS } from "./cli/render.ts";
import { parseDuration } from "./api/duration.ts";
import { TOOL_TYPES } from "./api/schema.ts";
import type { ToolType } from "./api/types.ts";

type Globals = { optsWithGlobals(): unknown };
const globalsOf = (cmd: Globals) => cmd.optsWithGlobals() as GlobalOptions;

function typesFlag(value: string, previous: ToolType[] = []): ToolType[] {
  const out = [...previous];
  for (const t of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (!(TOOL_TYPES as readonly string[]).includes(t)) {
      throw new InvalidArgumentError(`"${t}" is not a tool type (${TOOL_TYPES.join(", ")})`);
    }
    out.push(t as ToolType);
  }
  return out;
}

function durationFlag(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new InvalidArgumentError(`"${value}" is not a duration (e.g. 10s, 1m30s, 8760h)`);
  }
  return ms;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

function portFlag(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a port`);
  return n;
}

function repeat(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--allowed-servers` / `--denied-servers`: repeatable, comma-separated (entries checked by `serve`). */
function serverList(value: string, previous: string[] = []): string[] {
  const entries = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const e of entries) {
    if (!/^[A-Za-z0-9*.:/[\]-]+$/.test(e)) {
      throw new InvalidArgumentError(`"${e}" is not an address, CIDR or host name`);
    }
  }
  return [...previous, ...entries];
}

const EPILOG = `
Global flags go before or after the subcommand. Integrations and targets are read from -n, else the
context's namespace, else ksit-system. Colour is used only on a terminal and never with NO_COLOR.

Examples:
  kubectl ksit check --all-contexts            # no install needed: judge every kubeconfig context
  kubectl ksit status -A                       # all Integrations, list or matrix by terminal width
  kubectl ksit status --watch --type argocd
  kubectl ksit describe argocd-prod -n ksit-system
  kubectl ksit target add prod-1 --context prod-1 --service-account --label env=prod

Exit codes:
${exitCodeTable()}
`;

/** The command tree. `run` receives each subcommand's result (its exit code). */
export function buildProgram(io: Io, run: (p: Promise<number>) => Promise<void>): CommandUnknownOpts {
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

  program
    .command("status")
    .description("show every Integration's health: a list, or a matrix of integrations × clusters")
    .option("--type <types>", `only these tool types, comma-separated (${TOOL_TYPES.join(", ")})`, typesFlag)
    .option("--cluster <name>", "only Integrations that target this cluster")
    .addOption(
      new Option("--view <view>", "list or matrix (auto: matrix when it fits the terminal)")
        .choices(["auto", "list", "matrix"] as const).default("auto" as const),
    )
    .option("-w, --watch", "watch for changes and redraw")
    .option("--exit-code", `exit ${EXIT.NotHealthy} when anything is not Running`)
    .action((opts, cmd) => run(import("./cli/status.ts").then((m) => m.status(globalsOf(cmd), opts, io))));

  program
    .command("describe")
    .description("show one Integration per cluster and component, with conditions and recent events")
    .argument("<integration>", "name of the Integration")
    .option("--events <n>", "how many recent events to show", positiveInt, 20)
    .action((name, opts, cmd) =>
      run(import("./cli/describe.ts").then((m) => m.describe(globalsOf(cmd), name, opts, io)))
    );

  program
    .command("check")
    .description("judge the tools on local kubeconfig contexts directly (no controller or CRDs needed)")
    .option("--all-contexts", "check every context of the kubeconfig")
    .option("--type <types>", "tool types, comma-separated (default: all four)", typesFlag)
    .option(
      "--tool-namespace <[tool=]ns[,ns]>",
      "namespaces of one tool (argocd=gitops; istio=istio-system,istio-ingress), or of every tool; repeatable " +
        "(default: each tool's own, then found anywhere by its labels)",
      repeat,
    )
    .addOption(
      new Option("--timeout <duration>", "deadline per context").argParser(durationFlag).default(
        10_000,
        "10s",
      ),
    )
    .option("--concurrency <n>", "contexts checked at once", positiveInt, 8)
    .addOption(
      new Option("--view <view>", "list or matrix (auto: matrix when it fits the terminal)")
        .choices(["auto", "list", "matrix"] as const).default("auto" as const),
    )
    .action((opts, cmd) =>
      run(
        import("./cli/check.ts").then((m) =>
          m.check(globalsOf(cmd), {
            allContexts: opts.allContexts,
            type: opts.type,
            toolNamespace: opts.toolNamespace,
            timeoutMs: opts.timeout,
            concurrency: opts.concurrency,
            view: opts.view,
          }, io)
        ),
      )
    );

  const target = program.command("target").description("manage IntegrationTargets (workload clusters)");
  target
    .command("add")
    .description(
      "register the workload cluster of --context: a kubeconfig Secret and an IntegrationTarget on the control plane",
    )
    .argument("<name>", "cluster name (IntegrationTarget name and spec.clusterName)")
    .option("--label <key=value>", "target label for Integration targetSelector (repeatable)", repeat)
    .option("--control-plane-context <name>", "context of the control plane (default: the current context)")
    .option(
      "--service-account",
      "create a read-only ServiceAccount on the workload cluster and store its token",
    )
    .addOption(
      new Option("--token-duration <duration>", "TokenRequest lifetime with --service-account")
        .argParser(durationFlag).default(8760 * 3_600_000, "8760h"),
    )
    .option(
      "--token-secret",
      "with --service-account: a long-lived token Secret instead (needs kube-controller-manager)",
    )
    .option("--allow-exec-auth", "store a kubeconfig that uses an exec plugin / auth-provider")
    .option("--server <url>", "API server URL to store (how the controller reaches the cluster)")
    .action((name, opts, cmd) =>
      run(
        import("./cli/target_add.ts").then((m) =>
          m.targetAdd(globalsOf(cmd), name, {
            labels: m.parseLabels(opts.label ?? []),
            controlPlaneContext: opts.controlPlaneContext,
            serviceAccount: opts.serviceAccount,
            tokenDurationSeconds: Math.round(opts.tokenDuration / 1000),
            tokenSecret: opts.tokenSecret,
            allowExecAuth: opts.allowExecAuth,
            server: opts.server,
          }, io)
        ),
      )
    );
  target
    .command("list")
    .alias("ls")
    .description("list the IntegrationTargets and whether KSIT can reach them")
    .action((_opts, cmd) =>
      run(import("./cli/target_list.ts").then((m) => m.targetList(globalsOf(cmd), io)))
    );

  program
    .command("serve")
    .description("run the KSIT controller (in-cluster; see deploy/helm/ksit); -n / -A: namespaces to watch")
    .option("--health-addr <addr>", "address of /healthz, /readyz, /metrics", ":8080")
    .option("--leader-elect", "elect a leader through a coordination.k8s.io Lease")
    .option("--lease-name <name>", "name of the Lease (default: the controller's)")
    .option(
      "--lease-duration <duration>",
      "leader-election lease duration (default: the controller's)",
      durationFlag,
    )
    .option("--concurrency <n>", "Integrations reconciled at once", positiveInt, 4)
    .addOption(
      new Option("--request-timeout <duration>", "deadline of each API call").argParser(durationFlag)
        .default(10_000, "10s"),
    )
    .option("--allow-exec-auth", "accept target kubeconfigs that use exec plugins / auth-providers")
    .addOption(
      new Option("--log-level <level>", "log level").choices(["debug", "info", "warn", "error"] as const)
        .default("info" as const),
    )
    .addOption(
      new Option("--mode <mode>", "how workload clusters are followed").choices(["watch", "poll"] as const),
    )
    .option("--identity <id>", "leader-election identity (default: hostname + random suffix)")
    .option(
      "--allowed-servers <list>",
      "only contact workload API servers at these addresses: CIDRs, host names, *.domain (comma-separated)",
      serverList,
    )
    .option(
      "--denied-servers <list>",
      "never contact these (link-local always, loopback in a pod, unless allowed)",
      serverList,
    )
    .option(
      "--secret-selector <selector>",
      "only read kubeconfig Secrets with these labels (e.g. ksit.io/kubeconfig=true, set by target add)",
    )
    .option(
      "--ui-addr <addr>",
      "serve the dashboard (/ui/) on this address, e.g. 127.0.0.1:8081 (default: off)",
    )
    .action((opts, cmd) =>
      run(
        import("./cli/serve.ts").then((m) =>
          m.serve(globalsOf(cmd), {
            healthAddr: opts.healthAddr,
            leaderElect: opts.leaderElect,
            leaseName: opts.leaseName,
            leaseDurationMs: opts.leaseDuration,
            concurrency: opts.concurrency,
            requestTimeoutMs: opts.requestTimeout,
            allowExecAuth: opts.allowExecAuth,
            logLevel: opts.logLevel,
            mode: opts.mode,
            identity: opts.identity,
            allowedServers: opts.allowedServers,
            deniedServers: opts.deniedServers,
            secretSelector: opts.secretSelector,
            uiAddr: opts.uiAddr,
          })
        ),
      )
    );

  program
    .command("dashboard")
    .description("serve the live fleet dashboard locally from your kubeconfig (read-only) and print its URL")
    .option("--address <address>", "address to listen on (a non-loopback address exposes it)", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", portFlag, 8090)
    .option("--open", "open the dashboard in a browser")
    .action((opts, cmd) =>
      run(import("./cli/dashboard.ts").then((m) => m.dashboard(globalsOf(cmd), opts, io)))
    );

  program
    .command("version")
    .description("print the plugin version and the control plane's server version")
    .option("--client", "only the plugin version (no server call)")
    .action((opts, cmd) => run(import("./cli/version.ts").then((m) => m.version(globalsOf(cmd), opts, io))));

  program
    .command("completion")
    .description("print a shell completion script (kubectl ksit <TAB> needs kubectl_complete-ksit on PATH)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"] as const))
    .action((shell) => run(import("./cli/completion.ts").then((m) => m.completion(shell, io))));

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

let quietRejections = false;

export async function main(args: string[], io: Io = processIo()): Promise<number> {
  const debug = args.includes("--debug");
  // client-node starts some promises nobody awaits (exec credential plugins, transports); their failures
  // also reach the awaited call that needs them, which reports it. Do not let them kill the process.
  if (!quietRejections) {
    quietRejections = true;
    globalThis.addEventListener("unhandledrejection", (e) => {
      e.preventDefault();
      if (debug) io.err(`(background) ${e.reason instanceof Error ? e.reason.stack : String(e.reason)}\n`);
    });
  }
  if (args[0] === "__complete" || args[0] === "__completeNoDesc") {
    const { complete } = await import("./cli/complete.ts");
    return await complete(args.slice(1), io, () => buildProgram(io, async () => {}));
  }
  let code: number = EXIT.Ok;
  const program = buildProgram(io, async (p) => {
    code = await p;
  });
  if (args.length === 0) {
    program.outputHelp();
    return EXIT.Ok;
  }
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    return reportError(e, io, debug);
  }
  return code;
}

if (import.meta.main) {
  // exit once the command is done, even if a library left a timer or pooled connection behind: `serve`
  // resolves after its orderly shutdown (watches stopped, Lease released) and must then end with 0
  Deno.exit(await main(Deno.args));
}
