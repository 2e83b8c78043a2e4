/**
 * The IntegrationTarget reconciler: Secret → connection → probe → Ready condition. Its steps: the target gone
 * ⇒ forget its connection and caches; else bring the connection in line with the Secret (controller/targets.ts),
 * run the probe that is due, restart the watches of a cluster that is back, and write the Ready condition when
 * it changed. The next reconcile is when the next probe is due.
 *
 * RBAC (control plane): list/watch integrationtargets and secrets (informers in controller.ts); patch
 * integrationtargets/status (status_writer.ts).
 */
import type { IntegrationTarget, TargetReason } from "../api/types.ts";
import type { Informer } from "../kube/informer.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/log.ts";
import type { Connections } from "./connections.ts";
import { keyString, type ObjectKey } from "./keys.ts";
import type { ControllerMetrics } from "./metrics.ts";
import type { Observer } from "./observer.ts";
import type { Reconciled } from "./reconciled.ts";
import { rfc3339 } from "./status.ts";
import type { StatusWriter } from "./status_writer.ts";
import {
  type CachedSecret,
  type Connection,
  type ConnectOptions,
  nextProbe,
  probe,
  refreshConnection,
  secretRef,
  targetStatus,
} from "./targets.ts";

export interface TargetReconcilerDeps {
  targets: Informer<IntegrationTarget>;
  secrets: Informer<CachedSecret>;
  connections: Connections;
  observer: Observer;
  status: StatusWriter;
  clock: Clock;
  log: Logger;
  metrics: ControllerMetrics;
  connectOptions: ConnectOptions;
  /** Whether this instance may write status now (leader election). */
  canWrite: () => boolean;
  /** A target's state changed (or it went): every Integration is judged again. */
  enqueueIntegrations: () => void;
}

export class TargetReconciler {
  constructor(private readonly d: TargetReconcilerDeps) {}

  /** When to reconcile again (ms); `gone`: the target no longer exists. */
  async reconcile(key: ObjectKey): Promise<Reconciled> {
    const { namespace, name } = key;
    const targetKey = keyString(key);
    const cached = this.d.targets.get(name, namespace);
    if (!cached) return await this.gone(key);
    const t = this.d.status.fresh("integrationtargets", key, cached);
    const { conn, created } = this.d.connections.obtain(targetKey, t.spec.clusterName);
    const before = stateKey(conn.state.ready, conn.state.reason, conn.state.message, conn.gen);
    const wasReady = conn.state.ready;
    const oldClient = conn.client;
    const options = this.d.connectOptions;
    if (await refreshConnection(conn, t, this.d.secrets.get(secretRef(t).name, namespace), options)) {
      // Secret changed or gone: the old connection's heartbeat, caches and sockets go now (the Integrations,
      // enqueued below, start what the new connection needs)
      this.d.connections.stopHeartbeat(conn);
    }
    if (oldClient && oldClient !== conn.client) {
      this.d.observer.forgetTarget(targetKey, conn.gen);
      await oldClient.close();
    }
    // Secret problems: the Secret informer enqueues on change
    const requeue = conn.client ? await this.probeDue(conn) : 60_000;
    conn.checked = true;
    const state = conn.state;
    if (state.ready && !wasReady && !created) this.d.observer.targetBack(targetKey, conn.gen);
    this.d.metrics.targetReachable.removeMatching({ namespace, name });
    this.d.metrics.targetReachable.set(
      { namespace, name, cluster: t.spec.clusterName, reason: state.reason },
      state.ready ? 1 : 0,
    );
    if (created || stateKey(state.ready, state.reason, state.message, conn.gen) !== before) {
      this.d.log.info("target state", {
        target: targetKey,
        cluster: t.spec.clusterName,
        ready: state.ready,
        reason: state.reason,
        message: state.message,
      });
      this.d.enqueueIntegrations();
    }
    if (this.d.canWrite()) {
      const w = await this.d.status.write(
        "integrationtargets",
        t,
        targetStatus(t, state, rfc3339(this.d.clock.now())),
      );
      if (w && "waitMs" in w) return { requeueAfter: Math.min(requeue, w.waitMs) };
    }
    return { requeueAfter: requeue };
  }

  /** The probe that is due on `conn`, if any; returns when the next one is (ms). */
  async probeDue(conn: Connection): Promise<number> {
    const now = () => this.d.clock.now();
    const heartbeatLate = conn.heartbeat?.late(now()) ?? false;
    const next = nextProbe(conn, now());
    if (next.probe) {
      await probe(conn, next.probe, now(), this.d.connectOptions);
      // the server answered although its heartbeat was silent: that watch may be dead, open a fresh one
      if (next.probe === "liveness" && conn.state.ready && heartbeatLate) conn.heartbeat?.restart();
    }
    return Math.max(200, nextProbe(conn, now()).waitMs ?? 1_000);
  }

  /** The target was deleted: its connection, caches, status memory and metrics go; Integrations re-select. */
  private async gone(key: ObjectKey): Promise<Reconciled> {
    const targetKey = keyString(key);
    this.d.status.forget("integrationtargets", key);
    await this.d.connections.remove(targetKey);
    this.d.observer.forgetTarget(targetKey);
    this.d.metrics.targetReachable.removeMatching(key);
    this.d.enqueueIntegrations();
    return { gone: true };
  }
}

function stateKey(ready: boolean, reason: TargetReason, message: string, gen: number): string {
  return `${ready}|${reason}|${message}|${gen}`;
}
