/**
 * The Integration reconciler. Its steps: select the targets (spec.targetClusters / targetSelector) → observe
 * the tool on each (controller/observer.ts: watch caches or a poll) → roll the verdicts up into a status
 * (checks/rollup.ts, bounded in size) → write the status when it changed and record an Event on a phase
 * transition. The next reconcile is at the healthCheckInterval (sooner while caches list or may fail).
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
} from "../api/types.ts";
import { INTEGRATION_PHASES } from "../api/schema.ts";
import { unknownCluster } from "../checks/judge.ts";
import { toolNamespaces } from "../checks/namespace.ts";
import { CLUSTER_REASONS } from "../checks/reasons.ts";
import { boundStatus, rollUp } from "../checks/rollup.ts";
import type { Informer } from "../kube/informer.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/log.ts";
import type { Connections } from "./connections.ts";
import { intervalMs } from "./duration.ts";
import type { EventRecorder } from "./events.ts";
import { eventFor, selectTargets } from "./integrations.ts";
import { keyString, type ObjectKey } from "./keys.ts";
import type { ControllerMetrics } from "./metrics.ts";
import type { Observer, ToolRequest } from "./observer.ts";
import type { Reconciled } from "./reconciled.ts";
import { rfc3339 } from "./status.ts";
import { statusBudget, type StatusWriter } from "./status_writer.ts";

export interface IntegrationReconcilerDeps {
  integrations: Informer<Integration>;
  targets: Informer<IntegrationTarget>;
  connections: Connections;
  observer: Observer;
  status: StatusWriter;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
  metrics: ControllerMetrics;
  canWrite: () => boolean;
  /** A target that has not been probed yet is asked for (its reconcile enqueues the Integrations after). */
  enqueueTarget: (targetKey: string) => void;
}

/** A cluster's verdicts, or a reason to judge again soon. */
interface Observed {
  clusters: ClusterStatus[];
  /** A target not probed yet, or a cache still listing. */
  waiting: boolean;
  requeueMs: number;
}

export class IntegrationReconciler {
  /** The last full verdicts per Integration (`namespace/name`), for the dashboard: the status keeps fewer. */
  private readonly verdicts = new Map<string, ClusterStatus[]>();

  constructor(private readonly d: IntegrationReconcilerDeps) {}

  /** The last full verdicts of Integration `namespace/name` (every component, also of healthy clusters). */
  lastVerdicts(id: string): readonly ClusterStatus[] | undefined {
    return this.verdicts.get(id);
  }

  async reconcile(key: ObjectKey): Promise<Reconciled> {
    const user = keyString(key);
    const cached = this.d.integrations.get(key.name, key.namespace);
    if (!cached) {
      this.d.observer.release(user);
      this.d.status.forget("integrations", key);
      this.verdicts.delete(user);
      this.dropMetrics(key);
      return { gone: true };
    }
    const obj = this.d.status.fresh("integrations", key, cached);
    const started = performance.now();
    const now = this.d.clock.now();
    const enabled = obj.spec.enabled !== false;
    const interval = intervalMs(obj.spec.config?.healthCheckInterval);

    const keep = new Set<string>();
    const observed = enabled ? await this.observe(obj, user, interval, now, keep) : undefined;
    this.d.observer.release(user, keep);
    if (observed?.waiting) return { requeueAfter: Math.min(observed.requeueMs, 1_000) };
    const clusters = observed?.clusters ?? [];
    const requeue = observed?.requeueMs ?? interval;

    const status = boundStatus(
      rollUp({
        generation: obj.metadata.generation ?? 0,
        enabled,
        clusters,
        previous: obj.status,
        now: rfc3339(now),
      }),
      statusBudget(obj),
    );
    this.d.metrics.checkDuration.observe({ type: obj.spec.type }, (performance.now() - started) / 1000);
    this.updateMetrics(obj, status, clusters);
    this.verdicts.set(user, status.phase === "Disabled" ? [] : clusters);
    if (!this.d.canWrite()) return { requeueAfter: requeue };
    const w = await this.d.status.write("integrations", obj, status);
    if (!w) return { requeueAfter: requeue };
    if ("waitMs" in w) return { requeueAfter: Math.min(requeue, w.waitMs) };
    this.logWrite(obj, status);
    const previous = obj.status?.phase as Phase | undefined;
    const ev = eventFor(previous, status.phase as Phase);
    if (ev) await this.d.events.record(w.written, ev.type, ev.reason, status.message ?? status.phase ?? "");
    return { requeueAfter: requeue };
  }

  /** Every selected target's verdict: unresolved names, targets not checked yet, unreachable, observed. */
  private async observe(
    obj: Integration,
    user: string,
    interval: number,
    now: number,
    keep: Set<string>,
  ): Promise<Observed> {
    const tool: ToolRequest = {
      type: obj.spec.type,
      overrides: obj.spec.config?.components ?? [],
      namespaces: toolNamespaces(obj.spec.type, obj.spec.config),
      interval,
    };
    const out: Observed = { clusters: [], waiting: false, requeueMs: interval };
    const pending: Promise<void>[] = [];
    for (const sel of selectTargets(obj, this.d.targets.list())) {
      if (!sel.target) {
        out.clusters.push(unknownCluster(
          sel.name,
          CLUSTER_REASONS.TargetNotFound,
          `no IntegrationTarget with clusterName or name ${sel.name} in namespace ${obj.metadata.namespace}`,
        ));
        continue;
      }
      const targetKey = `${sel.target.metadata.namespace}/${sel.target.metadata.name}`;
      const conn = this.d.connections.get(targetKey);
      if (!conn?.checked) {
        // not probed yet: the target's reconcile enqueues us when it knows
        this.d.enqueueTarget(targetKey);
        out.waiting = true;
        continue;
      }
      if (!conn.client || !conn.state.ready) {
        out.clusters.push(unknownCluster(sel.name, conn.state.reason, conn.state.message));
        continue;
      }
      pending.push(
        this.d.observer.observe(user, sel.name, conn, tool, now, keep).then((r) => {
          if (r.verdict) out.clusters.push(r.verdict);
          if (r.waiting) out.waiting = true;
          if (r.requeueMs !== undefined) out.requeueMs = Math.min(out.requeueMs, r.requeueMs);
        }),
      );
    }
    await Promise.all(pending);
    return out;
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

  /** `clusters`: the full verdicts (status keeps components only where something is wrong). */
  private updateMetrics(obj: Integration, status: IntegrationStatus, clusters: ClusterStatus[]): void {
    const m = this.d.metrics;
    const namespace = obj.metadata.namespace ?? "";
    const name = obj.metadata.name ?? "";
    const type = obj.spec.type;
    for (const phase of INTEGRATION_PHASES) {
      m.integrationPhase.set({ namespace, name, type, phase }, status.phase === phase ? 1 : 0);
    }
    m.componentHealthy.removeMatching({ namespace, integration: name });
    for (const c of status.phase === "Disabled" ? [] : clusters) {
      for (const comp of c.components ?? []) {
        m.componentHealthy.set(
          { namespace, integration: name, type, cluster: c.name, component: comp.name, status: comp.status },
          comp.status === "Healthy" ? 1 : 0,
        );
      }
    }
  }

  private dropMetrics(key: ObjectKey): void {
    this.d.metrics.integrationPhase.removeMatching(key);
    this.d.metrics.componentHealthy.removeMatching({ namespace: key.namespace, integration: key.name });
  }
}
