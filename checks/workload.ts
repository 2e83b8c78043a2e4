/**
 * Pure judges of one Deployment, StatefulSet or DaemonSet: every rule of kstatus
 * (kubernetes-sigs/cli-utils v0.37.2 pkg/kstatus/status/generic.go + core.go), in KSIT's vocabulary. kstatus
 * says Current / InProgress / Failed / Terminating; KSIT also asks whether the workload serves meanwhile, so an
 * in-progress workload with pods available is Degraded and one with none is Unhealthy.
 *
 * Order of the rules (first match wins). `desired`: Deployment/StatefulSet spec.replicas (default 1),
 * DaemonSet status.desiredNumberScheduled; `available`: availableReplicas (StatefulSet: or readyReplicas when
 * the API server has no availableReplicas), DaemonSet numberAvailable.
 *
 *  1. metadata.deletionTimestamp set ⇒ Unhealthy `Terminating` (kstatus: Terminating)
 *  2. Deployment/StatefulSet desired = 0 ⇒ Unhealthy `ScaledToZero`;
 *     DaemonSet without status.desiredNumberScheduled ⇒ Unhealthy `NotObserved` (kstatus: NoDesiredNumber)
 *  3. generation observed, condition Stalled=True ⇒ Unhealthy `Stalled` (kstatus generic: Failed)
 *  4. generation observed, Deployment condition Progressing with reason ProgressDeadlineExceeded ⇒ Unhealthy
 *     `ProgressDeadlineExceeded` (kstatus: Failed)
 *  5. desired > 0 and 0 available ⇒ Unhealthy `NoReplicasAvailable` (even mid-rollout: nothing serves)
 *  6. metadata.generation ≠ status.observedGeneration (or none observed) ⇒ Degraded `RolloutInProgress`
 *     (kstatus generic: LatestGenerationNotObserved; DaemonSet: NoObservedGeneration)
 *  7. condition Reconciling=True ⇒ Degraded `RolloutInProgress` (kstatus generic: InProgress)
 *  8. DaemonSet desired = 0 ⇒ Healthy `Available` (no node to run on; kstatus: Current)
 *  9. available < desired, ready < desired, status.replicas < desired, DaemonSet numberUnavailable > 0 or
 *     currentNumberScheduled < desired ⇒ Degraded `PartiallyAvailable` (kstatus: LessAvailable, LessReady,
 *     LessReplicas, LessCurrent)
 * 10. rollout not done ⇒ Degraded `RolloutInProgress`:
 *     - Deployment: updatedReplicas < desired (LessUpdated); status.replicas > desired, i.e. surge pods or old
 *       pods not yet gone (ExtraPods); updatedReplicas > availableReplicas (LessAvailable);
 *       unavailableReplicas > 0. This is the stuck 1-replica rollout: `replicas: 2, updatedReplicas: 1,
 *       availableReplicas: 1` — the new pod never gets ready while the old one still serves.
 *     - StatefulSet (not for updateStrategy OnDelete, which kstatus calls Current): status.replicas > desired
 *       (ExtraPods); with a partition, updatedReplicas < desired − partition (PartitionRollout), and nothing
 *       more; without, currentReplicas < desired (LessCurrent) or currentRevision ≠ updateRevision
 *       (RevisionMismatch); updatedReplicas < desired in both cases.
 *     - DaemonSet: updatedNumberScheduled < desired (LessUpdated).
 * 11. Deployment status with conditions (the Deployment controller always writes Available and Progressing):
 *     Progressing not True/NewReplicaSetAvailable while spec.progressDeadlineSeconds is set ⇒ Degraded
 *     `RolloutInProgress` (kstatus: ReplicaSetNotAvailable); Available not True ⇒ Degraded `NotAvailable`
 *     (kstatus: DeploymentNotAvailable). A status without any condition was not written by the controller
 *     (hand-made, tests); it is judged by its counters alone.
 * 12. else Healthy `Available`.
 */
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from "@kubernetes/client-node";
import { COMPONENT_REASONS as R } from "./reasons.ts";
import type { Verdict } from "./verdict.ts";

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

type Kind = "Deployment" | "StatefulSet" | "DaemonSet";

/** Go's math.MaxInt32: kstatus's (and the Deployment controller's) "no progress deadline". */
const NO_DEADLINE = 2147483647;

interface Meta {
  name?: string;
  generation?: number;
  deletionTimestamp?: unknown;
}

/** A verdict builder for one workload: name and numbers fixed, status/reason/detail per rule. */
function builder(kind: Kind, ref: string, available: number, desired: number) {
  const ready = `${available}/${desired}`;
  return {
    ready,
    verdict(status: Verdict["status"], reason: string, detail: string): Verdict {
      return { kind, workload: ref, status, reason, ready, available, desired, message: `${ref}: ${detail}` };
    },
  };
}

function conditionsOf(status: { conditions?: Condition[] } | undefined): Condition[] {
  return status?.conditions ?? [];
}

/** Rule 6: the controller has not yet acted on the newest spec. */
function stale(meta: Meta | undefined, observed: number | undefined): boolean {
  return meta?.generation !== undefined && observed !== meta.generation;
}

function staleDetail(meta: Meta | undefined, _observed: number | undefined): string {
  return `generation ${meta?.generation} not yet observed`;
}

function conditionTrue(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type && c.status === "True");
}

function why(c: Condition): string {
  return c.message ? `: ${c.message}` : c.reason ? ` (${c.reason})` : "";
}

/**
 * Judge one Deployment from its spec and status; `ref` names it in the message (default its name). Long on
 * purpose: the rules of the header, in their order, one `if` each, so the order is read in one place.
 */
export function judgeDeployment(d: V1Deployment, ref = d.metadata?.name ?? ""): Verdict {
  const s = d.status;
  const desired = d.spec?.replicas ?? 1;
  const available = s?.availableReplicas ?? 0;
  const ready = s?.readyReplicas ?? 0;
  const updated = s?.updatedReplicas ?? 0;
  const replicas = s?.replicas ?? 0;
  const unavailable = s?.unavailableReplicas ?? 0;
  const conditions = conditionsOf(s as { conditions?: Condition[] });
  const b = builder("Deployment", ref, available, desired);
  const isStale = stale(d.metadata, s?.observedGeneration);
  if (d.metadata?.deletionTimestamp) return b.verdict("Unhealthy", R.Terminating, "being deleted");
  if (desired === 0) return b.verdict("Unhealthy", R.ScaledToZero, "scaled to 0 replicas");
  if (!isStale) {
    const stalled = conditionTrue(conditions, "Stalled");
    if (stalled) return b.verdict("Unhealthy", R.Stalled, `stalled, ${b.ready} available${why(stalled)}`);
    const pde = conditions.find((c) => c.type === "Progressing" && c.reason === "ProgressDeadlineExceeded");
    if (pde) {
      return b.verdict(
        "Unhealthy",
        R.ProgressDeadlineExceeded,
        `rollout stuck, ${b.ready} available${pde.message ? `: ${pde.message}` : ""}`,
      );
    }
  }
  if (available <= 0) {
    const rolling = isStale || updated < desired || replicas > desired;
    return b.verdict(
      "Unhealthy",
      R.NoReplicasAvailable,
      `${b.ready} available${rolling ? " (rollout in progress)" : ""}`,
    );
  }
  if (isStale) {
    return b.verdict(
      "Degraded",
      R.RolloutInProgress,
      `rollout in progress (${staleDetail(d.metadata, s?.observedGeneration)}), ${b.ready} available`,
    );
  }
  const reconciling = conditionTrue(conditions, "Reconciling");
  if (reconciling) {
    return b.verdict("Degraded", R.RolloutInProgress, `reconciling, ${b.ready} available${why(reconciling)}`);
  }
  if (available < desired) return b.verdict("Degraded", R.PartiallyAvailable, `${b.ready} available`);
  if (ready < desired) {
    return b.verdict("Degraded", R.PartiallyAvailable, `${ready}/${desired} ready, ${b.ready} available`);
  }
  if (updated < desired) {
    return b.verdict(
      "Degraded",
      R.RolloutInProgress,
      `rollout in progress, ${updated}/${desired} replicas updated, ${b.ready} available`,
    );
  }
  if (replicas > desired || updated > available || unavailable > 0) {
    const extra = replicas > desired
      ? `${replicas} replicas for ${desired} desired`
      : `${replicas} ${replicas === 1 ? "replica" : "replicas"}`;
    const notReady = Math.max(unavailable, updated - available, replicas - available);
    return b.verdict(
      "Degraded",
      R.RolloutInProgress,
      `rollout in progress, ${extra}, ${notReady} unavailable (new pods not ready, old ones still serve), ` +
        `${b.ready} available`,
    );
  }
  if (conditions.length > 0) {
    const deadline = d.spec?.progressDeadlineSeconds;
    const progressing = conditions.find((c) => c.type === "Progressing");
    const complete = progressing?.status === "True" && progressing.reason === "NewReplicaSetAvailable";
    if (deadline !== undefined && deadline !== NO_DEADLINE && !complete) {
      const state = progressing
        ? `Progressing ${progressing.status}/${progressing.reason ?? "?"}`
        : "no Progressing condition";
      return b.verdict(
        "Degraded",
        R.RolloutInProgress,
        `rollout in progress, new ReplicaSet not yet available (${state}), ${b.ready} available`,
      );
    }
    if (!conditionTrue(conditions, "Available")) {
      const a = conditions.find((c) => c.type === "Available");
      return b.verdict(
        "Degraded",
        R.NotAvailable,
        `condition Available is ${a ? `${a.status}${a.reason ? ` (${a.reason})` : ""}` : "missing"}, ` +
          `${b.ready} available`,
      );
    }
  }
  return b.verdict("Healthy", R.Available, `${b.ready} available`);
}

/** Judge one StatefulSet from its spec and status; `ref` names it in the message (default its name). */
// (as judgeDeployment: the header's rules in order, in one place)
export function judgeStatefulSet(st: V1StatefulSet, ref = st.metadata?.name ?? ""): Verdict {
  const s = st.status;
  const desired = st.spec?.replicas ?? 1;
  const ready = s?.readyReplicas ?? 0;
  const available = s?.availableReplicas ?? ready;
  const updated = s?.updatedReplicas ?? 0;
  const replicas = s?.replicas ?? 0;
  const current = s?.currentReplicas ?? 0;
  const conditions = conditionsOf(s as { conditions?: Condition[] });
  const b = builder("StatefulSet", ref, available, desired);
  const isStale = stale(st.metadata, s?.observedGeneration);
  if (st.metadata?.deletionTimestamp) return b.verdict("Unhealthy", R.Terminating, "being deleted");
  if (desired === 0) return b.verdict("Unhealthy", R.ScaledToZero, "scaled to 0 replicas");
  if (!isStale) {
    const stalled = conditionTrue(conditions, "Stalled");
    if (stalled) return b.verdict("Unhealthy", R.Stalled, `stalled, ${b.ready} available${why(stalled)}`);
  }
  if (available <= 0) {
    return b.verdict(
      "Unhealthy",
      R.NoReplicasAvailable,
      `${b.ready} available${isStale ? " (rollout in progress)" : ""}`,
    );
  }
  if (isStale) {
    return b.verdict(
      "Degraded",
      R.RolloutInProgress,
      `rollout in progress (${staleDetail(st.metadata, s?.observedGeneration)}), ${b.ready} available`,
    );
  }
  const reconciling = conditionTrue(conditions, "Reconciling");
  if (reconciling) {
    return b.verdict("Degraded", R.RolloutInProgress, `reconciling, ${b.ready} available${why(reconciling)}`);
  }
  if (available < desired) return b.verdict("Degraded", R.PartiallyAvailable, `${b.ready} available`);
  if (ready < desired) {
    return b.verdict("Degraded", R.PartiallyAvailable, `${ready}/${desired} ready, ${b.ready} available`);
  }
  if (replicas < desired) {
    return b.verdict(
      "Degraded",
      R.PartiallyAvailable,
      `${replicas}/${desired} pods created, ${b.ready} available`,
    );
  }
  const strategy = st.spec?.updateStrategy;
  if (strategy?.type !== "OnDelete") {
    if (replicas > desired) {
      return b.verdict(
        "Degraded",
        R.RolloutInProgress,
        `${replicas} pods for ${desired} desired (${
          replicas - desired
        } pending termination), ${b.ready} available`,
      );
    }
    const partition = strategy?.rollingUpdate?.partition;
    const rollout = (detail: string) =>
      b.verdict("Degraded", R.RolloutInProgress, `rollout in progress, ${detail}, ${b.ready} available`);
    if (partition !== undefined) {
      const target = Math.max(0, desired - partition);
      if (updated < target) {
        return rollout(
          `${updated}/${target} pods updated${partition > 0 ? ` (partition ${partition})` : ""}`,
        );
      }
    } else {
      if (updated < desired) return rollout(`${updated}/${desired} pods updated`);
      if (current < desired) return rollout(`${current}/${desired} pods at the current revision`);
      if ((s?.currentRevision ?? "") !== (s?.updateRevision ?? "")) {
        return rollout(`revision ${s?.currentRevision ?? "?"} → ${s?.updateRevision ?? "?"}`);
      }
    }
  }
  return b.verdict("Healthy", R.Available, `${b.ready} available`);
}

/** Judge one DaemonSet from its status; `ref` names it in the message (default its name). */
// (as judgeDeployment: the header's rules in order, in one place)
export function judgeDaemonSet(ds: V1DaemonSet, ref = ds.metadata?.name ?? ""): Verdict {
  const s = ds.status;
  const desired = s?.desiredNumberScheduled ?? 0;
  const available = s?.numberAvailable ?? 0;
  const ready = s?.numberReady ?? 0;
  const current = s?.currentNumberScheduled ?? 0;
  const updated = s?.updatedNumberScheduled ?? 0;
  const unavailable = s?.numberUnavailable ?? 0;
  const conditions = conditionsOf(s as { conditions?: Condition[] });
  const b = builder("DaemonSet", ref, available, desired);
  const isStale = stale(ds.metadata, s?.observedGeneration);
  if (ds.metadata?.deletionTimestamp) return b.verdict("Unhealthy", R.Terminating, "being deleted");
  if (s?.desiredNumberScheduled === undefined) {
    return b.verdict(
      "Unhealthy",
      R.NotObserved,
      "no status yet: the DaemonSet controller has not observed it",
    );
  }
  if (!isStale) {
    const stalled = conditionTrue(conditions, "Stalled");
    if (stalled) {
      return b.verdict("Unhealthy", R.Stalled, `stalled, ${b.ready} nodes available${why(stalled)}`);
    }
  }
  if (desired > 0 && available <= 0) {
    return b.verdict(
      "Unhealthy",
      R.NoReplicasAvailable,
      `${b.ready} nodes available${isStale ? " (rollout in progress)" : ""}`,
    );
  }
  if (isStale) {
    return b.verdict(
      "Degraded",
      R.RolloutInProgress,
      `rollout in progress (${staleDetail(ds.metadata, s?.observedGeneration)}), ${b.ready} nodes available`,
    );
  }
  const reconciling = conditionTrue(conditions, "Reconciling");
  if (reconciling) {
    return b.verdict(
      "Degraded",
      R.RolloutInProgress,
      `reconciling, ${b.ready} nodes available${why(reconciling)}`,
    );
  }
  if (desired === 0) return b.verdict("Healthy", R.Available, "no node to run on (0 scheduled)");
  if (available < desired || unavailable > 0) {
    const n = Math.max(unavailable, desired - available);
    return b.verdict("Degraded", R.PartiallyAvailable, `${b.ready} nodes available, ${n} unavailable`);
  }
  if (current < desired) {
    return b.verdict("Degraded", R.PartiallyAvailable, `pods scheduled on ${current}/${desired} nodes`);
  }
  if (updated < desired) {
    return b.verdict(
      "Degraded",
      R.RolloutInProgress,
      `rollout in progress, ${updated}/${desired} nodes updated, ${b.ready} nodes available`,
    );
  }
  if (ready < desired) {
    return b.verdict(
      "Degraded",
      R.PartiallyAvailable,
      `${ready}/${desired} nodes ready, ${b.ready} nodes available`,
    );
  }
  return b.verdict("Healthy", R.Available, `${b.ready} nodes available`);
}
