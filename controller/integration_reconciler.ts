/**
 * The Integration reconciler: the roll-up, run by the one replica that writes Integration status (the leader;
 * every replica when there is no leader election). Its steps: select the targets (spec.targetClusters /
 * targetSelector, controller/selections.ts) → take each target's result for this Integration from the
 * target's status (written by the replica that judges the target, target_reconciler.ts) → roll the verdicts
 * up into a status (checks/rollup.ts, bounded in size) → write it when it changed and record an Event on a
 * phase transition. A target without a result for the Integration's current generation is waited for (no
 * write) up to NOT_JUDGED_AFTER_MS, then shown as Unknown `NotJudged`.
 *
 * RBAC (control plane): list/watch integrations (informer in controller.ts); patch integrations/status
 * (status_writer.ts); create/patch events (events.ts).
 */
import type {
  ClusterStatus,
  Integration,
  IntegrationStatus,
  IntegrationTarget,
  Phase,
  TargetResult,
} from "../api/types.ts";
import { INTEGRATION_PHASES } from "../api/schema.ts";
import { unknownCluster } from "../checks/judge.ts";
import { CLUSTER_REASONS } from "../checks/reasons.ts";
import { boundStatus, rollUp } from "../checks/rollup.ts";
import type { Informer } from "../kube/informer.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/log.ts";
import { intervalMs } from "./duration.ts";
import type { EventRecorder } from "./events.ts";
import { eventFor } from "./integrations.ts";
import { keyString, type ObjectKey, parseKey } from "./keys.ts";
import type { ControllerMetrics } from "./metrics.ts";
import type { Reconciled } from "./reconciled.ts";
import type { Selections } from "./selections.ts";
import { rfc3339 } from "./status.ts";
import { statusBudget, type StatusWriter } from "./status_writer.ts";

/**
 * How long a selected target may go without a result for the Integration's generation before it is shown as
 * Unknown `NotJudged`: longer than a replica takeover (lease duration + a check) and a first list of a big
 * cluster.
 */
export const NOT_JUDGED_AFTER_MS = 120_000;

export interface IntegrationReconcilerDeps {
  integrations: Informer<Integration>;
  targets: Informer<IntegrationTarget>;
  selections: Selections;
  status: StatusWriter;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
  metrics: ControllerMetrics;
  /** This replica writes Integration status (the leader, or the only one). */
  canWrite: () => boolean;
  /** Results this replica judged itself (fresher than the target's status until its write comes back). */
  localResults: (targetKey: string) => ReadonlyMap<string, TargetResult> | undefined;
}

export class IntegrationReconciler {
  /** Since when an Integration (key and generation) waits for results of some of its targets. */
  private readonly waitingSince = new Map<string, { generation: number; since: number }>();

  constructor(private readonly d: IntegrationReconcilerDeps) {}

  /**
   * The full verdicts of Integration `namespace/name` now (every component, also of healthy clusters), from the
   * targets' results, for the dashboard: the status keeps fewer. Targets not judged yet are left out.
   */
  lastVerdicts(id: string): readonly ClusterStatus[] | undefined {
    const key = parseKey(id);
    const obj = this.d.integrations.get(key.name, key.namespace);
    if (!obj) return undefined;
    return obj.spec.enabled === false ? [] : this.collect(obj).clusters;
  }

  async reconcile(key: ObjectKey): Promise<Reconciled> {
    const id = keyString(key);
    const cached = this.d.integrations.get(key.name, key.namespace);
    if (!cached) {
      this.waitingSince.delete(id);
      this.d.status.forget("integrations", key);
      this.d.metrics.integrationPhase.removeMatching(key);
      return { gone: true };
    }
    const obj = this.d.status.fresh("integrations", key, cached);
    const interval = intervalMs(obj.spec.config?.healthCheckInterval);
    if (!this.d.canWrite()) return { requeueAfter: interval };
    const started = performance.now();
    const now = this.d.clock.now();
    const enabled = obj.spec.enabled !== false;
    const gathered = enabled ? this.gather(obj, now) : { clusters: [], waiting: false };
    if (gathered.waiting) return { requeueAfter: 1_000 };
    const status = boundStatus(
      rollUp({
        generation: obj.metadata.generation ?? 0,
        enabled,
        clusters: gathered.clusters,
        previous: obj.status,
        now: rfc3339(now),
      }),
      statusBudget(obj),
    );
    this.d.metrics.checkDuration.observe({ type: obj.spec.type }, (performance.now() - started) / 1000);
    this.setPhaseMetric(obj, status);
    const w = await this.d.status.write("integrations", obj, status);
    if (!w) return { requeueAfter: interval };
    if ("waitMs" in w) return { requeueAfter: Math.min(interval, w.waitMs) };
    this.logWrite(obj, status);
    const previous = obj.status?.phase as Phase | undefined;
    const ev = eventFor(previous, status.phase as Phase);
    if (ev) await this.d.events.record(w.written, ev.type, ev.reason, status.message ?? status.phase ?? "");
    return { requeueAfter: interval };
  }

  /**
   * Every selected target's verdict for `obj`: unresolved names; the target's result for this generation; its
   * Ready=False reason before its first result; else waiting (`waiting` while within NOT_JUDGED_AFTER_MS).
   */
  private gather(obj: Integration, now: number): { clusters: ClusterStatus[]; waiting: boolean } {
    const id = keyString({ namespace: obj.metadata.namespace ?? "", name: obj.metadata.name ?? "" });
    const generation = obj.metadata.generation ?? 0;
    const { clusters, unjudged } = this.collect(obj);
    if (unjudged.length === 0) {
      this.waitingSince.delete(id);
      return { clusters, waiting: false };
    }
    const w = this.waitingSince.get(id);
    const since = w?.generation === generation ? w.since : now;
    this.waitingSince.set(id, { generation, since });
    if (now - since < NOT_JUDGED_AFTER_MS) return { clusters, waiting: true };
    for (const name of unjudged) {
      clusters.push(unknownCluster(
        name,
        CLUSTER_REASONS.NotJudged,
        `no serve replica has judged this cluster for generation ${generation} of the Integration within ${
          NOT_JUDGED_AFTER_MS / 1000
        } s; see the IntegrationTarget's status.judgedBy and the controller's logs`,
      ));
    }
    return { clusters, waiting: false };
  }

  /** The verdicts there are for `obj`, and the names of the selected targets without one yet. */
  private collect(obj: Integration): { clusters: ClusterStatus[]; unjudged: string[] } {
    const generation = obj.metadata.generation ?? 0;
    const namespace = obj.metadata.namespace ?? "";
    const clusters: ClusterStatus[] = [];
    const unjudged: string[] = [];
    for (const sel of this.d.selections.of(obj)) {
      if (!sel.target) {
        clusters.push(unknownCluster(
          sel.name,
          CLUSTER_REASONS.TargetNotFound,
          `no IntegrationTarget with clusterName or name ${sel.name} in namespace ${namespace}`,
        ));
        continue;
      }
      // the informer's copy: the selection holds the object as it was when selected (older status)
      const t = this.d.targets.get(sel.target.metadata.name ?? "", namespace) ?? sel.target;
      const local = this.d.localResults(`${namespace}/${t.metadata.name}`)?.get(obj.metadata.name ?? "");
      const verdict = verdictOn(t, obj, sel.name, generation, local);
      if (verdict) clusters.push(verdict);
      else unjudged.push(sel.name);
    }
    return { clusters, unjudged };
  }

  private logWrite(obj: Integration, status: IntegrationStatus): void {
    this.d.log.info("integration status", {
      integration: `${obj.metadata.namespace}/${obj.metadata.name}`,
      phase: status.phase,
      previous: obj.status?.phase,
      healthy: status.healthy,
      message: status.message,
    });
  }

  private setPhaseMetric(obj: Integration, status: IntegrationStatus): void {
    const namespace = obj.metadata.namespace ?? "";
    const name = obj.metadata.name ?? "";
    const type = obj.spec.type;
    for (const phase of INTEGRATION_PHASES) {
      this.d.metrics.integrationPhase.set({ namespace, name, type, phase }, status.phase === phase ? 1 : 0);
    }
  }
}

/**
 * The verdict on target `t` for `obj`: its result for the current generation, else Unknown with its Ready=False
 * reason (a target that cannot be connected is judged so before any result), else undefined (not judged yet).
 */
export function verdictOn(
  t: IntegrationTarget,
  obj: Integration,
  name: string,
  generation: number,
  local?: TargetResult,
): ClusterStatus | undefined {
  const r = local ?? t.status?.results?.find((x) => x.integration === obj.metadata.name);
  // the same Integration: its generation, and its uid where both are known (a result written before this
  // field existed has none) — an Integration deleted and created again starts at generation 1 too
  const uid = obj.metadata.uid;
  if (
    r && (r.observedGeneration ?? 0) === generation && !(uid && r.integrationUID && r.integrationUID !== uid)
  ) {
    const { integration: _i, observedGeneration: _g, integrationUID: _u, ...rest } = r;
    return { name, ...rest };
  }
  const ready = t.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status === "False" && ready.observedGeneration === t.metadata.generation) {
    return unknownCluster(name, ready.reason ?? "ClusterUnreachable", ready.message ?? "");
  }
  return undefined;
}
