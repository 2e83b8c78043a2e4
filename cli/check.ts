/**
 * `kubectl ksit check`: the zero-install way to try KSIT. No controller and no CRDs: for each local kubeconfig
 * context (`--context a,b`, `--all-contexts`, default the current one) it takes a snapshot of each tool's
 * namespace with `gather` and judges it with `judgeCluster` from checks/, all contexts concurrently, each under
 * its own deadline. Exit code 0 when everything is Running, 3 otherwise.
 * RBAC on each cluster: list deployments, statefulsets (apps), endpointslices (discovery.k8s.io) in the
 * tool namespaces (deploy/workload-rbac grants exactly this).
 */
import { TOOL_TYPES } from "../api/schema.ts";
import type { ClusterStatus, ToolType } from "../api/types.ts";
import type { WorkloadReader } from "../checks/gather.ts";
import { toolNamespace } from "../checks/namespace.ts";
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
import { runExec } from "./kube.ts";
import { encodeBase64 } from "./base64.ts";
import type { View } from "./status_render.ts";

export interface CheckOptions {
  allContexts?: boolean;
  type?: ToolType[];
  toolNamespace?: string;
  /** Deadline per context (all of its lists). */
  timeoutMs?: number;
  /** How many contexts are checked at once. */
  concurrency?: number;
  view?: View | "auto";
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
  kubeconfigYaml: string,
  context: string,
  types: readonly ToolType[],
  o: CheckOptions,
): Promise<CheckResult[]> {
  const [
    { parseKubeconfig },
    { clientNodeReader },
    { gather, GatherError },
    { judgeCluster, unknownCluster },
  ] = await Promise.all([
    import("../checks/kubeconfig.ts"),
    import("../checks/client_reader.ts"),
    import("../checks/gather.ts"),
    import("../checks/judge.ts"),
  ]);
  const nsOf = (t: ToolType) => o.toolNamespace || toolNamespace(t);
  const unknown = (t: ToolType, reason: string, message: string): CheckResult => ({
    context,
    type: t,
    namespace: nsOf(t),
    verdict: unknownCluster(context, reason, message),
  });
  let reader: WorkloadReader;
  try {
    const kc = parseKubeconfig(kubeconfigYaml, {
      source: `context ${context}`,
      allowExecAuth: true,
      context,
      allowFileReferences: true,
    });
    reader = clientNodeReader(kc);
  } catch (e) {
    const reason = (e as { reason?: string }).reason ?? "InvalidKubeconfig";
    return types.map((t) => unknown(t, reason, (e as Error).message));
  }
  const byNamespace = new Map<string, ToolType[]>();
  for (const t of types) byNamespace.set(nsOf(t), [...(byNamespace.get(nsOf(t)) ?? []), t]);
  const timeoutMs = o.timeoutMs ?? 10_000;
  const results = await Promise.all(
    [...byNamespace].map(async ([namespace, nsTypes]): Promise<CheckResult[]> => {
      try {
        const snapshot = await gather(reader, { namespace, types: nsTypes, timeoutMs });
        return nsTypes.map((t) => ({
          context,
          type: t,
          namespace,
          verdict: judgeCluster({ cluster: context, type: t, snapshot }) as ClusterStatus,
        }));
      } catch (e) {
        const reason = e instanceof GatherError ? gatherReason(e.reason) : "ClusterUnreachable";
        return nsTypes.map((t) => unknown(t, reason, (e as Error).message));
      }
    }),
  );
  return results.flat();
}

function gatherReason(r: string): string {
  return r === "Timeout" ? "ClusterUnreachable" : r;
}

/**
 * The kubeconfig text for one context. Exec credential plugins are run here (cli/kube.ts, with a clear error
 * when they fail) and their token / certificate replaces the exec entry, so client-node never runs them.
 */
async function contextYaml(kc: Kubeconfig, context: string): Promise<string> {
  const ctx = kc.resolve(context);
  if (!ctx.user.exec) return kc.toYaml(context);
  const creds = await runExec(ctx);
  const auth = creds.headers.authorization;
  const user = auth?.startsWith("Bearer ") ? { token: auth.slice("Bearer ".length) } : {
    "client-certificate-data": encodeBase64(creds.certPem ?? ""),
    "client-key-data": encodeBase64(creds.keyPem ?? ""),
  };
  return kc.toYaml(context, { name: ctx.userName, user });
}

/** Runs `fn` over `items` with at most `limit` at once, keeping order. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export async function check(g: GlobalOptions, o: CheckOptions, io: Io): Promise<number> {
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
    const r = await contextYaml(kc, c).then((yaml) => checkContext(yaml, c, types, o)).catch((e: unknown) => {
      if (!(e instanceof CliError)) throw e;
      return types.map((t): CheckResult => ({
        context: c,
        type: t,
        namespace: o.toolNamespace || toolNamespace(t),
        verdict: { name: c, phase: "Unknown", reason: "Unauthorized", message: e.message, components: [] },
      }));
    });
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
  io.out(renderCheck(results, { ...base, view }));
  return overallPhase(results) === "Running" ? EXIT.Ok : EXIT.NotHealthy;
}
