/**
 * The IntegrationTarget reconciler, run by the replica that owns the target (controller/sharding.ts): Secret (or
 * ClusterProfile) → connection → probe → judge every Integration that selects the target → one status write
 * (Ready condition, `results`, `judgedBy`). Its steps: the target gone ⇒ forget its connection, caches and metrics; owned by
 * another replica ⇒ the same, and nothing written; else bring the connection in line with the Secret
 * (controller/targets.ts), run the probe that is due, restart the watches of a cluster that is back, judge
 * (controller/observer.ts: watch caches or a poll) and write what changed. The Integrations' statuses are
 * rolled up from these results by integration_reconciler.ts. The next reconcile is when the next probe or
 * judgement is due.
 *
 * RBAC (control plane): list/watch integrationtargets and secrets (informers in controller.ts and
 * inventory_caches.ts); patch
 * integrationtargets/status (status_writer.ts).
 */
import type {
  ClusterStatus,
  Integration,
  IntegrationTarget,
  TargetReason,
  TargetResult,
} from "../api/types.ts";
import { unknownCluster } from "../checks/judge.ts";
import { toolNamespaces } from "../checks/namespace.ts";
import type { Informer } from "../kube/informer.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/log.ts";
import type { Connections } from "./connections.ts";
import { keyString, type ObjectKey } from "./keys.ts";
import type { ControllerMetrics } from "./metrics.ts";
import type { Observer, ToolRequest } from "./observer.ts";
import { intervalMs } from "./duration.ts";
import type { Selections } from "./selections.ts";
import type { Ownership } from "./sharding.ts";
import type { Reconciled } from "./reconciled.ts";
import { rfc3339 } from "./status.ts";
import type { StatusWriter } from "./status_writer.ts";
import {
  type Connection,
  type ConnectOptions,
  type CredentialLookup,
  nextProbe,
  probe,
  refreshConnection,
  targetStatus,
} from "./targets.ts";

export interface TargetReconcilerDeps {
  targets: Informer<IntegrationTarget>;
  /** The target's Secret (and ClusterProfile) from the caches, or why they cannot be seen. */
  lookup: (t: IntegrationTarget) => CredentialLookup;
  connections: Connections;
  observer: Observer;
  status: StatusWriter;
  clock: Clock;
  log: Logger;
  metrics: ControllerMetrics;
  connectOptions: ConnectOptions;
  integrations: Informer<Integration>;
  selections: Selections;
  /** Which targets this replica judges. */
  ownership: Ownership;
  /** This replica, written as `judgedBy`. */
  identity: string;
  /** Poll mode: a target's Integrations are judged again only when their healthCheckInterval is due. */
  polling: boolean;
  /**
   * The results of a target for these Integrations (names) changed: their roll-ups run now, from
   * `resultsOf` (not after the status write comes back through the informer).
   */
  resultsChanged: (targetKey: string, integrations: ReadonlySet<string>) => void;
}

/** A status of at most this many bytes: results beyond it lose their components. */
const RESULTS_BUDGET = 256 * 1024;

/** What this replica judged of one (Integration, target) pair last. */
interface Judged {
  at: number;
  generation: number;
  stateKey: string;
  result: TargetResult;
}

export class TargetReconciler {
  /** Per target: the (Integration, target) pairs judged, by observer user `integration@target`. */
  private readonly judged = new Map<string, Map<string, Judged>>();
  /** Per target: the results of `judged` by Integration name (the roll-up reads them for every target). */
  private readonly results = new Map<string, ReadonlyMap<string, TargetResult>>();

  constructor(private readonly d: TargetReconcilerDeps) {}

  /** The results this replica judged for `targetKey` last (undefined: it does not judge the target). */
  resultsOf(targetKey: string): ReadonlyMap<string, TargetResult> | undefined {
    return this.results.get(targetKey);
  }

  /** When to reconcile again (ms); `gone`: the target no longer exists. */
  async reconcile(key: ObjectKey): Promise<Reconciled> {
    const { namespace, name } = key;
    const targetKey = keyString(key);
    const cached = this.d.targets.get(name, namespace);
    if (!cached) return await this.gone(key);
    if (!this.d.ownership.owns(targetKey)) return await this.disown(key);
    const t = this.d.status.fresh("integrationtargets", key, cached);
    const { conn, created } = this.d.connections.obtain(targetKey, t.spec.clusterName);
    const before = stateKey(conn.state.ready, conn.state.reason, conn.state.message, conn.gen);
    const wasReady = conn.state.ready;
    const oldClient = conn.client;
    const options = this.d.connectOptions;
    if (await refreshConnection(conn, t, this.d.lookup(t), options)) {
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
    }
    const judged = await this.judge(t, conn);
    const now = rfc3339(this.d.clock.now());
    // results go on the status only where another replica rolls them up (sharding): with one judging replica
    // they reach the roll-up in memory, and writing them would put a write per target on every change of a
    // shared cluster in front of the Integrations' own status writes
    const status = {
      ...targetStatus(t, state, now),
      judgedBy: this.d.identity,
      ...(this.d.ownership.mode === "single" ? {} : { results: statusResults(judged.results) }),
    };
    const w = await this.d.status.write("integrationtargets", t, status);
    const next = Math.min(requeue, judged.requeueMs);
    if (w && "waitMs" in w) return { requeueAfter: Math.min(next, w.waitMs) };
    return { requeueAfter: next };
  }

  /**
   * The verdict of every enabled Integration that selects `t`: Unknown with the target's reason while it is
   * not connected; else observed. A pair whose caches still list keeps its last result (the roll-up waits
   * for a result of the Integration's current generation). Pairs no longer selected are released.
   * Over 60 lines because the pairs are judged concurrently and the bookkeeping after them (released pairs,
   * changed results, component metrics) must see all of them at once.
   */
  private async judge(
    t: IntegrationTarget,
    conn: Connection,
  ): Promise<{ results: TargetResult[]; requeueMs: number }> {
    const targetKey = conn.targetKey;
    const before = this.judged.get(targetKey) ?? new Map<string, Judged>();
    const after = new Map<string, Judged>();
    const state = conn.state;
    const sk = stateKey(state.ready, state.reason, state.message, conn.gen);
    let requeueMs = Infinity;
    const pending: Promise<void>[] = [];
    for (const sel of this.d.selections.selecting(targetKey)) {
      const integ = this.d.integrations.get(sel.integration.metadata.name ?? "", t.metadata.namespace) ??
        sel.integration;
      if (integ.spec.enabled === false) continue;
      const user = `${sel.key}@${targetKey}`;
      const generation = integ.metadata.generation ?? 0;
      const interval = intervalMs(integ.spec.config?.healthCheckInterval);
      const now = this.d.clock.now();
      const last = before.get(user);
      const keepLast = (j: Judged) => after.set(user, j);
      if (!conn.client || !state.ready) {
        this.d.observer.release(user);
        keepLast({
          at: now,
          generation,
          stateKey: sk,
          result: resultOf(integ, unknownCluster(sel.name, state.reason, state.message)),
        });
        continue;
      }
      // poll mode: each Integration at its own interval (watch mode judges from caches, which is cheap)
      if (
        this.d.polling && last && last.generation === generation && last.stateKey === sk &&
        now - last.at < interval
      ) {
        keepLast(last);
        requeueMs = Math.min(requeueMs, last.at + interval - now);
        continue;
      }
      const tool: ToolRequest = {
        type: integ.spec.type,
        overrides: integ.spec.config?.components ?? [],
        namespaces: toolNamespaces(integ.spec.type, integ.spec.config),
        interval,
      };
      const keep = new Set<string>();
      pending.push(
        this.d.observer.observe(user, sel.name, conn, tool, now, keep).then((r) => {
          this.d.observer.release(user, keep);
          if (r.requeueMs !== undefined) requeueMs = Math.min(requeueMs, r.requeueMs);
          if (r.verdict) keepLast({ at: now, generation, stateKey: sk, result: resultOf(integ, r.verdict) });
          else {
            requeueMs = Math.min(requeueMs, 1_000); // caches still listing
            if (last) keepLast(last);
          }
          // poll mode judges again at the interval; watch mode when its caches say so (changes, recheck)
          if (this.d.polling) requeueMs = Math.min(requeueMs, interval);
        }),
      );
    }
    await Promise.all(pending);
    for (const user of before.keys()) if (!after.has(user)) this.releasePair(user, t);
    this.judged.set(targetKey, after);
    this.results.set(targetKey, new Map([...after.values()].map((j) => [j.result.integration, j.result])));
    this.d.metrics.ownedTargets.set({ replica: this.d.identity }, this.judged.size);
    // the Integrations whose result on this target changed (or went): their roll-ups run
    const changed = new Set<string>();
    for (const user of before.keys()) if (!after.has(user)) changed.add(before.get(user)!.result.integration);
    for (const [user, j] of after) {
      const was = before.get(user)?.result;
      if (was !== j.result && (!was || JSON.stringify(was) !== JSON.stringify(j.result))) {
        changed.add(j.result.integration);
      }
      if (!was || componentKey(was) !== componentKey(j.result)) this.setComponentMetrics(t, j.result);
    }
    if (changed.size) this.d.resultsChanged(targetKey, changed);
    const results = [...after.values()].map((j) => j.result)
      .sort((a, b) => (a.integration < b.integration ? -1 : a.integration > b.integration ? 1 : 0));
    return { results, requeueMs: Number.isFinite(requeueMs) ? Math.max(200, requeueMs) : 60_000 };
  }

  /** ksit_component_healthy of one (Integration, target) pair, from its result. */
  private setComponentMetrics(t: IntegrationTarget, r: TargetResult): void {
    const m = this.d.metrics.componentHealthy;
    const namespace = t.metadata.namespace ?? "";
    const cluster = t.spec.clusterName;
    const integration = r.integration;
    const type = this.d.integrations.get(integration, namespace)?.spec.type ?? "";
    m.removeMatching({ namespace, integration, cluster });
    for (const comp of r.components ?? []) {
      m.set(
        { namespace, integration, type, cluster, component: comp.name, status: comp.status },
        comp.status === "Healthy" ? 1 : 0,
      );
    }
  }

  /** One (Integration, target) pair is no longer judged here: its caches and metrics go. */
  private releasePair(user: string, t: IntegrationTarget): void {
    this.d.observer.release(user);
    const integration = user.slice(user.indexOf("/") + 1, user.indexOf("@"));
    this.d.metrics.componentHealthy.removeMatching({
      namespace: t.metadata.namespace ?? "",
      integration,
      cluster: t.spec.clusterName,
    });
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

  /** The target was deleted: its connection, caches, status memory and metrics go. */
  private async gone(key: ObjectKey): Promise<Reconciled> {
    await this.release(key);
    this.d.status.forget("integrationtargets", key);
    return { gone: true };
  }

  /**
   * Another replica judges the target now: what this one held of it goes (it is enqueued again when the
   * replicas change).
   */
  private async disown(key: ObjectKey): Promise<Reconciled> {
    await this.release(key);
    return {};
  }

  private async release(key: ObjectKey): Promise<void> {
    const targetKey = keyString(key);
    const pairs = this.judged.get(targetKey);
    this.judged.delete(targetKey);
    this.results.delete(targetKey);
    this.d.metrics.ownedTargets.set({ replica: this.d.identity }, this.judged.size);
    for (const user of pairs?.keys() ?? []) this.d.observer.release(user);
    const conn = this.d.connections.get(targetKey);
    if (conn) this.d.log.debug("target released", { target: targetKey });
    await this.d.connections.remove(targetKey);
    this.d.observer.forgetTarget(targetKey);
    this.d.metrics.targetReachable.removeMatching(key);
    this.d.metrics.componentHealthy.removeMatching({
      namespace: key.namespace,
      cluster: conn?.clusterName ?? this.d.targets.get(key.name, key.namespace)?.spec.clusterName ?? "",
    });
  }
}

/** The components' names and statuses (what ksit_component_healthy shows). */
function componentKey(r: TargetResult): string {
  return (r.components ?? []).map((c) => `${c.name}=${c.status}`).join(",");
}

/** A cluster verdict as a target result of `integ`. */
function resultOf(integ: Integration, v: ClusterStatus): TargetResult {
  const { name: _cluster, ...rest } = v;
  return {
    integration: integ.metadata.name ?? "",
    observedGeneration: integ.metadata.generation ?? 0,
    ...(integ.metadata.uid ? { integrationUID: integ.metadata.uid } : {}),
    ...rest,
  };
}

/**
 * The results as the target's status keeps them: a Running result is its phase, reason and message (the roll-up
 * lists components only where something is wrong, checks/rollup.ts, and `kubectl ksit check` shows them all);
 * every component of the others, within RESULTS_BUDGET (beyond it, no components at all). A status written on
 * every change of a cluster's health must stay small: the control plane stores and sends each write to every
 * watcher, N times per fleet-wide change.
 */
export function statusResults(results: TargetResult[]): TargetResult[] {
  const lean = results.map((r) => (r.phase === "Running" ? withoutComponents(r) : r));
  if (JSON.stringify(lean).length <= RESULTS_BUDGET) return lean;
  return results.map(withoutComponents);
}

function withoutComponents(r: TargetResult): TargetResult {
  const { components: _omitted, ...rest } = r;
  return rest;
}

function stateKey(ready: boolean, reason: TargetReason, message: string, gen: number): string {
  return `${ready}|${reason}|${message}|${gen}`;
}
