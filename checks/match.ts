/** Finding each component's workloads in a snapshot, so that no workload belongs to two components. */
import type { V1Deployment, V1EndpointSlice, V1StatefulSet } from "@kubernetes/client-node";
import type { WorkloadKind } from "../api/types.ts";
import type { ComponentSpec } from "./components.ts";
import { SERVICE_NAME_LABEL } from "./endpoints.ts";
import { labelSelectorMatches } from "./label_selector.ts";
import type { Snapshot } from "./snapshot.ts";
import { nameMatches } from "./tools.ts";

/** A Deployment, a StatefulSet, or a Service seen through its EndpointSlices. */
export type Candidate =
  | { kind: "Deployment"; name: string; labels: Record<string, string>[]; object: V1Deployment }
  | { kind: "StatefulSet"; name: string; labels: Record<string, string>[]; object: V1StatefulSet }
  | { kind: "Service"; name: string; labels: Record<string, string>[]; slices: V1EndpointSlice[] };

/** Every workload of the snapshot; a Service's label sets are those of its slices. */
export function candidates(snapshot: Snapshot): Candidate[] {
  const out: Candidate[] = [];
  for (const d of snapshot.deployments) {
    out.push({
      kind: "Deployment",
      name: d.metadata?.name ?? "",
      labels: [d.metadata?.labels ?? {}],
      object: d,
    });
  }
  for (const s of snapshot.statefulSets) {
    out.push({
      kind: "StatefulSet",
      name: s.metadata?.name ?? "",
      labels: [s.metadata?.labels ?? {}],
      object: s,
    });
  }
  const services = new Map<string, V1EndpointSlice[]>();
  for (const slice of snapshot.endpointSlices ?? []) {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!service) continue;
    services.set(service, [...(services.get(service) ?? []), slice]);
  }
  for (const [name, slices] of services) {
    slices.sort((a, b) => compare(a.metadata?.name ?? "", b.metadata?.name ?? ""));
    out.push({ kind: "Service", name, labels: slices.map((s) => s.metadata?.labels ?? {}), slices });
  }
  return out.sort((a, b) => compare(a.name, b.name) || compare(a.kind, b.kind));
}

/**
 * The workloads of each component (by component name, sorted by workload name). A workload is claimed by the
 * first rule that finds it, in three rounds: overrides' explicit rules; the tables' label selectors; then, for
 * components still without a workload, the tables' name patterns. So `argocd-redis` never takes
 * `argocd-redis-ha-haproxy`, and a labelled workload is never taken by another component's name pattern.
 */
export function assignWorkloads(
  components: readonly ComponentSpec[],
  snapshot: Snapshot,
): Map<string, Candidate[]> {
  const all = candidates(snapshot);
  const claimed = new Set<Candidate>();
  const result = new Map<string, Candidate[]>(components.map((c) => [c.name, []]));
  const claim = (c: ComponentSpec, test: (w: Candidate) => boolean) => {
    const found = all.filter((w) => !claimed.has(w) && c.kinds.includes(w.kind as WorkloadKind) && test(w));
    for (const w of found) claimed.add(w);
    result.get(c.name)?.push(...found);
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
    claim(
      c,
      (w) => c.selectors.some((sel) => w.labels.some((l) => labelSelectorMatches({ matchLabels: sel }, l))),
    );
  }
  for (const c of components) {
    if (c.explicit || (result.get(c.name)?.length ?? 0) > 0) continue;
    claim(c, (w) => c.names.some((m) => nameMatches(m, w.name)));
  }
  return result;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
