/**
 * Builds a Snapshot of one namespace with the fewest API calls: one list of Deployments, one of StatefulSets,
 * and one of EndpointSlices only when a checked tool needs endpoints. The calls run concurrently under one
 * deadline. The I/O itself is the passed-in reader's (see `clientNodeReader`); this file only orchestrates.
 */
import type { V1Deployment, V1EndpointSlice, V1StatefulSet } from "@kubernetes/client-node";
import type { ToolType } from "../api/types.ts";
import { networkWords } from "./error_words.ts";
import type { Snapshot } from "./snapshot.ts";
import { needsEndpoints } from "./tools.ts";

/** The three namespaced lists KSIT needs (RBAC on the workload cluster: list on each resource). */
export interface WorkloadReader {
  /** RBAC: apps/deployments list */
  listDeployments(namespace: string, signal: AbortSignal): Promise<V1Deployment[]>;
  /** RBAC: apps/statefulsets list */
  listStatefulSets(namespace: string, signal: AbortSignal): Promise<V1StatefulSet[]>;
  /** RBAC: discovery.k8s.io/endpointslices list */
  listEndpointSlices(namespace: string, signal: AbortSignal): Promise<V1EndpointSlice[]>;
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
}

/** Take a snapshot of `opts.namespace`; failures become a `GatherError`. */
export async function gather(reader: WorkloadReader, opts: GatherOptions): Promise<Snapshot> {
  const types = Array.isArray(opts.types) ? opts.types : [opts.types];
  const endpoints = opts.withEndpoints === true || types.some((t) => needsEndpoints(t));
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const failFast = new AbortController();
  const signal = AbortSignal.any([deadline, failFast.signal, ...(opts.signal ? [opts.signal] : [])]);
  const call = <T>(what: string, list: (ns: string, s: AbortSignal) => Promise<T>): Promise<T> =>
    untilAborted(list.call(reader, opts.namespace, signal), signal).catch((e: unknown) => {
      failFast.abort(e);
      throw toGatherError(e, what, opts, deadline);
    });
  try {
    const [deployments, statefulSets, endpointSlices] = await Promise.all([
      call("deployments", reader.listDeployments),
      call("statefulsets", reader.listStatefulSets),
      endpoints ? call("endpointslices", reader.listEndpointSlices) : Promise.resolve(undefined),
    ]);
    const snapshot: Snapshot = { namespace: opts.namespace, deployments, statefulSets };
    if (endpointSlices) snapshot.endpointSlices = endpointSlices;
    return snapshot;
  } catch (e) {
    // The first failure wins; the others were aborted by failFast.
    throw e instanceof GatherError ? e : toGatherError(e, "lists", opts, deadline);
  }
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

function toGatherError(e: unknown, what: string, opts: GatherOptions, deadline: AbortSignal): GatherError {
  if (e instanceof GatherError) return e;
  const where = `list ${what} in namespace ${opts.namespace}`;
  if (deadline.aborted) {
    return new GatherError("Timeout", `${where}: no answer within ${opts.timeoutMs}ms`, { cause: e });
  }
  if (opts.signal?.aborted) return new GatherError("Aborted", `${where}: aborted`, { cause: e });
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 401) {
    return new GatherError(
      "Unauthorized",
      `${where}: 401 Unauthorized: the kubeconfig's credentials were rejected`,
      {
        cause: e,
      },
    );
  }
  if (code === 403) {
    return new GatherError(
      "Forbidden",
      `${where}: 403 Forbidden: grant list on ${what} in ${opts.namespace}`,
      {
        cause: e,
      },
    );
  }
  if (typeof code === "number") {
    return new GatherError("ClusterUnreachable", `${where}: API server answered HTTP ${code}`, { cause: e });
  }
  const words = e instanceof Error ? networkWords(e) : "request failed";
  return new GatherError("ClusterUnreachable", `${where}: ${words}`, { cause: e });
}
