/** Pure roll-up of per-cluster verdicts into an Integration's status. */
import type { ClusterStatus, Condition, IntegrationStatus, Phase } from "../api/types.ts";
import { type DesiredCondition, mergeConditions } from "./conditions.ts";
import { INTEGRATION_REASONS } from "./reasons.ts";

export interface RollUpInput {
  /** metadata.generation of the Integration. */
  generation: number;
  /** spec.enabled */
  enabled: boolean;
  /** One verdict per selected target (judgeCluster / unknownCluster), any order. */
  clusters: readonly ClusterStatus[];
  /** The current status, so lastTransitionTime moves only when a condition's status changes. */
  previous?: IntegrationStatus;
  /** RFC 3339 time used as lastTransitionTime of conditions that change status. */
  now: string;
}

/** Worst first: the order in which a cluster's phase decides the Integration's phase and message. */
const CLUSTER_RANK: Record<Phase, number> = {
  Failed: 5,
  Unknown: 4,
  Pending: 3,
  Degraded: 2,
  NotInstalled: 1,
  Running: 0,
  Disabled: 0,
};

/**
 * Phase: disabled ⇒ `Disabled`; no clusters ⇒ `Pending`; every cluster NotInstalled ⇒ `NotInstalled`; else,
 * over the clusters where the tool is installed: any Failed ⇒ `Failed`; else any Unknown (or Pending) ⇒
 * `Unknown`; else any Degraded ⇒ `Degraded`; else `Running`. A cluster without the tool never makes the
 * Integration worse; it is counted in `summary.notInstalled`, left out of HEALTHY's denominator, and named at
 * the end of the message. The message names the worst cluster and its worst component
 * (`cluster-2: argocd-repo-server: 0/2 available (+1 more clusters)`). Conditions: `Ready` (True iff Running,
 * Unknown when Unknown), `Degraded` (Degraded or Failed), `Reconciling` (Pending), `Stalled` (Failed); all carry
 * the phase's reason (INTEGRATION_REASONS) and the message. Deterministic: the only time in the result is
 * lastTransitionTime, which moves only on status changes.
 */
export function rollUp(input: RollUpInput): IntegrationStatus {
  const clusters = input.enabled
    ? [...input.clusters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    : [];
  const count = (...phases: Phase[]) => clusters.filter((c) => phases.includes(c.phase)).length;
  const summary = {
    targets: clusters.length,
    healthy: count("Running"),
    degraded: count("Degraded"),
    failed: count("Failed"),
    unknown: count("Unknown", "Pending", "Disabled"),
    notInstalled: count("NotInstalled"),
  };
  const phase = integrationPhase(input.enabled, clusters);
  const message = integrationMessage(phase, clusters);
  const installed = summary.targets - summary.notInstalled;
  const reason = INTEGRATION_REASONS[phase];
  const cond = (type: string, status: Condition["status"]): DesiredCondition => ({
    type,
    status,
    observedGeneration: input.generation,
    reason,
    message,
  });
  const desired = [
    cond("Ready", phase === "Running" ? "True" : phase === "Unknown" ? "Unknown" : "False"),
    cond("Degraded", phase === "Degraded" || phase === "Failed" ? "True" : "False"),
    cond("Reconciling", phase === "Pending" ? "True" : "False"),
    cond("Stalled", phase === "Failed" ? "True" : "False"),
  ];
  return {
    observedGeneration: input.generation,
    phase,
    healthy: `${summary.healthy}/${installed}`,
    message,
    summary,
    conditions: mergeConditions(input.previous?.conditions, desired, input.now),
    clusters: compactClusters(clusters),
  };
}

/** Clusters whose components are listed in status (the worst first); the rest keep name, phase, reason, message. */
export const MAX_DETAILED_CLUSTERS = 50;

/**
 * The status must stay small whatever the fleet: etcd refuses objects over ~1.5 MiB, and every write of a
 * large status costs the API server and the controller. A Running cluster is its name, phase, reason and
 * message ("4/4 required components healthy"); components are listed only where something is wrong, for at
 * most MAX_DETAILED_CLUSTERS clusters (the worst). `kubectl ksit check` shows every component on demand.
 */
function compactClusters(clusters: readonly ClusterStatus[]): ClusterStatus[] {
  const detailed = new Set(
    clusters.filter((c) => c.phase !== "Running" && c.components?.length)
      .sort((a, b) => CLUSTER_RANK[b.phase] - CLUSTER_RANK[a.phase] || a.name.localeCompare(b.name))
      .slice(0, MAX_DETAILED_CLUSTERS),
  );
  return clusters.map((c) => {
    if (detailed.has(c) || !c.components) return c;
    const { components: _omitted, ...rest } = c;
    return rest;
  });
}

/** Bytes of `value` as JSON (what the API server stores). */
function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

/**
 * The status, small enough to write in at most `maxBytes` of JSON: when it is larger, clusters are listed
 * worst first until the budget is spent and the rest are counted in `clustersOmitted` (phase, summary,
 * message and conditions always stay). A status written once too large is never shown at all (the API
 * server refuses the write), so this runs before every write.
 */
export function boundStatus(status: IntegrationStatus, maxBytes: number): IntegrationStatus {
  // a UTF-8 byte is at most 3 per UTF-16 unit: most statuses are decided without encoding them
  const chars = JSON.stringify(status).length;
  if (chars * 3 <= maxBytes || (chars <= maxBytes && jsonBytes(status) <= maxBytes)) return status;
  const clusters = status.clusters ?? [];
  const base = { ...status, clusters: [], clustersOmitted: clusters.length };
  let budget = maxBytes - jsonBytes(base);
  const keep = new Set<ClusterStatus>();
  const worstFirst = [...clusters].sort((a, b) =>
    CLUSTER_RANK[b.phase] - CLUSTER_RANK[a.phase] || a.name.localeCompare(b.name)
  );
  for (const c of worstFirst) {
    const size = jsonBytes(c) + 1;
    if (size > budget) break;
    budget -= size;
    keep.add(c);
  }
  return {
    ...status,
    clusters: clusters.filter((c) => keep.has(c)),
    clustersOmitted: clusters.length - keep.size,
  };
}

function integrationPhase(enabled: boolean, clusters: readonly ClusterStatus[]): Phase {
  if (!enabled) return "Disabled";
  if (clusters.length === 0) return "Pending";
  const installed = clusters.filter((c) => c.phase !== "NotInstalled");
  if (installed.length === 0) return "NotInstalled";
  const worst = Math.max(...installed.map((c) => CLUSTER_RANK[c.phase]));
  if (worst >= CLUSTER_RANK.Failed) return "Failed";
  if (worst >= CLUSTER_RANK.Pending) return "Unknown";
  if (worst >= CLUSTER_RANK.Degraded) return "Degraded";
  return "Running";
}

/** At most this many cluster names in "not installed on …". */
const MAX_NAMED = 5;

function integrationMessage(phase: Phase, all: readonly ClusterStatus[]): string {
  if (phase === "Disabled") return "disabled (spec.enabled is false): no checks run";
  if (phase === "Pending") return "no targets matched: check spec.targetClusters and spec.targetSelector";
  const absent = all.filter((c) => c.phase === "NotInstalled");
  const clusters = all.filter((c) => c.phase !== "NotInstalled");
  if (phase === "NotInstalled") {
    const first = absent[0] as ClusterStatus;
    const one = `${first.name}: ${first.message ?? "not installed"}`;
    return absent.length === 1 ? one : `not installed on any of the ${absent.length} clusters (${one})`;
  }
  const names = absent.slice(0, MAX_NAMED).map((c) => c.name).join(", ") +
    (absent.length > MAX_NAMED ? ` (+${absent.length - MAX_NAMED} more)` : "");
  const notInstalled = absent.length ? `; not installed on ${names}` : "";
  if (phase === "Running") {
    return (clusters.length === 1
      ? `${clusters[0]?.name}: ${clusters[0]?.message ?? "healthy"}`
      : `all ${clusters.length} clusters healthy`) + notInstalled;
  }
  const bad = clusters.filter((c) => CLUSTER_RANK[c.phase] > 0);
  let worst = bad[0] as ClusterStatus;
  for (const c of bad) if (CLUSTER_RANK[c.phase] > CLUSTER_RANK[worst.phase]) worst = c;
  const more = bad.length - 1;
  const suffix = more > 0 ? ` (+${more} more ${more === 1 ? "cluster" : "clusters"})` : "";
  return `${worst.name}: ${worst.message ?? worst.reason ?? worst.phase}${suffix}${notInstalled}`;
}
