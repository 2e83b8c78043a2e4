/** Finding each component's workloads in a snapshot, so that no workload belongs to two components. */
import type { V1DaemonSet, V1Deployment, V1EndpointSlice, V1StatefulSet } from "@kubernetes/client-node";
import type { ToolType, WorkloadKind } from "../api/types.ts";
import type { ComponentSpec } from "./components.ts";
import { SERVICE_NAME_LABEL } from "./endpoints.ts";
import { labelSelectorMatches } from "./label_selector.ts";
import { type Snapshot, snapshotNamespaces } from "./snapshot.ts";
import { nameMatches, TOOL_TABLES } from "./tools.ts";

interface Base {
  name: string;
  namespace: string;
  /** `name`, or `namespace/name` when the snapshot spans several namespaces. */
  ref: string;
  labels: Record<string, string>[];
}

/** A Deployment, a StatefulSet, a DaemonSet, or a Service seen through its EndpointSlices. */
export type Candidate =
  | Base & { kind: "Deployment"; object: V1Deployment }
  | Base & { kind: "StatefulSet"; object: V1StatefulSet }
  | Base & { kind: "DaemonSet"; object: V1DaemonSet }
  | Base & { kind: "Service"; slices: V1EndpointSlice[] };

/** Every workload of the snapshot; a Service's label sets are those of its slices. */
export function candidates(snapshot: Snapshot): Candidate[] {
  const out: Candidate[] = [];
  const several = snapshotNamespaces(snapshot).length > 1;
  const base = (o: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }) => {
    const name = o.metadata?.name ?? "";
    const namespace = o.metadata?.namespace ?? snapshot.namespace;
    return {
      name,
      namespace,
      ref: several ? `${namespace}/${name}` : name,
      labels: [o.metadata?.labels ?? {}],
    };
  };
  for (const d of snapshot.deployments) out.push({ ...base(d), kind: "Deployment", object: d });
  for (const s of snapshot.statefulSets) out.push({ ...base(s), kind: "StatefulSet", object: s });
  for (const s of snapshot.daemonSets ?? []) out.push({ ...base(s), kind: "DaemonSet", object: s });
  const services = new Map<string, V1EndpointSlice[]>();
  for (const slice of snapshot.endpointSlices ?? []) {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!service) continue;
    const key = `${slice.metadata?.namespace ?? snapshot.namespace}/${service}`;
    services.set(key, [...(services.get(key) ?? []), slice]);
  }
  for (const [key, slices] of services) {
    const [namespace = "", name = ""] = key.split("/");
    slices.sort((a, b) => compare(a.metadata?.name ?? "", b.metadata?.name ?? ""));
    out.push({
      kind: "Service",
      name,
      namespace,
      ref: several ? key : name,
      labels: slices.map((s) => s.metadata?.labels ?? {}),
      slices,
    });
  }
  return out.sort((a, b) => compare(a.ref, b.ref) || compare(a.kind, b.kind));
}

/**
 * The workloads of each component (by component name, sorted by workload). A workload is claimed by the
 * first rule that finds it, in three rounds: overrides' explicit rules; the tables' label selectors; then, for
 * components still without a workload, the tables' name patterns and fallback selectors. So `argocd-redis` never takes
 * `argocd-redis-ha-haproxy`, and a labelled workload is never taken by another component's name pattern.
 */
export function assignWorkloads(
  components: readonly ComponentSpec[],
  snapshot: Snapshot,
): Map<string, Candidate[]> {
  return assign(components, candidates(snapshot)).assigned;
}

function assign(components: readonly ComponentSpec[], all: readonly Candidate[]) {
  const claimed = new Set<Candidate>();
  const assigned = new Map<string, Candidate[]>(components.map((c) => [c.name, []]));
  const claim = (c: ComponentSpec, test: (w: Candidate) => boolean) => {
    const found = all.filter((w) => !claimed.has(w) && c.kinds.includes(w.kind as WorkloadKind) && test(w));
    for (const w of found) claimed.add(w);
    assigned.get(c.name)?.push(...found);
  };
  for (const c of components) {
    const rule = c.explicit;
    if (!rule) continue;
    const { selector, workloadName } = rule;
    claim(c, (w) =>
      (workloadName === undefined || w.name === workloadName) &&
      (selector === undefined || w.labels.some((l) => labelSelectorMatches(selector, l))));
  }
  for (const c of components) {
    if (c.explicit) continue;
    claim(c, (w) => c.selectors.some((sel) => w.labels.some((l) => labelSelectorMatches(sel, l))));
  }
  for (const c of components) {
    if (c.explicit || (assigned.get(c.name)?.length ?? 0) > 0) continue;
    claim(c, (w) =>
      c.names.some((m) => (!m.kinds || m.kinds.includes(w.kind)) && nameMatches(m, w.name)) ||
      (c.fallbackSelectors ?? []).some((sel) => w.labels.some((l) => labelSelectorMatches(sel, l))));
  }
  return { assigned, claimed };
}

/**
 * The Deployments, StatefulSets and DaemonSets of the snapshot that no component claims and no `ignored`
 * rule of the tool table covers: what a tool table has not thought of (the corpus test wants none).
 */
export function unaccountedWorkloads(
  type: ToolType,
  components: readonly ComponentSpec[],
  snapshot: Snapshot,
): Candidate[] {
  const all = candidates(snapshot);
  const { claimed } = assign(components, all);
  const ignored = TOOL_TABLES[type].ignored;
  return all.filter((w) =>
    w.kind !== "Service" && !claimed.has(w) &&
    !ignored.some((r) =>
      r.kinds.includes(w.kind) && w.labels.some((l) => labelSelectorMatches(r.selector, l))
    )
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
