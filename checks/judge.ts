/** Pure verdict on one tool on one cluster: components from the tool table (+ overrides) judged on a snapshot. */
import type { ClusterStatus, ComponentOverride, ComponentStatus, ToolType } from "../api/types.ts";
import { type ComponentSpec, resolveComponents } from "./components.ts";
import type { DiscoveryOutcome } from "./discovery.ts";
import { judgeEndpoints } from "./endpoints.ts";
import { assignWorkloads, type Candidate } from "./match.ts";
import { CLUSTER_REASONS as C, COMPONENT_REASONS as R } from "./reasons.ts";
import { type Snapshot, snapshotNamespaces } from "./snapshot.ts";
import { TOOL_TABLES } from "./tools.ts";
import type { Verdict } from "./verdict.ts";
import { judgeDaemonSet, judgeDeployment, judgeStatefulSet } from "./workload.ts";

export interface JudgeInput {
  /** Cluster name as shown in status (the target's clusterName). */
  cluster: string;
  type: ToolType;
  snapshot: Snapshot;
  /** spec.config.components */
  overrides?: readonly ComponentOverride[];
  /**
   * How the snapshot's namespaces were chosen, for messages: a discovery that ran (the tool was not in its
   * default namespaces) and what it found or why it could not look.
   */
  discovery?: DiscoveryOutcome;
}

const STATUS_RANK = { Healthy: 0, Degraded: 1, Unhealthy: 2, Missing: 3 } as const;

/**
 * Judge one cluster. Nothing that identifies the tool found ⇒ `NotInstalled` (reason `ToolNotInstalled`, no
 * components). Else: a required component Missing/Unhealthy ⇒ `Failed`; else a required one Degraded or an
 * optional one Degraded/Unhealthy ⇒ `Degraded`; else `Running` (an optional component that is not installed
 * stays in `components` as Missing, required false, and does not degrade). A component with `requiredIfFound`
 * is required only when that component was found. Components that belong to other install shapes
 * (`quietIfMissing`, `requiredIfFound`, a `group` another member of which was found) are left out when
 * absent. The message is one line naming the worst component, e.g. `argocd-repo-server: 0/2 available`.
 *
 * A component matching several workloads (Prometheus shards, istiod revisions) gets the worst workload's
 * status, reason and message; `ready` is summed over all of them and `workload` lists them all, comma-separated
 * (as `namespace/name` when the snapshot spans several namespaces).
 */
export function judgeCluster(input: JudgeInput): ClusterStatus {
  const specs = resolveComponents(input.type, input.overrides);
  const assigned = assignWorkloads(specs, input.snapshot);
  const found = new Set(specs.filter((s) => (assigned.get(s.name)?.length ?? 0) > 0).map((s) => s.name));
  if (specs.length === 0) {
    return {
      name: input.cluster,
      phase: "Running",
      reason: C.NoComponents,
      message: "no components to check (all ignored by spec.config.components)",
      components: [],
    };
  }
  if (!specs.some((s) => s.identifies && found.has(s.name))) return notInstalled(input);
  // parts of other install shapes (a mode, an extra, another gateway flavour) are not listed when absent
  const groupsFound = new Set(specs.filter((s) => s.group && found.has(s.name)).map((s) => s.group));
  const quiet = (s: ComponentSpec) =>
    !found.has(s.name) && !!(
      s.quietIfMissing ||
      (s.requiredIfFound && !found.has(s.requiredIfFound)) ||
      (s.group && groupsFound.has(s.group))
    );
  const components = specs.filter((spec) => !quiet(spec)).map((spec) => {
    const required = spec.required && (spec.requiredIfFound === undefined || found.has(spec.requiredIfFound));
    return judgeComponent({ ...spec, required }, assigned.get(spec.name) ?? [], input.snapshot);
  });
  let worst = components[0] as ComponentStatus;
  for (const c of components) if (severity(c) > severity(worst)) worst = c;
  const impact = impactOf(worst);
  if (impact === "none") {
    const required = components.filter((c) => c.required).length;
    const notInstalledParts = components.filter((c) => c.status === "Missing").map((c) => c.name);
    const optional = notInstalledParts.length
      ? `; optional not installed: ${notInstalledParts.join(", ")}`
      : "";
    return {
      name: input.cluster,
      phase: "Running",
      reason: C.RequiredComponentsHealthy,
      message: `${required}/${required} required components healthy${where(input)}${optional}`,
      components,
    };
  }
  return {
    name: input.cluster,
    phase: impact === "fails" ? "Failed" : "Degraded",
    reason: clusterReason(worst),
    message: worst.message ?? worst.name,
    components,
  };
}

/** " (found in namespace gitops)" when discovery placed the tool; nothing otherwise. */
function where(input: JudgeInput): string {
  const found = input.discovery?.found ?? [];
  if (!found.length) return "";
  return ` (found in namespace${found.length > 1 ? "s" : ""} ${found.join(", ")})`;
}

/** "namespace argocd" / "namespaces istio-system, istio-ingress". */
export function namespacesText(namespaces: readonly string[]): string {
  return `namespace${namespaces.length > 1 ? "s" : ""} ${namespaces.join(", ")}`;
}

/**
 * The verdict when none of the tool's identifying components is found: phase NotInstalled, reason
 * ToolNotInstalled, and a message that says where KSIT looked and, when discovery was refused, which RBAC
 * or setting lets it look further.
 */
function notInstalled(input: JudgeInput): ClusterStatus {
  const table = TOOL_TABLES[input.type];
  const namespaces = snapshotNamespaces(input.snapshot);
  const d = input.discovery;
  let detail = `no ${table.displayName} workload in ${namespacesText(namespaces)}`;
  if (d?.forbidden) {
    detail += `; other namespaces not searched: ${d.forbidden} — to find it anywhere grant list on ` +
      `deployments, statefulsets and daemonsets cluster-wide (deploy/workload-rbac/clusterrole.yaml), or set ` +
      `the tool's namespaces`;
  } else if (d) {
    detail += `; none elsewhere either: searched ${d.searched}`;
  }
  return {
    name: input.cluster,
    phase: "NotInstalled",
    reason: C.ToolNotInstalled,
    message: `${input.type}: not installed (${detail})`,
    components: [],
  };
}

/** The status of a cluster that could not be checked (reason e.g. `ClusterUnreachable`, `Forbidden`). */
export function unknownCluster(name: string, reason: string, message: string): ClusterStatus {
  return { name, phase: "Unknown", reason, message, components: [] };
}

/** What a component's status does to its cluster's phase. */
type Impact = "none" | "degrades" | "fails";

/**
 * A required component Missing or Unhealthy fails the cluster; a required one Degraded, or an optional one
 * Degraded or Unhealthy, degrades it; an optional one not installed (Missing) or anything Healthy does not.
 */
function impactOf(c: ComponentStatus): Impact {
  if (c.status === "Healthy") return "none";
  if (c.required) return c.status === "Degraded" ? "degrades" : "fails";
  return c.status === "Missing" ? "none" : "degrades";
}

const IMPACT_ORDER: Record<Impact, number> = { none: 0, degrades: 1, fails: 2 };

/**
 * Which component is the worst, to name in the message: by impact, then required before optional, then by
 * how bad its own status is (a required Missing before a required Unhealthy); ties go to table order.
 */
function severity(c: ComponentStatus): number {
  if (c.status === "Healthy") return 0;
  return IMPACT_ORDER[impactOf(c)] * 100 + (c.required ? 10 : 0) + STATUS_RANK[c.status];
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
        return judgeDeployment(w.object, w.ref);
      case "StatefulSet":
        return judgeStatefulSet(w.object, w.ref);
      case "DaemonSet":
        return judgeDaemonSet(w.object, w.ref);
      case "Service":
        return judgeEndpoints(w.ref, w.slices);
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
  const where = `in ${namespacesText(snapshotNamespaces(snapshot))}`;
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
