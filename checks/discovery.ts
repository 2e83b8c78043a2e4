/**
 * Tool discovery, the pure part: which namespaces the objects of a cluster-wide, label-selected list place a
 * tool in, and how to say what was searched. The lists themselves are `gather.ts`' `discover`.
 */
import type { ComponentOverride, ToolType } from "../api/types.ts";
import { resolveComponents } from "./components.ts";
import { assignWorkloads, candidates } from "./match.ts";
import type { Snapshot } from "./snapshot.ts";
import { TOOL_TABLES } from "./tools.ts";

/** What a discovery found, or why it could not look. */
export interface DiscoveryOutcome {
  /** What was searched, for messages: "Deployments labelled app.kubernetes.io/part-of=argocd". */
  searched: string;
  /** Namespaces holding a workload that identifies the tool, sorted; empty when none. */
  found: string[];
  /** Set when a cluster-wide list was refused (403): KSIT's own words plus the API server's message. */
  forbidden?: string;
}

/** "Deployments labelled a=b, DaemonSets labelled c=d". */
export function discoverySearched(type: ToolType): string {
  return TOOL_TABLES[type].discovery.map((r) => `${r.kind}s labelled ${r.labelSelector}`).join(", ");
}

/**
 * The namespaces where `objects` (the result of the discovery lists, from any namespaces) hold a component
 * that identifies the tool, judged by the same table rules as the judges use; when there is one, also those
 * holding only its other components (Istio's gateways or ambient DaemonSets beside an istiod elsewhere).
 */
export function discoveredNamespaces(
  type: ToolType,
  objects: Omit<Snapshot, "namespace" | "namespaces">,
  overrides: readonly ComponentOverride[] = [],
): string[] {
  const specs = resolveComponents(type, overrides);
  const byNamespace = new Map<string, Snapshot>();
  for (const w of candidates({ namespace: "", ...objects })) {
    if (w.kind === "Service") continue;
    const s = byNamespace.get(w.namespace) ??
      { namespace: w.namespace, deployments: [], statefulSets: [], daemonSets: [] };
    if (w.kind === "Deployment") s.deployments.push(w.object);
    if (w.kind === "StatefulSet") s.statefulSets.push(w.object);
    if (w.kind === "DaemonSet") s.daemonSets?.push(w.object);
    byNamespace.set(w.namespace, s);
  }
  const identifying: string[] = [];
  const others: string[] = [];
  for (const [namespace, snapshot] of byNamespace) {
    const assigned = assignWorkloads(specs, snapshot);
    const has = (c: { name: string }) => (assigned.get(c.name)?.length ?? 0) > 0;
    if (specs.some((c) => c.identifies && has(c))) identifying.push(namespace);
    else if (specs.some(has)) others.push(namespace);
  }
  return identifying.length ? [...identifying, ...others].sort() : [];
}
