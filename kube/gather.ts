/**
 * Builds Snapshots with the fewest API calls: per namespace one list of Deployments, one of StatefulSets, and
 * one of DaemonSets / EndpointSlices only when a checked tool needs them; the calls run concurrently under one
 * deadline. `gatherTool` adds what one tool needs: its namespaces (several, some optional) and, when it is not
 * in its default namespaces, discovery by its installs' labels. The I/O itself is the passed-in reader's (see
 * `clientNodeReader`); this file only orchestrates.
 */
import type { V1DaemonSet, V1Deployment, V1EndpointSlice, V1StatefulSet } from "@kubernetes/client-node";
import type { ComponentOverride, ToolType } from "../api/types.ts";
import { resolveComponents } from "../checks/components.ts";
import { errorCode, networkWords } from "./errors.ts";
import { discoveredNamespaces, type DiscoveryOutcome, discoverySearched } from "../checks/discovery.ts";
import { assignWorkloads } from "../checks/match.ts";
import type { ToolNamespaces } from "../checks/namespace.ts";
import { mergeSnapshots, type Snapshot } from "../checks/snapshot.ts";
import { needsDaemonSets, needsEndpoints, needsStatefulSets, TOOL_TABLES } from "../checks/tools.ts";

/** A workload kind discovery lists. */
export type DiscoveryKind = "Deployment" | "StatefulSet" | "DaemonSet";
export type DiscoveredObject = V1Deployment | V1StatefulSet | V1DaemonSet;

/** The lists KSIT needs (RBAC on the workload cluster: list on each resource). */
export interface WorkloadReader {
  /** RBAC: apps/deployments list */
  listDeployments(namespace: string, signal: AbortSignal): Promise<V1Deployment[]>;
  /** RBAC: apps/statefulsets list */
  listStatefulSets(namespace: string, signal: AbortSignal): Promise<V1StatefulSet[]>;
  /** RBAC: apps/daemonsets list */
  listDaemonSets(namespace: string, signal: AbortSignal): Promise<V1DaemonSet[]>;
  /** RBAC: discovery.k8s.io/endpointslices list */
  listEndpointSlices(namespace: string, signal: AbortSignal): Promise<V1EndpointSlice[]>;
  /**
   * Discovery: `kind` in every namespace, by label selector. RBAC: list on the resource cluster-wide (a
   * ClusterRole); a namespaced Role is not enough.
   */
  listAllNamespaces(
    kind: DiscoveryKind,
    labelSelector: string,
    signal: AbortSignal,
  ): Promise<DiscoveredObject[]>;
}

export type GatherReason = "ClusterUnreachable" | "Unauthorized" | "Forbidden" | "Timeout" | "Aborted";

/** Why a snapshot could not be taken. `Aborted`: the caller's signal fired (shutdown), not the cluster's fault. */
export class GatherError extends Error {
  override name = "GatherError";
  constructor(readonly reason: GatherReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface GatherOptions {
  namespace: string;
  /** The tools checked in this namespace (several Integrations may share one snapshot). */
  types: ToolType[] | ToolType;
  /** Deadline for the whole gather, all calls included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** List EndpointSlices even if no tool table needs them (an override adds a Service component). */
  withEndpoints?: boolean;
  /** List DaemonSets even if no tool table needs them (an override adds a DaemonSet component). */
  withDaemonSets?: boolean;
  /** List StatefulSets even if no tool table needs them (an override adds a StatefulSet component). */
  withStatefulSets?: boolean;
}

/** Take a snapshot of `opts.namespace`; failures become a `GatherError`. */
export async function gather(reader: WorkloadReader, opts: GatherOptions): Promise<Snapshot> {
  const types = Array.isArray(opts.types) ? opts.types : [opts.types];
  const endpoints = opts.withEndpoints === true || types.some((t) => needsEndpoints(t));
  const daemonSets = opts.withDaemonSets === true || types.some((t) => needsDaemonSets(t));
  const statefulSets = opts.withStatefulSets === true || types.some((t) => needsStatefulSets(t));
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const failFast = new AbortController();
  const signal = AbortSignal.any([deadline, failFast.signal, ...(opts.signal ? [opts.signal] : [])]);
  const call = <T>(what: string, list: (ns: string, s: AbortSignal) => Promise<T>): Promise<T> =>
    untilAborted(list.call(reader, opts.namespace, signal), signal).catch((e: unknown) => {
      failFast.abort(e);
      throw toGatherError(e, `list ${what} in namespace ${opts.namespace}`, what, opts, deadline);
    });
  try {
    const [deployments, statefulSetList, daemonSetList, endpointSlices] = await Promise.all([
      call("deployments", reader.listDeployments),
      statefulSets ? call("statefulsets", reader.listStatefulSets) : Promise.resolve([]),
      daemonSets ? call("daemonsets", reader.listDaemonSets) : Promise.resolve(undefined),
      endpoints ? call("endpointslices", reader.listEndpointSlices) : Promise.resolve(undefined),
    ]);
    const snapshot: Snapshot = { namespace: opts.namespace, deployments, statefulSets: statefulSetList };
    if (daemonSetList) snapshot.daemonSets = daemonSetList;
    if (endpointSlices) snapshot.endpointSlices = endpointSlices;
    return snapshot;
  } catch (e) {
    // The first failure wins; the others were aborted by failFast.
    throw e instanceof GatherError
      ? e
      : toGatherError(e, `lists in namespace ${opts.namespace}`, "lists", opts, deadline);
  }
}

/**
 * Discovery: the tool table's cluster-wide lists (by the installs' labels), concurrently under one deadline.
 * A 403 is an answer, not an error (the RBAC is namespaced): `forbidden` says so. Other failures throw.
 */
export async function discover(
  reader: WorkloadReader,
  opts: { type: ToolType; overrides?: readonly ComponentOverride[]; timeoutMs: number; signal?: AbortSignal },
): Promise<DiscoveryOutcome> {
  const rules = TOOL_TABLES[opts.type].discovery;
  const searched = discoverySearched(opts.type);
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = AbortSignal.any([deadline, ...(opts.signal ? [opts.signal] : [])]);
  const gopts = { namespace: "", types: opts.type, timeoutMs: opts.timeoutMs, signal: opts.signal };
  const results = await Promise.allSettled(
    rules.map((r) =>
      untilAborted(reader.listAllNamespaces(r.kind, r.labelSelector, signal), signal).catch((e: unknown) => {
        const plural = `${r.kind.toLowerCase()}s`;
        throw toGatherError(e, `list ${plural} in all namespaces`, plural, gopts, deadline, true);
      })
    ),
  );
  const objects: Omit<Snapshot, "namespace"> = { deployments: [], statefulSets: [], daemonSets: [] };
  const forbidden: string[] = [];
  for (const [i, r] of results.entries()) {
    const kind = rules[i]?.kind;
    if (r.status === "rejected") {
      if (r.reason instanceof GatherError && r.reason.reason === "Forbidden") {
        forbidden.push(r.reason.message);
        continue;
      }
      throw r.reason;
    }
    if (kind === "Deployment") objects.deployments.push(...r.value as V1Deployment[]);
    if (kind === "StatefulSet") objects.statefulSets.push(...r.value as V1StatefulSet[]);
    if (kind === "DaemonSet") objects.daemonSets?.push(...r.value as V1DaemonSet[]);
  }
  const found = discoveredNamespaces(opts.type, objects, opts.overrides);
  // partly refused: what was allowed still counts; all refused and nothing found: say why
  if (forbidden.length && !found.length) return { searched, found, forbidden: forbidden.join("; ") };
  return { searched, found };
}

/** True when `snapshot` holds a component that identifies the tool (see ComponentRule.identifies). */
export function toolFound(
  type: ToolType,
  snapshot: Snapshot,
  overrides: readonly ComponentOverride[] = [],
): boolean {
  const specs = resolveComponents(type, overrides);
  const assigned = assignWorkloads(specs, snapshot);
  return specs.some((s) => s.identifies && (assigned.get(s.name)?.length ?? 0) > 0);
}

export interface GatherToolOptions {
  type: ToolType;
  overrides?: readonly ComponentOverride[];
  /** Where to look (`toolNamespaces`). */
  namespaces: ToolNamespaces;
  /**
   * Look elsewhere by labels when the tool is not in its default namespaces (never for configured ones):
   * true runs `discover`; a function supplies the answer instead (serve's poll mode reuses a cached one).
   */
  discover: boolean | (() => Promise<DiscoveryOutcome>);
  /** Deadline of the whole gather (every namespace and the discovery). */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ToolSnapshot {
  /** The namespaces read, merged (a 403 in an optional default namespace leaves it out). */
  snapshot: Snapshot;
  /** Set when discovery ran. */
  discovery?: DiscoveryOutcome;
}

/**
 * Everything one tool needs on one cluster: its namespaces (an optional default namespace that the RBAC does
 * not let us read is skipped), then, if the tool is not there and discovery is on, the namespaces where its
 * labels place it. Throws GatherError when a namespace that must be read cannot be.
 */
export async function gatherTool(reader: WorkloadReader, o: GatherToolOptions): Promise<ToolSnapshot> {
  const end = Date.now() + o.timeoutMs;
  const left = () => Math.max(1, end - Date.now());
  const overrides = o.overrides ?? [];
  const one = (namespace: string) =>
    gather(reader, {
      namespace,
      types: o.type,
      timeoutMs: left(),
      signal: o.signal,
      withEndpoints: needsEndpoints(o.type, overrides),
      withDaemonSets: needsDaemonSets(o.type, overrides),
      withStatefulSets: needsStatefulSets(o.type, overrides),
    });
  const optional = new Set(o.namespaces.optional);
  const parts = await Promise.all(o.namespaces.namespaces.map((ns) =>
    one(ns).catch((e: unknown) => {
      if (optional.has(ns) && e instanceof GatherError && e.reason === "Forbidden") return undefined;
      throw e;
    })
  ));
  const read = parts.filter((p): p is Snapshot => p !== undefined);
  // the first namespace is never optional, so at least one was read
  let snapshot = mergeSnapshots(read);
  if (!o.discover || o.namespaces.configured || toolFound(o.type, snapshot, overrides)) return { snapshot };
  const discovery = typeof o.discover === "function"
    ? await o.discover()
    : await discover(reader, { type: o.type, overrides, timeoutMs: left(), signal: o.signal });
  const have = new Set(read.map((p) => p.namespace));
  const more = await Promise.all(discovery.found.filter((ns) => !have.has(ns)).map(one));
  if (more.length) snapshot = mergeSnapshots([...read, ...more]);
  return { snapshot, discovery };
}

/** Reject as soon as `signal` aborts, even if the reader ignores it. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function toGatherError(
  e: unknown,
  where: string,
  what: string,
  opts: { namespace: string; timeoutMs: number; signal?: AbortSignal },
  deadline: AbortSignal,
  clusterWide = false,
): GatherError {
  if (e instanceof GatherError) return e;
  if (deadline.aborted) {
    return new GatherError("Timeout", `${where}: no answer within ${opts.timeoutMs}ms`, { cause: e });
  }
  if (opts.signal?.aborted) return new GatherError("Aborted", `${where}: aborted`, { cause: e });
  const code = errorCode(e);
  if (code === 401) {
    return new GatherError(
      "Unauthorized",
      `${where}: 401 Unauthorized: the kubeconfig's credentials were rejected`,
      { cause: e },
    );
  }
  if (code === 403) {
    const grant = clusterWide
      ? `grant list on ${what} cluster-wide`
      : `grant list on ${what} in ${opts.namespace}`;
    return new GatherError("Forbidden", `${where}: 403 Forbidden: ${grant}`, { cause: e });
  }
  if (typeof code === "number") {
    return new GatherError("ClusterUnreachable", `${where}: API server answered HTTP ${code}`, { cause: e });
  }
  const words = e instanceof Error ? networkWords(e) : "request failed";
  return new GatherError("ClusterUnreachable", `${where}: ${words}`, { cause: e });
}
