/** Pure verdict on one tool on one cluster: components from the tool table (+ overrides) judged on a snapshot. */
import type { ClusterStatus, ComponentOverride, ComponentStatus, ToolType } from "../api/types.ts";
import { type ComponentSpec, resolveComponents } from "./components.ts";
import { judgeEndpoints } from "./endpoints.ts";
import { assignWorkloads, type Candidate } from "./match.ts";
import { CLUSTER_REASONS as C, COMPONENT_REASONS as R } from "./reasons.ts";
import type { Snapshot } from "./snapshot.ts";
import type { Verdict } from "./verdict.ts";
import { judgeDeployment, judgeStatefulSet } from "./workload.ts";

export interface JudgeInput {
  /** Cluster name as shown in status (the target's clusterName). */
  cluster: string;
  type: ToolType;
  snapshot: Snapshot;
  /** spec.config.components */
  overrides?: readonly ComponentOverride[];
}

const STATUS_RANK = { Healthy: 0, Degraded: 1, Unhealthy: 2, Missing: 3 } as const;

/**
 * Judge one cluster. Phase: a required component Missing/Unhealthy ⇒ `Failed`; else a required one Degraded or
 * an optional one Degraded/Unhealthy ⇒ `Degraded`; else `Running` (an optional component that is not installed
 * stays in `components` as Missing, required false, and does not degrade). The message is one line naming the
 * worst component, e.g. `argocd-repo-server: 0/2 available`.
 *
 * A component matching several workloads (Prometheus shards, istiod revisions) gets the worst workload's
 * status, reason and message; `ready` is summed over all of them and `workload` lists them all, comma-separated.
 */
export function judgeCluster(input: JudgeInput): ClusterStatus {
  const specs = resolveComponents(input.type, input.overrides);
  const assigned = assignWorkloads(specs, input.snapshot);
  const components = specs.map((spec) => judgeComponent(spec, assigned.get(spec.name) ?? [], input.snapshot));
  if (components.length === 0) {
    return {
      name: input.cluster,
      phase: "Running",
      reason: C.NoComponents,
      message: "no components to check (all ignored by spec.config.components)",
      components,
    };
  }
  let worst = components[0] as ComponentStatus;
  for (const c of components) if (severity(c) > severity(worst)) worst = c;
  const sev = severity(worst);
  if (sev < 10) {
    const required = components.filter((c) => c.required).length;
    const notInstalled = components.filter((c) => c.status === "Missing").map((c) => c.name);
    const optional = notInstalled.length ? `; optional not installed: ${notInstalled.join(", ")}` : "";
    return {
      name: input.cluster,
      phase: "Running",
      reason: C.RequiredComponentsHealthy,
      message: `${required}/${required} required components healthy${optional}`,
      components,
    };
  }
  return {
    name: input.cluster,
    phase: sev >= 30 ? "Failed" : "Degraded",
    reason: clusterReason(worst),
    message: worst.message ?? worst.name,
    components,
  };
}

/** The status of a cluster that could not be checked (reason e.g. `ClusterUnreachable`, `Forbidden`). */
export function unknownCluster(name: string, reason: string, message: string): ClusterStatus {
  return { name, phase: "Unknown", reason, message, components: [] };
}

/** ≥30 fails the cluster, ≥10 degrades it, 1..3 (optional Missing) is fine; ties go to table order. */
function severity(c: ComponentStatus): number {
  const rank = STATUS_RANK[c.status];
  if (c.status === "Healthy") return 0;
  if (c.required) return rank === 1 ? 20 + rank : 30 + rank;
  if (c.status === "Missing") return rank;
  return 10 + rank;
}

function clusterReason(c: ComponentStatus): string {
  if (c.required) {
    if (c.status === "Missing") return C.RequiredComponentMissing;
    if (c.status === "Unhealthy") return C.RequiredComponentUnavailable;
    return C.RequiredComponentDegraded;
  }
  return c.status === "Unhealthy" ? C.OptionalComponentUnavailable : C.OptionalComponentDegraded;
}

function judgeComponent(
  spec: ComponentSpec,
  matched: readonly Candidate[],
  snapshot: Snapshot,
): ComponentStatus {
  if (matched.length === 0) return missing(spec, snapshot);
  const verdicts: Verdict[] = matched.map((w) => {
    switch (w.kind) {
      case "Deployment":
        return judgeDeployment(w.object);
      case "StatefulSet":
        return judgeStatefulSet(w.object);
      case "Service":
        return judgeEndpoints(w.name, w.slices);
    }
  });
  let worst = verdicts[0] as Verdict;
  for (const v of verdicts) if (STATUS_RANK[v.status] > STATUS_RANK[worst.status]) worst = v;
  const available = verdicts.reduce((n, v) => n + v.available, 0);
  const desired = verdicts.reduce((n, v) => n + v.desired, 0);
  const message = worst.status === "Healthy" ? verdicts.map((v) => v.message).join("; ") : worst.message;
  return {
    name: spec.name,
    kind: worst.kind,
    workload: verdicts.map((v) => v.workload).join(","),
    required: spec.required,
    status: worst.status,
    ready: `${available}/${desired}`,
    reason: worst.reason,
    message,
  };
}

function missing(spec: ComponentSpec, snapshot: Snapshot): ComponentStatus {
  const kind = spec.kinds[0] ?? "Deployment";
  const where = `in namespace ${snapshot.namespace}`;
  let message: string;
  if (kind === "Service") {
    const service = spec.explicit?.workloadName ?? firstExactName(spec) ?? spec.name;
    message = snapshot.endpointSlices === undefined
      ? `${spec.name}: EndpointSlices were not listed ${where} (internal error: gather without endpoints)`
      : `${spec.name}: no EndpointSlice of Service ${service} ${where}`;
  } else {
    const named = spec.explicit?.workloadName ? ` named ${spec.explicit.workloadName}` : "";
    const selected = spec.explicit?.selector ? " matching the override's selector" : "";
    message = `${spec.name}: no ${spec.kinds.join(" or ")}${named}${selected} found ${where}`;
  }
  return { name: spec.name, kind, required: spec.required, status: "Missing", reason: R.NotFound, message };
}

function firstExactName(spec: ComponentSpec): string | undefined {
  for (const m of spec.names) if ("exact" in m) return m.exact;
  return undefined;
}
