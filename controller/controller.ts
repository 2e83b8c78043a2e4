/**
 * The reconcile loop of `serve`. Informers on the control plane (Integrations, IntegrationTargets, Secrets of
 * the watched namespace) and shared per (target, namespace) caches on workload clusters only enqueue keys;
 * workers reconcile keys from a de-duplicating queue: `T:<ns>/<name>` (a target's connection and Ready
 * condition) and `I:<ns>/<name>` (an Integration's status). Only the leader writes status and Events.
 *
 * RBAC (control plane, watched namespace; kept in deploy/helm/ksit/files/controller-rbac.yaml):
 * - ksit.io integrations, integrationtargets: list, watch   (informers below)
 * - ksit.io integrations/status, integrationtargets/status: update   (writeStatus)
 * - "" secrets: list, watch   (kubeconfig Secrets informer; the Role also grants get)
 * - "" events: create   (events.ts)
 * - coordination.k8s.io leases: get, create, update   (leader.ts)
 */
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  setHeaderOptions,
  type V1Secret,
  VersionApi,
} from "@kubernetes/client-node";
import { GROUP, VERSION } from "../api/schema.ts";
import type {
  ClusterStatus,
  Integration,
  IntegrationStatus,
  IntegrationTarget,
  IntegrationTargetStatus,
  Phase,
} from "../api/types.ts";
import { INTEGRATION_PHASES } from "../api/schema.ts";
import { judgeCluster, unknownCluster } from "../checks/judge.ts";
import { boundStatus, rollUp } from "../checks/rollup.ts";
import { type ToolNamespaces, toolNamespaces } from "../checks/namespace.ts";
import { needsDaemonSets, needsEndpoints } from "../checks/tools.ts";
import type { DiscoveryOutcome } from "../checks/discovery.ts";
import { mergeSnapshots } from "../checks/snapshot.ts";
import type { ComponentOverride, ToolType } from "../api/types.ts";
import { discover, GatherError, gatherTool, toolFound, type WorkloadReader } from "../checks/gather.ts";
import type { Clock } from "./clock.ts";
import { intervalMs } from "./duration.ts";
import type { EventRecorder } from "./events.ts";
import { Informer } from "./informer.ts";
import { eventFor, selectTargets } from "./integrations.ts";
import { errorCode, errorMessage, type KubeClient } from "./kube.ts";
import type { Logger } from "./log.ts";
import type { ControllerMetrics } from "./metrics.ts";
import type { Semaphore } from "./semaphore.ts";
import { canonicalJson, rfc3339, sameStatus } from "./status.ts";
import {
  type Connection,
  type ConnectOptions,
  nextProbe,
  probe,
  refreshConnection,
  secretRef,
  type TargetState,
  targetStatus,
} from "./targets.ts";
import { Heartbeat, LIVENESS_PROBE_MS } from "./heartbeat.ts";
import type { ServerPolicy } from "./server_policy.ts";
import { CachePool, type WorkloadCache } from "./workload_cache.ts";
import type { Snapshot } from "../checks/snapshot.ts";
import { runWorkers, WorkQueue } from "./workqueue.ts";

export interface ControllerDeps {
  /** The control-plane client. */
  kube: KubeClient;
  clock: Clock;
  log: Logger;
  metrics: ControllerMetrics;
  events: EventRecorder;
  /** The global bound on concurrent API requests, shared with workload-cluster clients. */
  global: Semaphore;
}

export interface ControllerOptions {
  /** The watched namespace (and the Lease's). */
  namespace: string;
  /** Watch Integrations, IntegrationTargets and Secrets in every namespace (needs a ClusterRole). */
  allNamespaces?: boolean;
  concurrency: number;
  requestTimeoutMs: number;
  allowExecAuth: boolean;
  mode: "watch" | "poll";
  /** Whether this instance may write status and Events now (leader election). */
  canWrite: () => boolean;
  /** Liveness probe interval of the control plane. */
  controlPlaneProbeMs?: number;
  /** Which workload API servers may be contacted (`--allowed-servers` / `--denied-servers`). */
  serverPolicy?: ServerPolicy;
  /**
   * Only Secrets with these labels are read and cached (`--secret-selector`, e.g. `ksit.io/kubeconfig=true`,
   * which `kubectl ksit target add` sets). RBAC cannot narrow list/watch by label; this narrows what the
   * controller holds.
   */
  secretSelector?: string;
}

const I = "I:";
const T = "T:";

/** At most one status write per object in this period (flapping is coalesced, see `coalesce`). */
export const STATUS_WRITE_INTERVAL_MS = 1_000;

/** Bytes of status we write: well under etcd's 1.5 MiB object limit, minus what the object already holds. */
const STATUS_MAX_BYTES = 256 * 1024;
const OBJECT_MAX_BYTES = 1_300_000;

function statusBudget(obj: Integration): number {
  const { status: _status, ...rest } = obj;
  const used = new TextEncoder().encode(JSON.stringify(rest)).length;
  return Math.max(8 * 1024, Math.min(STATUS_MAX_BYTES, OBJECT_MAX_BYTES - used));
}

/**
 * How long a discovery result (where a tool lives when it is not in its default namespaces) is reused: the
 * Integration's healthCheckInterval, but at least 5 minutes, so a cluster without the tool costs its
 * discovery lists (1–2 per tool) at most every 5 minutes. A tool installed in a default namespace is seen at
 * once through the watches; one installed elsewhere within this time.
 */
export const DISCOVERY_TTL_MS = 5 * 60_000;
/** After a 403 in an optional default namespace (istio-ingress), the next try to read it. */
export const OPTIONAL_DENIED_RETRY_MS = 5 * 60_000;

/** One target's part of an Integration reconcile in watch mode. */
interface TargetVerdict {
  verdict?: ClusterStatus;
  /** Caches still listing. */
  waiting?: boolean;
  /** Re-judge within this many ms (a cache may turn into trouble then). */
  requeueMs?: number;
}

function splitKey(key: string): { namespace: string; name: string } {
  const [namespace = "", name = ""] = key.slice(2).split("/");
  return { namespace, name };
}

function objKey(prefix: string, o: { metadata?: { namespace?: string; name?: string } }): string {
  return `${prefix}${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
}

export class Controller {
  readonly queue = new WorkQueue({ baseDelayMs: 250, maxDelayMs: 30_000 });
  readonly integrations: Informer<Integration>;
  readonly targets: Informer<IntegrationTarget>;
  readonly secrets: Informer<V1Secret>;
  readonly conns = new Map<string, Connection>();
  readonly pool: CachePool;
  /** Last object written per key, until the informer catches up (avoids 409 storms on stale caches). */
  private readonly written = new Map<
    string,
    { staleRV: string | undefined; obj: Integration | IntegrationTarget }
  >();
  /** When each object's status was last written (ms), for `coalesce`. */
  private readonly lastWrite = new Map<string, number>();
  /** The status the API server refused per Integration (canonical JSON), so it is not sent again. */
  private readonly refused = new Map<string, string>();

  /** The cached object, or what we wrote over it if the cache has not caught up yet. */
  private fresh<O extends Integration | IntegrationTarget>(key: string, cached: O): O {
    const w = this.written.get(key);
    if (w && w.staleRV === cached.metadata.resourceVersion) return w.obj as O;
    this.written.delete(key);
    return cached;
  }
  private workers: Promise<void> | undefined;
  private stopped = false;
  /** Discovery results per `<target>#<gen>/<type>`, and the one running. */
  private readonly discoveries = new Map<
    string,
    { at: number; outcome?: DiscoveryOutcome; running?: Promise<DiscoveryOutcome> }
  >();
  /** Optional namespaces the RBAC refused, per cache key, until this time. */
  private readonly denied = new Map<string, number>();
  private cpTimer: ReturnType<typeof setInterval> | undefined;
  private livenessTimer: ReturnType<typeof setInterval> | undefined;
  private cpDown = false;
  /** The last full verdicts per Integration (`namespace/name`): the status keeps fewer components. */
  private readonly verdicts = new Map<string, ClusterStatus[]>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly deps: ControllerDeps, private readonly opts: ControllerOptions) {
    const { kube, log } = deps;
    const ns = opts.allNamespaces ? "*" : opts.namespace;
    const custom = kube.api(CustomObjectsApi);
    const core = kube.api(CoreV1Api);
    // one namespace (a Role), or every namespace (a ClusterRole with the same rules)
    const scope = opts.allNamespaces ? "" : `/namespaces/${ns}`;
    const listCustom = (plural: string) => () =>
      opts.allNamespaces
        ? custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })
        : custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural });
    this.integrations = new Informer<Integration>({
      name: `integrations ${ns}`,
      client: kube,
      path: `/apis/${GROUP}/${VERSION}${scope}/integrations`,
      list: listCustom("integrations"),
      onChange: (_t, o) => {
        this.queue.add(objKey(I, o));
        this.changed();
      },
      log,
      maxBackoffMs: 5_000,
      warnOnError: true,
    });
    this.targets = new Informer<IntegrationTarget>({
      name: `integrationtargets ${ns}`,
      client: kube,
      path: `/apis/${GROUP}/${VERSION}${scope}/integrationtargets`,
      list: listCustom("integrationtargets"),
      onChange: (_t, o) => {
        this.queue.add(objKey(T, o));
        this.enqueueIntegrations(); // selection and names may have changed
        this.changed();
      },
      log,
      maxBackoffMs: 5_000,
      warnOnError: true,
    });
    const labelSelector = opts.secretSelector || undefined;
    this.secrets = new Informer<V1Secret>({
      name: `secrets ${ns}`,
      client: kube,
      path: `/api/v1${scope}/secrets${
        labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : ""
      }`,
      list: () =>
        opts.allNamespaces
          ? core.listSecretForAllNamespaces({ labelSelector })
          : core.listNamespacedSecret({ namespace: ns, labelSelector }),
      onChange: (_t, s) => {
        for (const t of this.targets.list()) {
          if (secretRef(t).name === s.metadata?.name && t.metadata.namespace === s.metadata?.namespace) {
            this.queue.add(objKey(T, t));
          }
        }
      },
      log,
      maxBackoffMs: 5_000,
      warnOnError: true,
    });
    this.pool = new CachePool(log, (cache, kind) => this.onCache(cache, kind), (targetKey) => {
      // no Integration watches this target any more: neither does its heartbeat
      const conn = this.conns.get(targetKey);
      conn?.heartbeat?.stop();
      if (conn) conn.heartbeat = undefined;
    });
  }

  start(): void {
    this.integrations.start();
    this.targets.start();
    this.secrets.start();
    this.cpTimer = setInterval(() => this.probeControlPlane(), this.opts.controlPlaneProbeMs ?? 5_000);
    this.livenessTimer = setInterval(() => this.checkLiveness(), 500);
    this.workers = runWorkers(
      this.queue,
      this.opts.concurrency,
      (key) => this.reconcile(key),
      (key, e, ms) => {
        this.deps.metrics.reconcileErrors.inc({
          kind: key.startsWith(I) ? "Integration" : "IntegrationTarget",
        });
        // a conflict is optimistic concurrency at work (a stale cache), not a problem worth a warning
        this.deps.log[errorCode(e) === 409 ? "debug" : "warn"]("reconcile failed; retrying", {
          key: key.slice(2),
          error: errorMessage(e),
          code: errorCode(e),
          retryInMs: ms,
        });
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.cpTimer);
    clearInterval(this.livenessTimer);
    for (const c of this.conns.values()) c.heartbeat?.stop();
    this.integrations.stop();
    this.targets.stop();
    this.secrets.stop();
    this.pool.stopAll();
    this.queue.shutdown();
    await this.workers;
  }

  /**
   * GET /version on the control plane; after an outage, restart its informers (their watches may be silently
   * dead, see informer.ts) so changes made meanwhile are seen at once.
   */
  private probing = false;
  private async probeControlPlane(): Promise<void> {
    if (this.probing || this.stopped) return;
    this.probing = true;
    const kube = this.deps.kube;
    try {
      await kube.call("get", () => kube.api(VersionApi).getCode());
      if (this.cpDown) {
        this.cpDown = false;
        this.changed();
        this.deps.log.info("control plane reachable again; restarting its watches");
        for (const i of [this.integrations, this.targets, this.secrets]) i.restart();
      }
    } catch (e) {
      if (!this.cpDown) this.deps.log.warn("control plane unreachable", { error: errorMessage(e) });
      if (!this.cpDown) this.changed();
      this.cpDown = true;
    } finally {
      this.probing = false;
    }
  }

  /** The control-plane caches have listed once. */
  synced(): boolean {
    return this.integrations.synced && this.targets.synced && this.secrets.synced;
  }

  private everSynced = false;

  /**
   * For /readyz: the control-plane caches have been synced once (controller-runtime's WaitForCacheSync
   * semantics). A relist after a control-plane restart does not flip readiness; reconciles still wait for it.
   */
  hasSynced(): boolean {
    this.everSynced ||= this.synced();
    return this.everSynced;
  }

  // ---------------------------------------------------------------- read access (the dashboard, ui/)

  /** The Integrations in the informer's cache (read-only). */
  currentIntegrations(): readonly Integration[] {
    return this.integrations.list();
  }

  /** The IntegrationTargets in the informer's cache (read-only). */
  currentTargets(): readonly IntegrationTarget[] {
    return this.targets.list();
  }

  /** The last full verdicts of Integration `namespace/name` (every component, also of healthy clusters). */
  lastVerdicts(id: string): readonly ClusterStatus[] | undefined {
    return this.verdicts.get(id);
  }

  /** The control plane answered its last probe. */
  controlPlaneReachable(): boolean {
    return !this.cpDown;
  }

  /** `fn` after every change of an Integration, an IntegrationTarget or the control plane's reachability. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Enqueues every object (on becoming leader: write what followers only computed). */
  enqueueAll(): void {
    for (const t of this.targets.list()) this.queue.add(objKey(T, t));
    this.enqueueIntegrations();
  }

  private enqueueIntegrations(): void {
    for (const i of this.integrations.list()) this.queue.add(objKey(I, i));
  }

  private onCache(cache: WorkloadCache, kind: "change" | "state"): void {
    if (this.stopped) return;
    for (const u of cache.users) this.queue.add(u);
    // a watch broke: ask the target's liveness probe (rate-limited in targets.ts) whether the cluster is there
    if (kind === "state" && cache.failing) {
      const conn = this.conns.get(cache.targetKey);
      if (conn?.state.ready) conn.livenessWanted = true;
      this.queue.add(`${T}${cache.targetKey}`);
    }
  }

  /**
   * Every 500 ms: asks a liveness probe of each connected target whose API server heartbeat is late (a new
   * silence at once, a continuing one with backoff), or, where no heartbeat can be watched, every
   * LIVENESS_PROBE_MS. See heartbeat.ts for why.
   */
  private checkLiveness(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    for (const conn of this.conns.values()) {
      const hb = conn.heartbeat;
      if (!hb || !conn.client || !conn.state.ready || conn.livenessWanted) continue;
      let want = false;
      if (hb.late(now)) {
        const fresh = conn.probedSilence !== hb.lastBeat;
        if (fresh) conn.notBefore = 0;
        want = fresh || (conn.notBefore ?? 0) <= now;
        conn.probedSilence = hb.lastBeat;
      } else if (hb.source === "none" && now - (conn.lastLiveness ?? 0) >= LIVENESS_PROBE_MS) {
        conn.lastLiveness = now;
        conn.notBefore = 0;
        want = true;
      }
      if (want) {
        conn.livenessWanted = true;
        this.queue.add(`${T}${conn.targetKey}`);
      }
    }
  }

  private connectOptions(): ConnectOptions {
    return {
      allowExecAuth: this.opts.allowExecAuth,
      timeoutMs: this.opts.requestTimeoutMs,
      metrics: this.deps.metrics,
      global: this.deps.global,
      ...(this.opts.serverPolicy ? { policy: this.opts.serverPolicy } : {}),
      ...(this.opts.secretSelector ? { secretSelector: this.opts.secretSelector } : {}),
    };
  }

  private async reconcile(key: string): Promise<number | undefined> {
    // judging from half-listed control-plane caches would report targets/Secrets as missing
    if (!this.synced()) return 200;
    if (key.startsWith(T)) return await this.reconcileTarget(key);
    return await this.reconcileIntegration(key);
  }

  // ---------------------------------------------------------------- targets

  private async reconcileTarget(key: string): Promise<number | undefined> {
    const { namespace, name } = splitKey(key);
    const targetKey = `${namespace}/${name}`;
    const cached = this.targets.get(name, namespace);
    if (!cached) {
      this.written.delete(key);
      this.lastWrite.delete(key);
      const gone = this.conns.get(targetKey);
      this.conns.delete(targetKey);
      gone?.heartbeat?.stop();
      this.pool.dropStale(targetKey, -1);
      this.forgetTarget(targetKey);
      await gone?.client?.close();
      this.deps.metrics.targetReachable.removeMatching({ namespace, name });
      this.enqueueIntegrations();
      this.queue.drop(key);
      return undefined;
    }
    const t = this.fresh(key, cached);
    let conn = this.conns.get(targetKey);
    const fresh = !conn;
    if (!conn) {
      conn = {
        targetKey,
        clusterName: t.spec.clusterName,
        gen: 0,
        state: { ready: false, reason: "ClusterUnreachable", message: "not checked yet" },
      };
      this.conns.set(targetKey, conn);
    }
    const before = stateKey(conn.state, conn.gen);
    const oldClient = conn.client;
    const secret = this.secrets.get(secretRef(t).name, namespace);
    const options = this.connectOptions();
    if (await refreshConnection(conn, t, secret, options)) {
      // Secret changed or gone: the old connection's heartbeat, caches and sockets go now (the Integrations,
      // enqueued below, start what the new connection needs)
      conn.heartbeat?.stop();
      conn.heartbeat = undefined;
    }
    if (oldClient && oldClient !== conn.client) {
      this.pool.dropStale(targetKey, conn.gen);
      this.forgetTarget(targetKey, conn.gen);
      await oldClient.close();
    }
    let requeue = 60_000; // Secret problems: the Secret informer enqueues on change
    if (conn.client) {
      const hbLate = conn.heartbeat?.late(this.deps.clock.now()) ?? false;
      const next = nextProbe(conn, this.deps.clock.now());
      if (next.probe) {
        await probe(conn, next.probe, this.deps.clock.now(), options);
        // the server answered although its heartbeat was silent: that watch may be dead, open a fresh one
        if (next.probe === "liveness" && conn.state.ready && hbLate) conn.heartbeat?.restart();
      }
      requeue = Math.max(200, nextProbe(conn, this.deps.clock.now()).waitMs ?? 1_000);
    }
    conn.checked = true;
    const state = conn.state;
    if (state.ready && !before.startsWith("true|") && !fresh) {
      // back after an outage: watches may be silently dead (see informer.ts), start them afresh
      const current = CachePool.keyOf(targetKey, conn.gen, "");
      for (const c of this.pool.ofTarget(targetKey)) if (c.key.startsWith(current)) c.restart();
    }
    this.deps.metrics.targetReachable.removeMatching({ namespace, name });
    this.deps.metrics.targetReachable.set(
      { namespace, name, cluster: t.spec.clusterName, reason: state.reason },
      state.ready ? 1 : 0,
    );
    if (fresh || stateKey(state, conn.gen) !== before) {
      this.deps.log.info("target state", {
        target: targetKey,
        cluster: t.spec.clusterName,
        ready: state.ready,
        reason: state.reason,
        message: state.message,
      });
      this.enqueueIntegrations();
    }
    if (this.opts.canWrite()) {
      const status = targetStatus(t, state, rfc3339(this.deps.clock.now()));
      const wait = sameStatus(t.status, status) ? 0 : this.coalesce(key);
      if (wait > 0) return Math.min(requeue, wait);
      if (!sameStatus(t.status, status)) {
        const written = await this.writeStatus("integrationtargets", t, status) as IntegrationTarget;
        this.written.set(key, { staleRV: t.metadata.resourceVersion, obj: written });
        this.deps.metrics.statusWrites.inc({ kind: "IntegrationTarget" });
      }
    }
    return requeue;
  }

  /**
   * The API server heartbeat of a target that some Integration watches (watch mode only: in poll mode each
   * poll's lists are the liveness check).
   */
  private ensureHeartbeat(conn: Connection): void {
    const client = conn.client;
    if (conn.heartbeat || !client || this.opts.mode !== "watch") return;
    const hb = new Heartbeat(client, this.deps.clock, this.deps.log, (kind) => {
      if (this.stopped || conn.client !== client || conn.heartbeat !== hb) return;
      if (kind === "beat") conn.recoverySignal = true;
      this.queue.add(`${T}${conn.targetKey}`);
    });
    conn.heartbeat = hb;
    hb.start();
  }

  // ---------------------------------------------------------------- integrations

  private async reconcileIntegration(key: string): Promise<number | undefined> {
    const { namespace, name } = splitKey(key);
    let obj = this.integrations.get(name, namespace);
    if (!obj) {
      this.pool.releaseExcept(key);
      this.written.delete(key);
      this.lastWrite.delete(key);
      this.refused.delete(key);
      this.verdicts.delete(`${namespace}/${name}`);
      this.dropIntegrationMetrics(namespace, name);
      this.queue.drop(key);
      return undefined;
    }
    obj = this.fresh(key, obj);

    const started = performance.now();
    const now = this.deps.clock.now();
    const enabled = obj.spec.enabled !== false;
    const interval = intervalMs(obj.spec.config?.healthCheckInterval);
    let requeue = interval;
    const clusters: ClusterStatus[] = [];
    const keep = new Set<string>();
    let waiting = false;
    if (enabled) {
      const type = obj.spec.type;
      const overrides = obj.spec.config?.components ?? [];
      const namespaces = toolNamespaces(type, obj.spec.config);
      const timeout = this.opts.requestTimeoutMs;
      const evaluations: Promise<void>[] = [];
      for (const sel of selectTargets(obj, this.targets.list())) {
        if (!sel.target) {
          clusters.push(unknownCluster(
            sel.name,
            "TargetNotFound",
            `no IntegrationTarget with clusterName or name ${sel.name} in namespace ${namespace}`,
          ));
          continue;
        }
        const tKey = `${sel.target.metadata.namespace}/${sel.target.metadata.name}`;
        const conn = this.conns.get(tKey);
        if (!conn?.checked) {
          // not probed yet: the target's reconcile enqueues us when it knows
          this.queue.add(`${T}${tKey}`);
          waiting = true;
          continue;
        }
        if (!conn.client || !conn.state.ready) {
          clusters.push(unknownCluster(sel.name, conn.state.reason, conn.state.message));
          continue;
        }
        if (this.opts.mode === "poll") {
          const client = conn.client;
          evaluations.push(
            gatherTool(workloadReader(client), {
              type,
              overrides,
              namespaces,
              // the same cached discovery as watch mode: a missing tool costs its lists every 5 min at most
              discover: () => this.discovered(conn, type, interval, now),
              timeoutMs: timeout,
            })
              .then(({ snapshot, discovery }) => {
                clusters.push(judgeCluster({ cluster: sel.name, type, snapshot, overrides, discovery }));
              }, (e) => {
                const reason =
                  e instanceof GatherError && (e.reason === "Unauthorized" || e.reason === "Forbidden")
                    ? e.reason
                    : "ClusterUnreachable";
                clusters.push(unknownCluster(sel.name, reason, errorMessage(e)));
                this.queue.add(`${T}${tKey}`);
              }),
          );
          continue;
        }
        // watch mode: one shared cache per namespace; a discovery (cached) only when the tool is not there
        this.ensureHeartbeat(conn);
        evaluations.push(
          this.watchVerdict(key, sel.name, conn, { type, overrides, namespaces, interval }, now, keep).then(
            (r) => {
              if (r.verdict) clusters.push(r.verdict);
              if (r.waiting) waiting = true;
              if (r.requeueMs !== undefined) requeue = Math.min(requeue, r.requeueMs);
            },
          ),
        );
      }
      await Promise.all(evaluations);
    }
    this.pool.releaseExcept(key, keep);
    if (waiting) return Math.min(requeue, 1_000);

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
    this.deps.metrics.checkDuration.observe({ type: obj.spec.type }, (performance.now() - started) / 1000);
    this.updateIntegrationMetrics(obj, status, clusters);
    this.verdicts.set(`${namespace}/${name}`, status.phase === "Disabled" ? [] : clusters);
    if (!this.opts.canWrite() || sameStatus(obj.status, status)) return requeue;
    // the API server refused exactly this status before (a summary stands in for it): not again
    if (this.refused.get(key) === canonicalJson(status)) return requeue;
    const wait = this.coalesce(key);
    if (wait > 0) return Math.min(requeue, wait);

    const written = await this.writeIntegrationStatus(key, obj, status);
    this.deps.metrics.statusWrites.inc({ kind: "Integration" });
    this.written.set(key, { staleRV: obj.metadata.resourceVersion, obj: written });
    const prev = obj.status?.phase as Phase | undefined;
    this.deps.log.info("integration status", {
      integration: `${namespace}/${name}`,
      phase: status.phase,
      previous: prev,
      healthy: status.healthy,
      message: status.message,
    });
    const ev = eventFor(prev, status.phase as Phase);
    if (ev) await this.deps.events.record(written, ev.type, ev.reason, status.message ?? status.phase ?? "");
    return requeue;
  }

  /**
   * Milliseconds until a status of `key` may be written again: at most one write per
   * STATUS_WRITE_INTERVAL_MS, so a flapping component costs one write a second, not one per flap; a real
   * transition is written at most that much later (the reconcile is requeued for it).
   */
  private coalesce(key: string): number {
    const now = this.deps.clock.now();
    const last = this.lastWrite.get(key);
    if (last !== undefined && now - last < STATUS_WRITE_INTERVAL_MS) {
      return STATUS_WRITE_INTERVAL_MS - (now - last);
    }
    this.lastWrite.set(key, now);
    return 0;
  }

  /**
   * Writes an Integration's status. When the API server refuses it for its size or content (413, 422, or
   * etcd's limit), a summary without per-cluster details is written instead and a Warning Event says why,
   * so the object never stays Pending without a word.
   */
  private async writeIntegrationStatus(
    key: string,
    obj: Integration,
    status: IntegrationStatus,
  ): Promise<Integration> {
    try {
      const written = await this.writeStatus("integrations", obj, status) as Integration;
      this.refused.delete(key);
      return written;
    } catch (e) {
      const code = errorCode(e);
      if (code === undefined || code === 409 || code === 429 || (code >= 500 && code !== 500)) throw e;
      const why = errorMessage(e);
      this.deps.log.warn("status write refused; writing a summary", {
        integration: `${obj.metadata.namespace}/${obj.metadata.name}`,
        code,
        error: why,
      });
      await this.deps.events.record(
        obj,
        "Warning",
        "StatusWriteFailed",
        `the status could not be written (HTTP ${code}: ${why}); wrote a summary without per-cluster details`,
      );
      const summary: IntegrationStatus = {
        ...status,
        clusters: [],
        clustersOmitted: (status.clusters?.length ?? 0) + (status.clustersOmitted ?? 0),
      };
      this.refused.set(key, canonicalJson(status));
      return await this.writeStatus("integrations", obj, summary) as Integration;
    }
  }

  /**
   * The verdict on one target from the shared caches of the tool's namespaces: Unknown when a namespace that
   * must be read cannot be (an optional default namespace the RBAC refuses is left out, and retried after
   * OPTIONAL_DENIED_RETRY_MS); waiting while a cache lists; else judged on the merged snapshot. When the tool
   * is not in its default namespaces, the (cached) discovery adds the namespaces its labels place it in.
   */
  private async watchVerdict(
    user: string,
    cluster: string,
    conn: Connection,
    tool: { type: ToolType; overrides: ComponentOverride[]; namespaces: ToolNamespaces; interval: number },
    now: number,
    keep: Set<string>,
  ): Promise<TargetVerdict> {
    const { type, overrides, namespaces } = tool;
    const timeout = this.opts.requestTimeoutMs;
    const client = conn.client!;
    const needs = {
      endpoints: needsEndpoints(type, overrides),
      daemonSets: needsDaemonSets(type, overrides),
    };
    const result: TargetVerdict = {};
    const snapshots: Snapshot[] = [];
    const bad: { trouble?: { reason: string; message: string } } = {};
    const use = (namespace: string, optional: boolean) => {
      const cacheKey = CachePool.keyOf(conn.targetKey, conn.gen, namespace);
      if (optional && (this.denied.get(cacheKey) ?? 0) > now) return;
      const cache = this.pool.acquire(user, conn.targetKey, conn.gen, namespace, client, needs);
      if (optional && cache.forbidden) {
        // not kept: released below unless another Integration holds it
        this.denied.set(cacheKey, now + OPTIONAL_DENIED_RETRY_MS);
        return;
      }
      keep.add(cache.key);
      const t = cache.trouble(now, timeout);
      const left = cache.troubleIn(now, timeout);
      if (left !== undefined) result.requeueMs = Math.min(result.requeueMs ?? Infinity, left + 50);
      if (t) bad.trouble ??= t;
      else if (!cache.synced) result.waiting = true;
      else snapshots.push(cache.snapshot());
    };
    const troubled = () =>
      bad.trouble && { verdict: unknownCluster(cluster, bad.trouble.reason, bad.trouble.message) };
    for (const n of namespaces.namespaces) use(n, namespaces.optional.includes(n));
    if (bad.trouble) return troubled()!;
    if (result.waiting || snapshots.length === 0) return { ...result, waiting: true };
    let snapshot = mergeSnapshots(snapshots);
    if (namespaces.configured || toolFound(type, snapshot, overrides)) {
      return { ...result, verdict: judgeCluster({ cluster, type, snapshot, overrides }) };
    }
    let discovery: DiscoveryOutcome;
    try {
      discovery = await this.discovered(conn, type, tool.interval, now);
    } catch (e) {
      const reason = e instanceof GatherError && e.reason === "Unauthorized"
        ? e.reason
        : "ClusterUnreachable";
      return { verdict: unknownCluster(cluster, reason, errorMessage(e)) };
    }
    const extra = discovery.found.filter((n) => !namespaces.namespaces.includes(n));
    for (const n of extra) use(n, false);
    if (bad.trouble) return troubled()!;
    if (result.waiting) return result;
    snapshot = mergeSnapshots(snapshots);
    return { ...result, verdict: judgeCluster({ cluster, type, snapshot, overrides, discovery }) };
  }

  /** Where `type` lives on this target by its labels: reused for max(interval, DISCOVERY_TTL_MS). */
  private async discovered(conn: Connection, type: ToolType, interval: number, now: number) {
    const key = `${conn.targetKey}#${conn.gen}/${type}`;
    const entry = this.discoveries.get(key) ?? { at: 0 };
    if (entry.outcome && now - entry.at < Math.max(interval, DISCOVERY_TTL_MS)) return entry.outcome;
    if (!entry.running) {
      // RBAC: list deployments/statefulsets/daemonsets in all namespaces (a 403 is reported, not an error)
      entry.running = discover(workloadReader(conn.client!), { type, timeoutMs: this.opts.requestTimeoutMs })
        .then((outcome) => {
          entry.outcome = outcome;
          entry.at = this.deps.clock.now();
          return outcome;
        })
        .finally(() => (entry.running = undefined));
      this.discoveries.set(key, entry);
    }
    return await entry.running;
  }

  /** Forgets discovery results and RBAC refusals of a target (all generations but `keepGen`). */
  private forgetTarget(targetKey: string, keepGen = -1): void {
    const keep = `${targetKey}#${keepGen}/`;
    for (const map of [this.discoveries, this.denied] as Map<string, unknown>[]) {
      for (const k of map.keys()) if (k.startsWith(`${targetKey}#`) && !k.startsWith(keep)) map.delete(k);
    }
  }

  /**
   * JSON merge patch of `status` on the /status subresource, with `metadata.resourceVersion` as a
   * precondition (a stale cache gets 409, as a PUT would). Only the status is sent, not the spec, so a large
   * spec cannot make the request too large; status fields that disappeared are sent as null.
   */
  private async writeStatus(
    plural: "integrations" | "integrationtargets",
    obj: Integration | IntegrationTarget,
    status: IntegrationStatus | IntegrationTargetStatus,
  ): Promise<unknown> {
    const kube = this.deps.kube;
    const { namespace = "", name = "", resourceVersion } = obj.metadata;
    const patch: Record<string, unknown> = { ...status };
    for (const k of Object.keys(obj.status ?? {})) if (!(k in patch)) patch[k] = null;
    // RBAC: integrations/status, integrationtargets/status patch
    return await kube.call("patch", () =>
      kube.api(CustomObjectsApi).patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural,
          name,
          body: { metadata: { resourceVersion }, status: patch },
        },
        setHeaderOptions("Content-Type", "application/merge-patch+json"),
      ));
  }

  /** `clusters`: the full verdicts (status keeps components only where something is wrong). */
  private updateIntegrationMetrics(
    obj: Integration,
    status: IntegrationStatus,
    clusters: ClusterStatus[],
  ): void {
    const m = this.deps.metrics;
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

  private dropIntegrationMetrics(namespace: string, name: string): void {
    this.deps.metrics.integrationPhase.removeMatching({ namespace, name });
    this.deps.metrics.componentHealthy.removeMatching({ namespace, integration: name });
  }
}

function stateKey(s: TargetState, gen: number): string {
  return `${s.ready}|${s.reason}|${s.message}|${gen}`;
}

/** `WorkloadReader` (poll mode, discovery) over a KubeClient: counted, bounded, with the deadline. */
function workloadReader(client: KubeClient): WorkloadReader {
  const apps = client.api(AppsV1Api);
  const disc = client.api(DiscoveryV1Api);
  return {
    listDeployments: async (namespace) =>
      (await client.call("list", () => apps.listNamespacedDeployment({ namespace }))).items,
    listStatefulSets: async (namespace) =>
      (await client.call("list", () => apps.listNamespacedStatefulSet({ namespace }))).items,
    listDaemonSets: async (namespace) =>
      (await client.call("list", () => apps.listNamespacedDaemonSet({ namespace }))).items,
    listEndpointSlices: async (namespace) =>
      (await client.call("list", () => disc.listNamespacedEndpointSlice({ namespace }))).items,
    listAllNamespaces: async (kind, labelSelector) => {
      const q = { labelSelector };
      switch (kind) {
        case "Deployment":
          return (await client.call("list", () => apps.listDeploymentForAllNamespaces(q))).items;
        case "StatefulSet":
          return (await client.call("list", () => apps.listStatefulSetForAllNamespaces(q))).items;
        case "DaemonSet":
          return (await client.call("list", () => apps.listDaemonSetForAllNamespaces(q))).items;
      }
    },
  };
}
