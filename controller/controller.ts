/**
 * The controller of `serve`, wired: informers on the control plane (Integrations, IntegrationTargets, the
 * kubeconfig Secrets of the watched namespace), two work queues of typed keys, and a reconciler per kind —
 * controller/target_reconciler.ts (connection and Ready condition) and controller/integration_reconciler.ts
 * (status). Events only enqueue keys; a key is never reconciled twice at once; each reconcile says when it
 * wants to run again. Events caused by KSIT's own status writes are ignored (their generation and labels do not
 * change), as controller-runtime's GenerationChanged predicate does. Only the leader writes status and Events.
 *
 * RBAC (control plane, watched namespace; kept in deploy/helm/ksit/files/controller-rbac.yaml):
 * - ksit.io integrations, integrationtargets: list, watch   (informers below)
 * - ksit.io integrations/status, integrationtargets/status: patch   (status_writer.ts)
 * - "" secrets: list, watch   (kubeconfig Secrets informer)
 * - "" events: create, patch   (events.ts); list   (ui_source.ts: the dashboard's Events of one Integration)
 * - coordination.k8s.io leases: create; get, update by name   (leader.ts; files/leader-election-rbac.yaml);
 *   with --sharding=dynamic also list, watch, delete   (membership.ts; files/sharding-rbac.yaml)
 * With inventory sources (`--inventory`, `--credentials-from`): what inventory_caches.ts reads in their
 * namespaces, and, to maintain targets, create/patch/delete integrationtargets (inventory_sync.ts).
 */
import { CoreV1Api, CustomObjectsApi, VersionApi } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../api/schema.ts";
import type { ClusterStatus, Integration, IntegrationTarget } from "../api/types.ts";
import type { ClusterClient } from "../kube/client.ts";
import { errorCode, errorMessage } from "../kube/errors.ts";
import { Informer } from "../kube/informer.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/log.ts";
import type { Semaphore } from "../util/semaphore.ts";
import { Connections } from "./connections.ts";
import type { EventRecorder } from "./events.ts";
import { IntegrationReconciler } from "./integration_reconciler.ts";
import { keyOf, keyString, type ObjectKey, parseKey } from "./keys.ts";
import type { ControllerMetrics } from "./metrics.ts";
import { Discoveries, type Observer, PollObserver, WatchObserver } from "./observer.ts";
import type { Reconciled } from "./reconciled.ts";
import { SpecOrLabelsChanged } from "./predicates.ts";
import type { ServerPolicy } from "./server_policy.ts";
import { StatusWriter } from "./status_writer.ts";
import { TargetReconciler } from "./target_reconciler.ts";
import { type InventorySource, SOURCE_OBJECT_ANNOTATION } from "../api/labels.ts";
import { targetOrigin } from "../kube/inventory.ts";
import { InventoryCaches, inventoryFlag, type InventoryOptions } from "./inventory_caches.ts";
import { InventorySync } from "./inventory_sync.ts";
import { type CachedSecret, type CredentialLookup, profileRef, projectSecret, secretRef } from "./targets.ts";
import { CachePool } from "./workload_cache.ts";
import { runWorkers, WorkQueue } from "./workqueue.ts";
import { Selections } from "./selections.ts";
import type { Ownership } from "./sharding.ts";

export interface ControllerDeps {
  /** The control-plane client. */
  kube: ClusterClient;
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
  /** Reconciles of each kind at once. */
  concurrency: number;
  requestTimeoutMs: number;
  allowExecAuth: boolean;
  mode: "watch" | "poll";
  /** Whether this instance writes Integration status and Events now (the leader, or the only replica). */
  canWrite: () => boolean;
  /** Which IntegrationTargets this replica judges (controller/sharding.ts). */
  ownership: Ownership;
  /** This replica's identity (the IntegrationTargets' status.judgedBy). */
  identity: string;
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
  /**
   * Fleet inventories to read (`--credentials-from`) and maintain targets from (`--inventory`), per source:
   * their namespaces. Targets are made in `namespace`.
   */
  inventories?: InventoryOptions;
}

/** The one key of the inventory sync's queue. */
const INVENTORY_KEY = "inventory";

const QUEUE_BACKOFF = { baseDelayMs: 250, maxDelayMs: 30_000 };

/**
 * IntegrationTarget reconciles at once per unit of `--concurrency`: each waits mostly on the network (a probe,
 * its status write on the control plane), and a failure shared by many clusters (one bad upgrade everywhere)
 * re-judges them all at once. Requests to workload clusters stay bounded by the global semaphore (serve.ts).
 * Measured at 1,000 targets with sharding's per-target result writes: 16 workers (4 per unit) detected a
 * failure of 333 targets faster than 64, which only queued more writes on the control plane at once.
 */
export const TARGET_WORKERS_PER_CONCURRENCY = 4;

/**
 * A roll-up runs this long after the first new result of a target it selects: a change seen by many targets
 * at once (one bad upgrade on a shared cluster, a first start) is rolled up once, not once per target.
 */
const ROLLUP_BATCH_MS = 100;

/** What the control-plane informers share: the namespace watched (or every one) and how to list there. */
interface InformerScope {
  ns: string;
  /** `base` + `/namespaces/<ns>` (or nothing, for every namespace) + `/` + `plural`. */
  path: (base: string, plural: string) => string;
  listCustom: <T>(plural: string) => () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  common: {
    client: ClusterClient;
    log: Logger;
    clock: Clock;
    maxBackoffMs: number;
    warnOnError: boolean;
    project: typeof slim;
  };
}

function informerScope(deps: ControllerDeps, opts: ControllerOptions): InformerScope {
  const { kube, log, clock } = deps;
  const ns = opts.allNamespaces ? "*" : opts.namespace;
  const custom = kube.api(CustomObjectsApi);
  // one namespace (a Role), or every namespace (a ClusterRole with the same rules)
  const scope = opts.allNamespaces ? "" : `/namespaces/${ns}`;
  return {
    ns,
    path: (base, plural) => `${base}${scope}/${plural}`,
    listCustom: (plural) => () =>
      opts.allNamespaces
        ? custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })
        : custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural }),
    common: { client: kube, log, clock, maxBackoffMs: 5_000, warnOnError: true, project: slim },
  };
}

export class Controller {
  readonly integrations: Informer<Integration>;
  readonly targets: Informer<IntegrationTarget>;
  readonly secrets: Informer<CachedSecret>;
  private readonly integrationQueue = new WorkQueue(QUEUE_BACKOFF);
  private readonly targetQueue = new WorkQueue(QUEUE_BACKOFF);
  private readonly inventoryQueue = new WorkQueue(QUEUE_BACKOFF);
  /** The inventory sources' caches, when any is configured. */
  readonly inventory: InventoryCaches | undefined;
  private readonly inventorySync: InventorySync | undefined;
  private readonly connections: Connections;
  private readonly observer: Observer;
  private readonly integrationReconciler: IntegrationReconciler;
  private readonly targetReconciler: TargetReconciler;
  private readonly integrationChanged = new SpecOrLabelsChanged();
  private readonly selections: Selections;
  private readonly targetChanged = new SpecOrLabelsChanged();
  private workers: Promise<void>[] = [];
  private stopped = false;
  private cpTimer: ReturnType<typeof setInterval> | undefined;
  private cpDown = false;
  private probing = false;
  private everListed = false;
  /** The dashboard's (ui/) listeners: see onChange. */
  private readonly listeners = new Set<() => void>();

  constructor(private readonly deps: ControllerDeps, private readonly opts: ControllerOptions) {
    const { kube, log, clock, metrics } = deps;
    const scope = informerScope(deps, opts);
    this.integrations = this.integrationInformer(scope);
    this.targets = this.targetInformer(scope);
    this.secrets = this.secretInformer(scope);
    const inventory = this.inventorySources();
    this.inventory = inventory.caches;
    this.inventorySync = inventory.sync;

    this.selections = new Selections(this.integrations, this.targets);
    this.connections = new Connections({ clock, log }, (t) => this.enqueueTarget(t), opts.mode === "watch");
    this.observer = this.createObserver();
    const status = new StatusWriter({ kube, clock, log, events: deps.events, metrics });
    this.targetReconciler = new TargetReconciler({
      targets: this.targets,
      lookup: (t) => this.lookup(t),
      connections: this.connections,
      observer: this.observer,
      status,
      clock,
      log,
      metrics,
      connectOptions: {
        allowExecAuth: opts.allowExecAuth,
        timeoutMs: opts.requestTimeoutMs,
        metrics,
        global: deps.global,
        ...(opts.serverPolicy ? { policy: opts.serverPolicy } : {}),
        ...(opts.secretSelector ? { secretSelector: opts.secretSelector } : {}),
      },
      integrations: this.integrations,
      selections: this.selections,
      ownership: opts.ownership,
      identity: opts.identity,
      polling: opts.mode === "poll",
      resultsChanged: (targetKey, integrations) => this.rollUpSoon(targetKey, integrations),
    });
    this.integrationReconciler = new IntegrationReconciler({
      integrations: this.integrations,
      targets: this.targets,
      selections: this.selections,
      localResults: (targetKey) => this.targetReconciler.resultsOf(targetKey),
      status,
      events: deps.events,
      clock,
      log,
      metrics,
      canWrite: opts.canWrite,
    });
  }

  /** Integrations: a change of spec or labels is reconciled, and the owners judge it on their targets. */
  private integrationInformer({ ns, path, listCustom, common }: InformerScope): Informer<Integration> {
    return new Informer<Integration>({
      ...common,
      name: `integrations ${ns}`,
      path: path(`/apis/${GROUP}/${VERSION}`, "integrations"),
      list: listCustom("integrations"),
      onChange: (type, o) => {
        this.changed(); // the dashboard shows KSIT's own status writes too
        if (!this.integrationChanged.worth(type, o)) return; // its own status write
        this.selections.invalidate();
        this.enqueueIntegration(keyOf(o));
        // the owners judge it on their targets (the ones it selects now or selected before)
        this.enqueueOwnedTargets(o.metadata.namespace ?? "");
      },
    });
  }

  /** IntegrationTargets: a change of spec or labels is reconciled; a status (a replica's results) rolled up. */
  private targetInformer({ ns, path, listCustom, common }: InformerScope): Informer<IntegrationTarget> {
    return new Informer<IntegrationTarget>({
      ...common,
      name: `integrationtargets ${ns}`,
      path: path(`/apis/${GROUP}/${VERSION}`, "integrationtargets"),
      list: listCustom("integrationtargets"),
      onChange: (type, o) => {
        this.changed();
        if (this.targetChanged.worth(type, o)) {
          // a hand-written target gone or an inventory target edited: the sync decides again (not on status
          // writes: the results the owners write change no inventory decision)
          this.requestInventorySync();
          // added, deleted, spec or labels: selection and names may have changed
          this.selections.invalidate();
          this.enqueueTarget(keyString(keyOf(o)));
          this.enqueueIntegrations(o.metadata.namespace ?? "");
          return;
        }
        // its status (a replica's results): the roll-up of the Integrations that select it (not for a target
        // judged here: its results reached the roll-up before they were written)
        const targetKey = keyString(keyOf(o));
        if (!this.opts.ownership.owns(targetKey)) this.rollUpSoon(targetKey);
        // a target judged here whose status another replica wrote (with --sharding=dynamic, one that took it
        // for its own while the member lists disagreed: a replica starting, a lease expiring): written again,
        // else that replica's judgedBy and results would stay until this one's next change. Not in the other
        // modes, where two writers are a misconfiguration and would only take turns.
        else if (
          this.opts.ownership.mode === "dynamic" && type !== "delete" && o.status?.judgedBy &&
          o.status.judgedBy !== this.opts.identity
        ) {
          this.enqueueTarget(targetKey);
        }
      },
    });
  }

  /** The kubeconfig Secrets (only the values a kubeconfig can be; only the labelled ones when asked). */
  private secretInformer({ ns, path, common }: InformerScope): Informer<CachedSecret> {
    const { opts } = this;
    const core = this.deps.kube.api(CoreV1Api);
    const labelSelector = opts.secretSelector || undefined;
    return new Informer<CachedSecret>({
      ...common,
      project: projectSecret, // only the values a kubeconfig can be
      name: `secrets ${ns}`,
      path: `${path("/api/v1", "secrets")}${
        labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : ""
      }`,
      list: () =>
        opts.allNamespaces
          ? core.listSecretForAllNamespaces({ labelSelector })
          : core.listNamespacedSecret({ namespace: ns, labelSelector }),
      onChange: (_type, s) => this.secretChanged(s),
    });
  }

  /** The inventory sources' caches, and their sync when a source writes targets. */
  private inventorySources(): { caches?: InventoryCaches; sync?: InventorySync } {
    const { kube, log, clock, metrics } = this.deps;
    let caches: InventoryCaches | undefined;
    let sync: InventorySync | undefined;
    const sources = this.opts.inventories ?? {};
    if (Object.values(sources).some((o) => (o?.namespaces.length ?? 0) > 0)) {
      caches = new InventoryCaches({ kube, log, clock }, sources, (kind, o) => {
        if (kind === "secret") this.secretChanged(o);
        if (kind === "profile") this.profileChanged(o);
        // an Argo CD cluster Secret, a Cluster or a ClusterProfile: an inventory entry
        if (kind !== "secret" || sources.argocd?.sync) this.requestInventorySync();
      });
      if (Object.values(sources).some((o) => o?.sync)) {
        sync = new InventorySync({
          kube,
          log,
          metrics,
          events: this.deps.events,
          targets: this.targets,
          caches,
          namespace: this.opts.namespace,
        });
      }
    }

    return { caches, sync };
  }

  /** How the targets are observed: shared watch caches, or a gather per check (--mode=poll). */
  private createObserver(): Observer {
    const { log, clock } = this.deps;
    const { opts } = this;
    const discoveries = new Discoveries(clock, opts.requestTimeoutMs);
    if (opts.mode === "poll") {
      return new PollObserver(discoveries, opts.requestTimeoutMs, (t) => this.enqueueTarget(t));
    } else {
      const pool = new CachePool(log, clock, (cache, kind) => {
        if (this.stopped) return;
        // users are (Integration, target) pairs; the target's reconcile judges its Integrations
        this.enqueueTarget(cache.targetKey);
        // a watch broke: the target's liveness probe says whether the cluster is still there
        if (kind === "state" && cache.failing) this.connections.watchFailed(cache.targetKey);
      }, (targetKey) => {
        // no Integration watches this target any more: neither does its heartbeat
        this.connections.stopHeartbeat(this.connections.get(targetKey));
      });
      return new WatchObserver(
        pool,
        discoveries,
        opts.requestTimeoutMs,
        (conn) => this.connections.ensureHeartbeat(conn),
      );
    }
  }

  start(): void {
    this.integrations.start();
    this.targets.start();
    this.secrets.start();
    this.inventory?.start().catch((e) =>
      this.deps.log.error("inventory caches did not start", { error: errorMessage(e) })
    );
    this.connections.start();
    this.cpTimer = setInterval(() => this.probeControlPlane(), this.opts.controlPlaneProbeMs ?? 5_000);
    this.workers = [
      this.run("Integration", this.integrationQueue, (k) => this.integrationReconciler.reconcile(k)),
      // target reconciles wait on the network (probes, status writes): more of them at once
      this.run(
        "IntegrationTarget",
        this.targetQueue,
        (k) => this.targetReconciler.reconcile(k),
        this.opts.concurrency * TARGET_WORKERS_PER_CONCURRENCY,
      ),
    ];
    if (this.inventorySync) this.workers.push(this.runInventorySync(this.inventorySync));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.cpTimer);
    this.connections.stop();
    this.integrations.stop();
    this.targets.stop();
    this.secrets.stop();
    this.inventory?.stop();
    this.observer.stop();
    this.integrationQueue.shutdown();
    this.targetQueue.shutdown();
    this.inventoryQueue.shutdown();
    await Promise.all(this.workers);
  }

  /** The control-plane caches hold a complete list right now. */
  cachesListed(): boolean {
    return this.integrations.synced && this.targets.synced && this.secrets.synced &&
      (this.inventory?.synced() ?? true);
  }

  /**
   * For /readyz: the control-plane caches have been listed once (controller-runtime's WaitForCacheSync
   * semantics). A relist after a control-plane restart does not flip readiness; reconciles still wait for it.
   */
  listedOnce(): boolean {
    this.everListed ||= this.cachesListed();
    return this.everListed;
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
    return this.integrationReconciler.lastVerdicts(id);
  }

  /** The control plane answered its last probe. */
  controlPlaneReachable(): boolean {
    return !this.cpDown;
  }

  /**
   * `fn` after every change of an Integration or an IntegrationTarget (KSIT's own status writes included) or
   * of the control plane's reachability; returns the unsubscribe.
   */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /**
   * Enqueues every object: on becoming leader (roll up what others judged) and when the replicas change (each
   * takes up or lets go of its share).
   */
  enqueueAll(): void {
    for (const t of this.targets.list()) this.enqueueTarget(keyString(keyOf(t)));
    this.enqueueIntegrations();
    this.requestInventorySync();
  }

  private requestInventorySync(): void {
    if (this.inventorySync) this.inventoryQueue.add(INVENTORY_KEY);
  }

  /** A Secret changed: the targets that name it. */
  private secretChanged(s: { metadata?: { namespace?: string; name?: string } }): void {
    for (const t of this.targets.list()) {
      const ref = secretRef(t);
      if (ref.name === s.metadata?.name && ref.namespace === s.metadata?.namespace) {
        this.enqueueTarget(keyString(keyOf(t)));
      }
    }
  }

  /** A ClusterProfile changed: the targets that name it. */
  private profileChanged(p: { metadata?: { namespace?: string; name?: string } }): void {
    for (const t of this.targets.list()) {
      const ref = profileRef(t);
      if (ref && ref.name === p.metadata?.name && ref.namespace === p.metadata?.namespace) {
        this.enqueueTarget(keyString(keyOf(t)));
      }
    }
  }

  /**
   * A target's Secret and ClusterProfile from the caches. A Secret of the target's own namespace comes from the
   * kubeconfig Secret informer (or an inventory's there); one of another namespace only from an inventory
   * source's namespace — nowhere else, even with --all-namespaces (a target must not borrow any Secret the
   * controller can read).
   */
  private lookup(t: IntegrationTarget): CredentialLookup {
    const ns = t.metadata.namespace ?? "";
    const ref = secretRef(t);
    const out: CredentialLookup = {};
    const inv = this.inventory;
    if (ref.namespace === ns) {
      out.secret = this.secrets.get(ref.name, ns) ?? inv?.secret(ns, ref.name);
    } else if (inv?.readsSecretsIn(ref.namespace)) {
      out.secret = inv.secret(ref.namespace, ref.name);
    } else if (t.spec.clusterProfileRef) {
      // KEP-5339's secret readers read the consumer's namespace: KSIT reads no Secrets of the profiles'
      out.secretUnread = `serve reads the credentials of ClusterProfile targets in its own namespace ` +
        `(KEP-5339's consumer namespace), not in ${ref.namespace}: store the Secret in ${ns}`;
    } else {
      const origin = targetOrigin(t).source;
      const source: InventorySource = origin ?? (ref.format === "argocd" ? "argocd" : "capi");
      out.secretUnread = `serve reads no Secrets of namespace ${ref.namespace} (a target may name a Secret ` +
        `of another namespace only where serve reads an inventory source): run it with ` +
        inventoryFlag(source, ref.namespace);
    }
    const pref = profileRef(t);
    if (pref) {
      out.profile = inv?.readsProfilesIn(pref.namespace)
        ? { object: inv.profile(pref.namespace, pref.name) }
        : {
          unread: `serve reads no ClusterProfiles of namespace ${pref.namespace}: run it with ` +
            inventoryFlag("clusterprofile", pref.namespace),
        };
    }
    return out;
  }

  /**
   * The inventory sync's loop: one pass at a time, only with every cache listed and only where status is
   * written (the leader); on becoming leader, enqueueAll asks for a pass.
   */
  private runInventorySync(sync: InventorySync): Promise<void> {
    return runWorkers(this.inventoryQueue, 1, async () => {
      if (!this.cachesListed()) return 200;
      if (!this.opts.canWrite()) return undefined;
      return await sync.sync();
    }, (_key, e, ms) => {
      this.deps.metrics.reconcileErrors.inc({ kind: "Inventory" });
      this.deps.log.warn("inventory sync failed; retrying", {
        error: errorMessage(e),
        code: errorCode(e),
        retryInMs: ms,
      });
    });
  }

  private enqueueIntegration(key: ObjectKey): void {
    this.integrationQueue.add(keyString(key));
  }

  /** The roll-up of the Integrations that select `targetKey` (or only those named), batched (ROLLUP_BATCH_MS). */
  private rollUpSoon(targetKey: string, only?: ReadonlySet<string>): void {
    for (const sel of this.selections.selecting(targetKey)) {
      if (only && !only.has(sel.integration.metadata.name ?? "")) continue;
      this.integrationQueue.addAfter(sel.key, ROLLUP_BATCH_MS);
    }
  }

  private enqueueIntegrations(namespace?: string): void {
    for (const i of this.integrations.list(namespace)) this.enqueueIntegration(keyOf(i));
  }

  /** The targets of `namespace` this replica judges (or did: it lets go of them in their reconcile). */
  private enqueueOwnedTargets(namespace: string): void {
    for (const t of this.targets.list(namespace)) {
      const key = keyString(keyOf(t));
      if (this.opts.ownership.owns(key) || this.connections.get(key)) this.enqueueTarget(key);
    }
  }

  private enqueueTarget(targetKey: string): void {
    this.targetQueue.add(targetKey);
  }

  private async run(
    kind: "Integration" | "IntegrationTarget",
    queue: WorkQueue,
    reconcile: (key: ObjectKey) => Promise<Reconciled>,
    workers = this.opts.concurrency,
  ): Promise<void> {
    await runWorkers(queue, workers, async (key) => {
      // judging from half-listed control-plane caches would report targets/Secrets as missing
      if (!this.cachesListed()) return 200;
      const r = await reconcile(parseKey(key));
      if (r.gone) queue.drop(key);
      return r.requeueAfter;
    }, (key, e, ms) => {
      this.deps.metrics.reconcileErrors.inc({ kind });
      // a conflict is optimistic concurrency at work (a stale cache), not a problem worth a warning
      this.deps.log[errorCode(e) === 409 ? "debug" : "warn"]("reconcile failed; retrying", {
        kind,
        key,
        error: errorMessage(e),
        code: errorCode(e),
        retryInMs: ms,
      });
    });
  }

  /**
   * GET /version on the control plane; after an outage, restart its informers (a watch on a server that went
   * away may stay silent until its inactivity timeout, see kube/informer.ts) so changes made meanwhile are seen
   * at once.
   */
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
        this.inventory?.restart();
      }
    } catch (e) {
      if (!this.cpDown) this.deps.log.warn("control plane unreachable", { error: errorMessage(e) });
      if (!this.cpDown) this.changed();
      this.cpDown = true;
    } finally {
      this.probing = false;
    }
  }
}

/**
 * Integrations and IntegrationTargets as cached: without `managedFields` and annotations (kubectl's
 * last-applied-configuration alone doubles an object), but the inventory sync's own one.
 */
function slim<T extends { metadata?: object }>(o: T): T {
  if (!o.metadata) return o;
  const { managedFields: _m, annotations, ...metadata } = o.metadata as Record<string, unknown>;
  const source = (annotations as Record<string, string> | undefined)?.[SOURCE_OBJECT_ANNOTATION];
  return {
    ...o,
    metadata: source === undefined
      ? metadata
      : { ...metadata, annotations: { [SOURCE_OBJECT_ANNOTATION]: source } },
  };
}
