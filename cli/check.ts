/**
 * `kubectl ksit check`: the zero-install way to try KSIT. No controller and no CRDs: for each local kubeconfig
 * context (`--context a,b`, `--all-contexts`, default the current one) it reads each tool's namespaces with
 * `gatherTool` (and, when a tool is not in its default namespaces, finds it by its installs' labels) and judges
 * them with `judgeCluster` from checks/, all contexts concurrently, each under its own deadline. A tool that is
 * not installed is shown as such; it fails the exit code only when asked for with `--type`.
 * RBAC on each cluster: list deployments, statefulsets, daemonsets (apps) and endpointslices (discovery.k8s.io)
 * in the tool namespaces; list of deployments, statefulsets and daemonsets cluster-wide for discovery
 * (deploy/workload-rbac: the ClusterRole grants both, the namespaced Role the first).
 */
import { Option } from "@commander-js/extra-typings";
import {
  type CommandDefinition,
  durationFlag,
  globalsOf,
  positiveInt,
  repeat,
  typeOption,
  viewOption,
} from "./command.ts";
import { MAX_TOOL_NAMESPACES, TOOL_TYPES } from "../api/schema.ts";
import type { ClusterStatus, ToolType } from "../api/types.ts";
import { clusterReason, errorDetail } from "../kube/errors.ts";
import type { WorkloadReader } from "../kube/gather.ts";
import type { ContextEntries } from "../kube/kubeconfig.ts";
import { type ToolNamespaces, toolNamespaces } from "../checks/namespace.ts";
import {
  type CheckRenderOptions,
  type CheckResult,
  chooseCheckView,
  overallPhase,
  renderCheck,
} from "./check_render.ts";
import { CliError, EXIT } from "./errors.ts";
import type { GlobalOptions, Io } from "./io.ts";
import { type Kubeconfig, loadKubeconfig } from "./kubeconfig.ts";
import { runExec } from "./rest_client.ts";
import { encodeBase64 } from "../util/base64.ts";
import { pool } from "../util/pool.ts";
import type { View } from "./status_render.ts";

export interface CheckOptions {
  allContexts?: boolean;
  type?: ToolType[];
  /**
   * `--tool-namespace` values: `ns[,ns…]` for every tool (the old single-value form), or
   * `tool=ns[,ns…]` for one tool; repeatable, later ones add to earlier ones.
   */
  toolNamespace?: string | string[];
  /** Deadline per context (all of its lists), ms (`--timeout`). */
  timeout?: number;
  /** How many contexts are checked at once. */
  concurrency?: number;
  view?: View | "auto";
  /** `--debug`: receives the underlying error of each context that could not be checked. */
  debug?: (line: string) => void;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Namespaces per tool from `--tool-namespace` (undefined: the tool's defaults, with discovery). */
export type NamespaceFlags = Partial<Record<ToolType, string[]>>;

/** Parses `--tool-namespace` values (see CheckOptions); usage errors name the bad value. */
export function parseToolNamespaces(values: string | readonly string[] | undefined): NamespaceFlags {
  const out: NamespaceFlags = {};
  const add = (t: ToolType, namespaces: string[]) => {
    out[t] = [...new Set([...(out[t] ?? []), ...namespaces])];
  };
  for (const value of typeof values === "string" ? [values] : values ?? []) {
    const eq = value.indexOf("=");
    const tool = eq >= 0 ? value.slice(0, eq).trim() : undefined;
    const namespaces = value.slice(eq + 1).split(",").map((s) => s.trim()).filter(Boolean);
    if (tool !== undefined && !(TOOL_TYPES as readonly string[]).includes(tool)) {
      throw new CliError(
        "Usage",
        `--tool-namespace ${value}: "${tool}" is not a tool type (${TOOL_TYPES.join(", ")})`,
      );
    }
    if (namespaces.length === 0) throw new CliError("Usage", `--tool-namespace ${value}: no namespace given`);
    const bad = namespaces.find((n) => n.length > 63 || !DNS_LABEL.test(n));
    if (bad) throw new CliError("Usage", `--tool-namespace ${value}: "${bad}" is not a namespace name`);
    for (const t of tool ? [tool as ToolType] : TOOL_TYPES) add(t, namespaces);
  }
  for (const [t, ns] of Object.entries(out)) {
    if (ns.length > MAX_TOOL_NAMESPACES) {
      throw new CliError(
        "Usage",
        `--tool-namespace: at most ${MAX_TOOL_NAMESPACES} namespaces per tool (${t})`,
      );
    }
  }
  return out;
}

/** Where `t` is looked for: the flags' namespaces, else its defaults. */
function namespacesOf(t: ToolType, flags: NamespaceFlags): ToolNamespaces {
  return toolNamespaces(t, { namespaces: flags[t] ?? [] });
}

/** The contexts to check: `--all-contexts`, else `--context a,b`, else the current one. */
export function contextsToCheck(
  g: GlobalOptions,
  o: CheckOptions,
  available: string[],
  current: string,
): string[] {
  if (o.allContexts) {
    if (g.context) throw new CliError("Usage", "use either --context or --all-contexts, not both");
    return available;
  }
  const wanted = g.context
    ? g.context.split(",").map((s) => s.trim()).filter(Boolean)
    : current
    ? [current]
    : [];
  if (wanted.length === 0) {
    throw new CliError("UnknownContext", "no current context: pass --context a,b or --all-contexts");
  }
  const unknown = wanted.filter((c) => !available.includes(c));
  if (unknown.length) {
    throw new CliError(
      "UnknownContext",
      `context${unknown.length > 1 ? "s" : ""} ${
        unknown.map((c) => `"${c}"`).join(", ")
      } not found in kubeconfig; ` +
        `available: ${available.join(", ")}`,
    );
  }
  return [...new Set(wanted)];
}

/** Checks one context; never throws (a failure becomes an Unknown verdict per tool). */
export async function checkContext(
  /** The context as the CLI resolved it from the user's files, or a kubeconfig's text (tests). */
  kubeconfig: string | ContextEntries,
  context: string,
  types: readonly ToolType[],
  o: CheckOptions,
  flags: NamespaceFlags = parseToolNamespaces(o.toolNamespace),
): Promise<CheckResult[]> {
  const [{ gatherTool }, { judgeCluster, unknownCluster }] = await Promise.all([
    import("../kube/gather.ts"),
    import("../checks/judge.ts"),
  ]);
  const unknown = (t: ToolType, reason: string, message: string): CheckResult => ({
    context,
    type: t,
    namespace: namespacesOf(t, flags).namespaces.join(","),
    verdict: unknownCluster(context, reason, message),
  });
  let reader: WorkloadReader;
  try {
    reader = await contextReader(kubeconfig, context);
  } catch (e) {
    const reason = (e as { reason?: string }).reason ?? "InvalidKubeconfig";
    return types.map((t) => unknown(t, reason, (e as Error).message));
  }
  const timeoutMs = o.timeout ?? 10_000;
  return await Promise.all(types.map(async (t): Promise<CheckResult> => {
    const namespaces = namespacesOf(t, flags);
    try {
      const { snapshot, discovery } = await gatherTool(reader, {
        type: t,
        namespaces,
        discover: true,
        timeoutMs,
      });
      const read = snapshot.namespaces ?? [snapshot.namespace];
      return {
        context,
        type: t,
        namespace: read.join(","),
        verdict: judgeCluster({ cluster: context, type: t, snapshot, discovery }) as ClusterStatus,
      };
    } catch (e) {
      // the message says it in a person's words; the raw transport error is for --debug
      o.debug?.(`context ${context}, ${t}: ${errorDetail((e as Error).cause ?? e)}`);
      return unknown(t, clusterReason(e), (e as Error).message);
    }
  }));
}

/** The lists `gather` needs, on client-node (loaded here, only by `check`), shared by the tools of a context. */
async function contextReader(kubeconfig: string | ContextEntries, context: string): Promise<WorkloadReader> {
  const [{ kubeConfigForContext, parseKubeconfig }, { clientNodeReader }] = await Promise.all([
    import("../kube/kubeconfig.ts"),
    import("../kube/workload_reader.ts"),
  ]);
  const kc = typeof kubeconfig === "string"
    ? parseKubeconfig(kubeconfig, {
      source: `context ${context}`,
      allowExecAuth: true,
      context,
      allowFileReferences: true,
    })
    : kubeConfigForContext(kubeconfig);
  return sharedLists(clientNodeReader(kc));
}

/**
 * A reader whose namespaced lists are made once per namespace and kind (several tools in one namespace share
 * them, as they did when check gathered per namespace).
 */
function sharedLists(reader: WorkloadReader): WorkloadReader {
  const made = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, list: () => Promise<T>): Promise<T> => {
    let p = made.get(key) as Promise<T> | undefined;
    if (!p) {
      p = list();
      made.set(key, p);
      p.catch(() => made.delete(key));
    }
    return p.then((items) => structuredClone(items));
  };
  return {
    listDeployments: (ns, s) => once(`d/${ns}`, () => reader.listDeployments(ns, s)),
    listStatefulSets: (ns, s) => once(`s/${ns}`, () => reader.listStatefulSets(ns, s)),
    listDaemonSets: (ns, s) => once(`ds/${ns}`, () => reader.listDaemonSets(ns, s)),
    listEndpointSlices: (ns, s) => once(`e/${ns}`, () => reader.listEndpointSlices(ns, s)),
    listAllNamespaces: (kind, selector, s) => reader.listAllNamespaces(kind, selector, s),
  };
}

/**
 * One context as the CLI resolved it. Exec credential plugins are run here (cli/rest_client.ts, with a clear
 * error when they fail) and their token / certificate replaces the exec entry, so client-node never runs them.
 */
async function contextEntries(kc: Kubeconfig, context: string): Promise<ContextEntries> {
  const ctx = kc.resolve(context);
  if (!ctx.user.exec) return ctx;
  const creds = await runExec(ctx);
  const auth = creds.headers.authorization;
  const user = auth?.startsWith("Bearer ") ? { token: auth.slice("Bearer ".length) } : {
    "client-certificate-data": encodeBase64(creds.certPem ?? ""),
    "client-key-data": encodeBase64(creds.keyPem ?? ""),
  };
  return { ...ctx, user };
}

export async function check(g: GlobalOptions, o: CheckOptions, io: Io): Promise<number> {
  if (g.debug) o = { ...o, debug: (line) => io.err(`debug: ${line}\n`) };
  const flags = parseToolNamespaces(o.toolNamespace);
  const kc = await loadKubeconfig({ kubeconfig: g.kubeconfig });
  const contexts = contextsToCheck(g, o, kc.contextNames(), kc.currentContext);
  const types = o.type?.length ? [...new Set(o.type)] : [...TOOL_TYPES];
  // every context must resolve (cluster with a server) before anything runs
  for (const c of contexts) kc.resolve(c);

  let done = 0;
  const progress = io.errIsTTY && g.output !== "json" && g.output !== "yaml";
  const showProgress = () => {
    if (progress) {
      io.err(
        `\r\x1b[2Kchecking ${
          types.join(", ")
        } on ${contexts.length} context(s): ${done}/${contexts.length} done`,
      );
    }
  };
  showProgress();
  const results = (await pool(contexts, o.concurrency ?? 8, async (c) => {
    const r = await contextEntries(kc, c).then((entries) => checkContext(entries, c, types, o, flags)).catch(
      (e: unknown) => {
        if (!(e instanceof CliError)) throw e;
        return types.map((t): CheckResult => ({
          context: c,
          type: t,
          namespace: namespacesOf(t, flags).namespaces.join(","),
          verdict: { name: c, phase: "Unknown", reason: "Unauthorized", message: e.message, components: [] },
        }));
      },
    );
    done++;
    showProgress();
    return r;
  })).flat();
  if (progress) io.err("\r\x1b[2K");

  const base: CheckRenderOptions = {
    output: g.output ?? "table",
    view: "list",
    color: io.color,
    now: io.now(),
  };
  const view = !o.view || o.view === "auto"
    ? chooseCheckView(results, { ...base, columns: io.columns })
    : o.view;
  // a tool that is not installed fails the run only when asked for by name (--type)
  const explicit = !!o.type?.length;
  io.out(renderCheck(results, { ...base, view, explicit }));
  const phase = overallPhase(results, explicit);
  return phase === "Running" || (phase === "NotInstalled" && !explicit) ? EXIT.Ok : EXIT.NotHealthy;
}

export const defineCheck: CommandDefinition = (parent, { io, run }) => {
  parent
    .command("check")
    .description("judge the tools on local kubeconfig contexts directly (no controller or CRDs needed)")
    .option("--all-contexts", "check every context of the kubeconfig")
    .addOption(typeOption("tool types, comma-separated (default: all four)"))
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
    .addOption(viewOption())
    .action((opts, cmd) => run(check(globalsOf(cmd), opts, io)));
};
