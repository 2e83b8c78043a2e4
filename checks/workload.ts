/**
 * Pure judge of one Deployment or StatefulSet, after kstatus: https://github.com/kubernetes-sigs/cli-utils/tree/master/pkg/kstatus
 *
 * Order of the rules (first match wins):
 * 1. desired (spec.replicas, default 1) = 0 ⇒ Unhealthy `ScaledToZero`
 * 2. Deployment condition Progressing with reason ProgressDeadlineExceeded (current generation) ⇒ Unhealthy
 * 3. 0 available ⇒ Unhealthy `NoReplicasAvailable` (even mid-rollout: nothing serves)
 * 4. metadata.generation > status.observedGeneration ⇒ Degraded `RolloutInProgress`
 * 5. 0 < available < desired ⇒ Degraded `PartiallyAvailable`
 * 6. not every replica updated, or (Deployment) more pods than desired — status.replicas > spec.replicas, the
 *    old and new ReplicaSets side by side, which is how a stuck 1-replica rollout looks (StatefulSet: also
 *    currentRevision != updateRevision; honours OnDelete and partition) ⇒ Degraded `RolloutInProgress`
 * 7. else Healthy `Available`
 */
import type { V1Deployment, V1StatefulSet } from "@kubernetes/client-node";
import { COMPONENT_REASONS as R } from "./reasons.ts";
import type { Verdict } from "./verdict.ts";

interface Facts {
  kind: "Deployment" | "StatefulSet";
  name: string;
  desired: number;
  available: number;
  updated: number;
  /** Deployment: status.replicas, every pod of every ReplicaSet. */
  replicas?: number;
  generation?: number;
  observedGeneration?: number;
  /** Message of a ProgressDeadlineExceeded condition, when there is one. */
  deadlineExceeded?: string;
  /** StatefulSet only: the rollout still has pods to update. */
  rolling?: boolean;
}

/** Judge one Deployment from its spec and status. */
export function judgeDeployment(deployment: V1Deployment): Verdict {
  return judgeFacts(deploymentFacts(deployment));
}

/** Judge one StatefulSet from its spec and status. */
export function judgeStatefulSet(statefulSet: V1StatefulSet): Verdict {
  return judgeFacts(statefulSetFacts(statefulSet));
}

function deploymentFacts(d: V1Deployment): Facts {
  const desired = d.spec?.replicas ?? 1;
  const pde = (d.status?.conditions ?? []).find((c) =>
    c.type === "Progressing" && c.reason === "ProgressDeadlineExceeded"
  );
  return {
    kind: "Deployment",
    name: d.metadata?.name ?? "",
    desired,
    available: d.status?.availableReplicas ?? 0,
    updated: d.status?.updatedReplicas ?? 0,
    replicas: d.status?.replicas ?? 0,
    generation: d.metadata?.generation,
    observedGeneration: d.status?.observedGeneration,
    deadlineExceeded: pde ? (pde.message ?? "") : undefined,
  };
}

function statefulSetFacts(s: V1StatefulSet): Facts {
  const desired = s.spec?.replicas ?? 1;
  const updated = s.status?.updatedReplicas ?? 0;
  const strategy = s.spec?.updateStrategy;
  const partition = strategy?.rollingUpdate?.partition ?? 0;
  const current = s.status?.currentRevision;
  const update = s.status?.updateRevision;
  let rolling: boolean;
  if (strategy?.type === "OnDelete") rolling = false;
  else if (partition > 0) rolling = updated < desired - partition;
  else rolling = updated < desired || (!!current && !!update && current !== update);
  return {
    kind: "StatefulSet",
    name: s.metadata?.name ?? "",
    desired,
    available: s.status?.availableReplicas ?? s.status?.readyReplicas ?? 0,
    updated,
    generation: s.metadata?.generation,
    observedGeneration: s.status?.observedGeneration,
    rolling,
  };
}

function judgeFacts(f: Facts): Verdict {
  const ready = `${f.available}/${f.desired}`;
  const stale = f.generation !== undefined && (f.observedGeneration ?? 0) < f.generation;
  const base = { kind: f.kind, workload: f.name, ready, available: f.available, desired: f.desired };
  const verdict = (status: Verdict["status"], reason: string, detail: string): Verdict => ({
    ...base,
    status,
    reason,
    message: `${f.name}: ${detail}`,
  });
  if (f.desired === 0) return verdict("Unhealthy", R.ScaledToZero, "scaled to 0 replicas");
  if (!stale && f.deadlineExceeded !== undefined) {
    const why = f.deadlineExceeded ? `: ${f.deadlineExceeded}` : "";
    return verdict("Unhealthy", R.ProgressDeadlineExceeded, `rollout stuck, ${ready} available${why}`);
  }
  if (f.available <= 0) {
    return verdict(
      "Unhealthy",
      R.NoReplicasAvailable,
      `${ready} available${stale ? " (rollout in progress)" : ""}`,
    );
  }
  if (stale) {
    return verdict(
      "Degraded",
      R.RolloutInProgress,
      `rollout in progress (generation ${f.generation} not yet observed), ${ready} available`,
    );
  }
  if (f.available < f.desired) return verdict("Degraded", R.PartiallyAvailable, `${ready} available`);
  if (f.rolling ?? (f.updated < f.desired || (f.replicas ?? 0) > f.desired)) {
    const pods = f.kind === "StatefulSet" ? "pods" : "replicas";
    const surplus = f.updated >= f.desired && (f.replicas ?? 0) > f.desired
      ? ` (${f.replicas} pods for ${f.desired})`
      : "";
    return verdict(
      "Degraded",
      R.RolloutInProgress,
      `rollout in progress, ${f.updated}/${f.desired} ${pods} updated${surplus}, ${ready} available`,
    );
  }
  return verdict("Healthy", R.Available, `${ready} available`);
}
