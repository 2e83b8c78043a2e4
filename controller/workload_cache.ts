/**
 * Shared, reference-counted caches of one namespace of one workload cluster: Deployments and, when some user's
 * tool can have them (checks/tools.ts needs*), StatefulSets, DaemonSets and EndpointSlices. Several Integrations checking the same cluster and
 * namespace share one cache; it is stopped when the last of them releases it. A change enqueues every user.
 *
 * RBAC on the workload cluster (deploy/: workload-cluster RBAC): list, watch on apps deployments,
 * statefulsets and daemonsets and discovery.k8s.io endpointslices in the tool namespaces.
 */
import {
  AppsV1Api,
  DiscoveryV1Api,
  type V1DaemonSet,
  type V1Deployment,
  type V1EndpointSlice,
  type V1StatefulSet,
} from "@kubernetes/client-node";
import type { Snapshot } from "../checks/snapshot.ts";
import {
  projectDaemonSet,
  projectDeployment,
  projectEndpointSlice,
  projectStatefulSet,
} from "../checks/projection.ts";
import { Informer, type ObjectLike } from "../kube/informer.ts";
import type { ClusterClient } from "../kube/client.ts";
import { clusterReason, errorMessage } from "../kube/errors.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/log.ts";

type InformerState = Pick<
  Informer<ObjectLike>,
  "synced" | "established" | "disconnectedSince" | "lastError" | "restart" | "stop"
>;

export interface CacheTrouble {
  reason: "ClusterUnreachable" | "Unauthorized" | "Forbidden";
  message: string;
}

/** What `WorkloadCache.read` gives: trouble, still listing, or the snapshot (one of the three). */
export interface CacheRead {
  trouble?: CacheTrouble;
  listing?: boolean;
  snapshot?: Snapshot;
  recheckInMs?: number;
}

export class WorkloadCache {
  readonly users = new Set<string>();
  readonly createdAt: number;
  /**
   * Counts every change of content or informer state: a verdict judged at one version holds as long as the
   * version stays (controller/observer.ts reuses it instead of judging the same objects again).
   */
  version = 0;
  private readonly deployments: Informer<V1Deployment>;
  private statefulSets: Informer<V1StatefulSet> | undefined;
  private slices: Informer<V1EndpointSlice> | undefined;
  private daemonSets: Informer<V1DaemonSet> | undefined;

  constructor(
    readonly key: string,
    readonly targetKey: string,
    readonly namespace: string,
    private readonly client: ClusterClient,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly notify: (cache: WorkloadCache, kind: "change" | "state") => void,
  ) {
    this.createdAt = clock.now();
    const apps = client.api(AppsV1Api);
    this.deployments = this.informer<V1Deployment>(
      "deployments",
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
      () => apps.listNamespacedDeployment({ namespace }),
      projectDeployment,
    );
  }

  private informer<T extends ObjectLike>(
    resource: string,
    path: string,
    list: () => Promise<{ items: T[] }>,
    project: (o: T) => T,
  ): Informer<T> {
    // the cache keeps what the judges read (checks/projection.ts), not whole objects
    const inf = new Informer<T>({
      name: `${resource} ${this.key}`,
      client: this.client,
      path,
      list,
      project,
      onChange: () => {
        this.version++;
        this.notify(this, "change");
      },
      onState: () => {
        this.version++;
        this.notify(this, "state");
      },
      log: this.log,
      clock: this.clock,
    });
    inf.start();
    return inf;
  }

  /** Adds the StatefulSet informer (once some user's tool can have StatefulSet components). */
  ensureStatefulSets(): void {
    if (this.statefulSets) return;
    const apps = this.client.api(AppsV1Api);
    const namespace = this.namespace;
    this.statefulSets = this.informer<V1StatefulSet>(
      "statefulsets",
      `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
      () => apps.listNamespacedStatefulSet({ namespace }),
      projectStatefulSet,
    );
  }

  /** Adds the EndpointSlice informer (once some user's tool needs Service endpoints). */
  ensureEndpoints(): void {
    if (this.slices) return;
    const disc = this.client.api(DiscoveryV1Api);
    const namespace = this.namespace;
    this.slices = this.informer<V1EndpointSlice>(
      "endpointslices",
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
      () => disc.listNamespacedEndpointSlice({ namespace }),
      projectEndpointSlice,
    );
  }

  /** Adds the DaemonSet informer (once some user's tool can have DaemonSet components). */
  ensureDaemonSets(): void {
    if (this.daemonSets) return;
    const apps = this.client.api(AppsV1Api);
    const namespace = this.namespace;
    this.daemonSets = this.informer<V1DaemonSet>(
      "daemonsets",
      `/apis/apps/v1/namespaces/${namespace}/daemonsets`,
      () => apps.listNamespacedDaemonSet({ namespace }),
      projectDaemonSet,
    );
  }

  private get informers(): InformerState[] {
    const all: InformerState[] = [this.deployments];
    if (this.statefulSets) all.push(this.statefulSets);
    if (this.daemonSets) all.push(this.daemonSets);
    if (this.slices) all.push(this.slices);
    return all;
  }

  /** Some informer was refused (403) and none of them has listed since: the RBAC does not allow this namespace. */
  get forbidden(): boolean {
    return this.informers.some((i) =>
      !i.synced && i.lastError !== undefined && clusterReason(i.lastError) === "Forbidden"
    );
  }

  /** Every informer has listed once. */
  get synced(): boolean {
    return this.informers.every((i) => i.synced);
  }

  /**
   * What a reconcile can use of this cache now, in one call: `trouble` when an informer has not listed, or has
   * had no watch, for longer than `timeoutMs` (the cache cannot be trusted); `listing` while it lists within
   * that deadline; else the `snapshot`. `recheckInMs`: when a disconnection would turn into trouble.
   */
  read(now: number, timeoutMs: number): CacheRead {
    const state = this.state(now, timeoutMs);
    return state.trouble || state.listing ? state : { ...state, snapshot: this.snapshot() };
  }

  /** `read` without the snapshot (which copies the lists): trouble, listing, or neither (usable). */
  state(now: number, timeoutMs: number): Omit<CacheRead, "snapshot"> {
    const recheckInMs = this.troubleIn(now, timeoutMs);
    const trouble = this.trouble(now, timeoutMs);
    const at = recheckInMs === undefined ? {} : { recheckInMs };
    if (trouble) return { trouble, ...at };
    if (!this.synced) return { listing: true, ...at };
    return at;
  }

  private trouble(now: number, timeoutMs: number): CacheTrouble | undefined {
    for (const i of this.informers) {
      const since = i.synced ? i.disconnectedSince : (i.disconnectedSince ?? this.createdAt);
      if (since === undefined || now - since < timeoutMs) continue;
      const err = i.lastError;
      const reason = err === undefined ? "ClusterUnreachable" : clusterReason(err);
      const what = err === undefined ? "no watch established" : errorMessage(err);
      return {
        reason,
        message: `cannot watch workloads in namespace ${this.namespace}: ${what}`,
      };
    }
    return undefined;
  }

  /** Milliseconds until `trouble` could first report for the current disconnection, if disconnected. */
  private troubleIn(now: number, timeoutMs: number): number | undefined {
    let min: number | undefined;
    for (const i of this.informers) {
      const since = i.synced ? i.disconnectedSince : (i.disconnectedSince ?? this.createdAt);
      if (since === undefined) continue;
      const left = Math.max(0, since + timeoutMs - now);
      min = min === undefined ? left : Math.min(min, left);
    }
    return min;
  }

  /** Some informer has an error right now. */
  get failing(): boolean {
    return this.informers.some((i) => i.lastError !== undefined && !i.established);
  }

  /** The cached objects now (projections: checks/projection.ts). */
  snapshot(): Snapshot {
    return {
      namespace: this.namespace,
      deployments: [...this.deployments.list()],
      statefulSets: this.statefulSets ? [...this.statefulSets.list()] : [],
      ...(this.daemonSets ? { daemonSets: [...this.daemonSets.list()] } : {}),
      ...(this.slices ? { endpointSlices: [...this.slices.list()] } : {}),
    };
  }

  /** Fresh list+watch on every informer (the cluster was unreachable and is back). */
  restart(): void {
    for (const i of this.informers) i.restart();
  }

  stop(): void {
    for (const i of this.informers) i.stop();
  }
}

/** The caches of all workload clusters, keyed by target, connection generation and namespace. */
export class CachePool {
  private readonly caches = new Map<string, WorkloadCache>();
  /** Cache keys per target, and per user: a release or a drop looks at those, not at every cache of the fleet. */
  private readonly byTarget = new Map<string, Set<string>>();
  private readonly byUser = new Map<string, Set<string>>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    /** Called with the users of a cache that changed (enqueue them) and the kind of change. */
    private readonly notify: (cache: WorkloadCache, kind: "change" | "state") => void,
    /** Called when the last cache of a target is stopped. */
    private readonly onTargetIdle: (targetKey: string) => void = () => {},
  ) {}

  private forget(key: string, c: WorkloadCache): void {
    c.stop();
    this.caches.delete(key);
    for (const user of c.users) unindex(this.byUser, user, key);
    if (unindex(this.byTarget, c.targetKey, key)) this.onTargetIdle(c.targetKey);
  }

  static keyOf(targetKey: string, gen: number, namespace: string): string {
    return `${targetKey}#${gen}/${namespace}`;
  }

  /** The cache for `user` (an Integration key) on this target connection and namespace, created on demand. */
  acquire(
    user: string,
    targetKey: string,
    gen: number,
    namespace: string,
    client: ClusterClient,
    needs: { endpoints: boolean; daemonSets: boolean; statefulSets: boolean },
  ): WorkloadCache {
    const key = CachePool.keyOf(targetKey, gen, namespace);
    let c = this.caches.get(key);
    if (!c) {
      c = new WorkloadCache(key, targetKey, namespace, client, this.log, this.clock, this.notify);
      this.caches.set(key, c);
      index(this.byTarget, targetKey, key);
      this.log.debug("workload cache started", { cache: key });
    }
    if (needs.endpoints) c.ensureEndpoints();
    if (needs.daemonSets) c.ensureDaemonSets();
    if (needs.statefulSets) c.ensureStatefulSets();
    c.users.add(user);
    index(this.byUser, user, key);
    return c;
  }

  /** Releases every cache `user` holds except those in `keep`; stops caches nobody uses any more. */
  releaseExcept(user: string, keep: ReadonlySet<string> = new Set()): void {
    for (const key of [...(this.byUser.get(user) ?? [])]) {
      const c = this.caches.get(key);
      if (keep.has(key)) continue;
      unindex(this.byUser, user, key);
      if (!c) continue;
      c.users.delete(user);
      if (c.users.size === 0) {
        this.forget(key, c);
        this.log.debug("workload cache stopped", { cache: key });
      }
    }
  }

  /** Stops and forgets the caches of `targetKey` whose connection generation is not `keepGen`. */
  dropStale(targetKey: string, keepGen: number): void {
    const keep = CachePool.keyOf(targetKey, keepGen, "");
    for (const key of [...(this.byTarget.get(targetKey) ?? [])]) {
      const c = this.caches.get(key);
      if (!c || key.startsWith(keep)) continue;
      this.forget(key, c);
      this.log.debug("workload cache dropped", { cache: key });
    }
  }

  /** Caches of one target (any generation). */
  ofTarget(targetKey: string): WorkloadCache[] {
    return [...(this.byTarget.get(targetKey) ?? [])].map((k) => this.caches.get(k)!).filter(Boolean);
  }

  get size(): number {
    return this.caches.size;
  }

  stopAll(): void {
    for (const c of this.caches.values()) c.stop();
    this.caches.clear();
    this.byTarget.clear();
    this.byUser.clear();
  }
}

function index(m: Map<string, Set<string>>, k: string, v: string): void {
  let set = m.get(k);
  if (!set) m.set(k, set = new Set());
  set.add(v);
}

/** Removes `v` from `k`'s set; true when that emptied it. */
function unindex(m: Map<string, Set<string>>, k: string, v: string): boolean {
  const set = m.get(k);
  if (!set?.delete(v)) return false;
  if (set.size > 0) return false;
  m.delete(k);
  return true;
}
