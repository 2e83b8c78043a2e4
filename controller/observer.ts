/**
 * How `serve` sees a tool on a target cluster, chosen once per process (`--mode`):
 * - `WatchObserver` (default): shared list+watch caches per (target, namespace) — several Integrations on one
 *   cluster and namespace share one — so a change is judged in about a second; the API server heartbeat of
 *   every watched target runs beside them (controller/connections.ts).
 * - `PollObserver`: a fresh `gather` per reconcile (the baseline the bench compares with).
 * Both find a tool outside its default namespaces through the same cached discovery (`Discoveries`).
 */
import { AppsV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
import type { ClusterStatus, ComponentOverride, ToolType } from "../api/types.ts";
import type { DiscoveryOutcome } from "../checks/discovery.ts";
import { judgeCluster, unknownCluster } from "../checks/judge.ts";
import type { ToolNamespaces } from "../checks/namespace.ts";
import { mergeSnapshots } from "../checks/snapshot.ts";
import { needsDaemonSets, needsEndpoints, needsStatefulSets } from "../checks/tools.ts";
import type { ClusterClient } from "../kube/client.ts";
import { clusterReason, errorMessage } from "../kube/errors.ts";
import { discover, gatherTool, toolFound, type WorkloadReader } from "../kube/gather.ts";
import type { Clock } from "../util/clock.ts";
import type { Connection } from "./targets.ts";
import { CachePool, type CacheTrouble, type WorkloadCache } from "./workload_cache.ts";

/**
 * How long a discovery result (where a tool lives when it is not in its default namespaces) is reused: the
 * Integration's healthCheckInterval, but at least 5 minutes, so a cluster without the tool costs its
 * discovery lists (1–2 per tool) at most every 5 minutes. A tool installed in a default namespace is seen at
 * once through the watches; one installed elsewhere within this time.
 */
export const DISCOVERY_TTL_MS = 5 * 60_000;
/** After a 403 in an optional default namespace (istio-ingress), the next try to read it. */
export const OPTIONAL_DENIED_RETRY_MS = 5 * 60_000;

/** What an Integration asks of one target. */
export interface ToolRequest {
  type: ToolType;
  overrides: ComponentOverride[];
  namespaces: ToolNamespaces;
  /** healthCheckInterval (ms). */
  interval: number;
}

/** One target's part of an Integration reconcile. */
export interface TargetVerdict {
  verdict?: ClusterStatus;
  /** Caches still listing: judge again shortly. */
  waiting?: boolean;
  /** Re-judge within this many ms (a cache may turn into trouble then). */
  requeueMs?: number;
}

export interface Observer {
  /**
   * The verdict of `cluster` (a connected target) for the Integration `user`. Watch mode adds the caches it
   * uses to `keep`; `release(user, keep)` then lets the Integration's other caches go.
   */
  observe(
    user: string,
    cluster: string,
    conn: Connection,
    tool: ToolRequest,
    now: number,
    keep: Set<string>,
  ): Promise<TargetVerdict>;
  release(user: string, keep?: ReadonlySet<string>): void;
  /** The target's connection changed or went: forget what belongs to other generations than `keepGen`. */
  forgetTarget(targetKey: string, keepGen?: number): void;
  /** The target answers again after an outage: its watches may be silently dead, start them afresh. */
  targetBack(targetKey: string, gen: number): void;
  stop(): void;
}

/** Where a tool lives on a target by its labels, cached per connection generation and tool. */
export class Discoveries {
  private readonly results = new Map<
    string,
    { at: number; outcome?: DiscoveryOutcome; running?: Promise<DiscoveryOutcome> }
  >();

  constructor(private readonly clock: Clock, private readonly timeoutMs: number) {}

  /** Reused for max(interval, DISCOVERY_TTL_MS). */
  async get(conn: Connection, type: ToolType, interval: number, now: number): Promise<DiscoveryOutcome> {
    const key = `${conn.targetKey}#${conn.gen}/${type}`;
    const entry = this.results.get(key) ?? { at: 0 };
    if (entry.outcome && now - entry.at < Math.max(interval, DISCOVERY_TTL_MS)) return entry.outcome;
    if (!entry.running) {
      // RBAC: list deployments/statefulsets/daemonsets in all namespaces (a 403 is reported, not an error)
      entry.running = discover(workloadReader(conn.client!), { type, timeoutMs: this.timeoutMs })
        .then((outcome) => {
          entry.outcome = outcome;
          entry.at = this.clock.now();
          return outcome;
        })
        .finally(() => (entry.running = undefined));
      this.results.set(key, entry);
    }
    return await entry.running;
  }

  forget(targetKey: string, keepGen = -1): void {
    forgetKeys(this.results, targetKey, keepGen);
  }
}

function forgetKeys(map: Map<string, unknown>, targetKey: string, keepGen: number): void {
  const keep = `${targetKey}#${keepGen}/`;
  for (const k of map.keys()) if (k.startsWith(`${targetKey}#`) && !k.startsWith(keep)) map.delete(k);
}

export class WatchObserver implements Observer {
  /** Optional namespaces the RBAC refused, per cache key, until this time. */
  private readonly denied = new Map<string, number>();
  /** Per Integration and target: the last verdict and the stamp (request, cache versions) it was judged at. */
  private readonly verdicts = new Map<string, Map<string, Judged>>();

  constructor(
    private readonly pool: CachePool,
    private readonly discoveries: Discoveries,
    private readonly timeoutMs: number,
    /** A target is being watched (its heartbeat starts). */
    private readonly watching: (conn: Connection) => void,
  ) {}

  /**
   * The verdict on one target from the shared caches of the tool's namespaces: Unknown when a namespace that
   * must be read cannot be (an optional default namespace the RBAC refuses is left out, and retried after
   * OPTIONAL_DENIED_RETRY_MS); waiting while a cache lists; else judged on the merged snapshot. When the tool
   * is not in its default namespaces, the (cached) discovery adds the namespaces its labels place it in.
   * Over 60 lines because the two passes (default namespaces, then discovered ones) share the `use` closure
   * and the verdict memo's stamp; split, each half would take six parameters back and forth.
   */
  async observe(
    user: string,
    cluster: string,
    conn: Connection,
    tool: ToolRequest,
    now: number,
    keep: Set<string>,
  ): Promise<TargetVerdict> {
    this.watching(conn);
    const { type, overrides, namespaces } = tool;
    const client = conn.client!;
    const needs = {
      endpoints: needsEndpoints(type, overrides),
      daemonSets: needsDaemonSets(type, overrides),
      statefulSets: needsStatefulSets(type, overrides),
    };
    const result: TargetVerdict = {};
    const used: WorkloadCache[] = [];
    let trouble: CacheTrouble | undefined;
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
      const state = cache.state(now, this.timeoutMs);
      if (state.recheckInMs !== undefined) {
        result.requeueMs = Math.min(result.requeueMs ?? Infinity, state.recheckInMs + 50);
      }
      if (state.trouble) trouble ??= state.trouble;
      else if (state.listing) result.waiting = true;
      else used.push(cache);
    };
    const troubled = (t: CacheTrouble) => ({ verdict: unknownCluster(cluster, t.reason, t.message) });
    for (const n of namespaces.namespaces) use(n, namespaces.optional.includes(n));
    if (trouble) return troubled(trouble);
    if (result.waiting || used.length === 0) return { ...result, waiting: true };
    const memo = this.memo(user, conn.targetKey);
    const base = `${cluster}|${stampOf(tool)}`;
    // the same caches at the same versions and the same request: the same verdict (judging all targets again on
    // every change of one of them is what made a 1,000-target start quadratic)
    const settled = result.requeueMs === undefined;
    let stamp = `${base}|${versions(used)}`;
    if (settled && memo.get()?.stamp === stamp) return { verdict: memo.get()!.verdict };
    let snapshot = mergeSnapshots(used.map((c) => c.snapshot()));
    if (namespaces.configured || toolFound(type, snapshot, overrides)) {
      const verdict = judgeCluster({ cluster, type, snapshot, overrides });
      if (settled) memo.set({ stamp, verdict });
      return { ...result, verdict };
    }
    let discovery: DiscoveryOutcome;
    try {
      discovery = await this.discoveries.get(conn, type, tool.interval, now);
    } catch (e) {
      return { verdict: unknownCluster(cluster, clusterReason(e), errorMessage(e)) };
    }
    const extra = discovery.found.filter((n) => !namespaces.namespaces.includes(n));
    for (const n of extra) use(n, false);
    if (trouble) return troubled(trouble);
    if (result.waiting) return result;
    stamp = `${base}|${versions(used)}|${JSON.stringify(discovery)}`;
    const again = result.requeueMs === undefined;
    if (again && memo.get()?.stamp === stamp) return { verdict: memo.get()!.verdict };
    snapshot = mergeSnapshots(used.map((c) => c.snapshot()));
    const verdict = judgeCluster({ cluster, type, snapshot, overrides, discovery });
    if (again) memo.set({ stamp, verdict });
    return { ...result, verdict };
  }

  /** The last verdict of `user` on `targetKey` and what it was judged from. */
  private memo(user: string, targetKey: string): { get: () => Judged | undefined; set: (j: Judged) => void } {
    let perUser = this.verdicts.get(user);
    if (!perUser) this.verdicts.set(user, perUser = new Map());
    const m = perUser;
    return { get: () => m.get(targetKey), set: (j) => m.set(targetKey, j) };
  }

  release(user: string, keep?: ReadonlySet<string>): void {
    this.pool.releaseExcept(user, keep);
    const perUser = this.verdicts.get(user);
    if (!perUser) return;
    if (!keep) this.verdicts.delete(user);
    else {
      // targets this Integration no longer looks at (none of their caches kept)
      for (const t of perUser.keys()) if (![...keep].some((k) => k.startsWith(`${t}#`))) perUser.delete(t);
    }
  }

  forgetTarget(targetKey: string, keepGen = -1): void {
    for (const perUser of this.verdicts.values()) perUser.delete(targetKey);
    this.pool.dropStale(targetKey, keepGen);
    this.discoveries.forget(targetKey, keepGen);
    forgetKeys(this.denied, targetKey, keepGen);
  }

  targetBack(targetKey: string, gen: number): void {
    const current = CachePool.keyOf(targetKey, gen, "");
    for (const c of this.pool.ofTarget(targetKey)) if (c.key.startsWith(current)) c.restart();
  }

  stop(): void {
    this.pool.stopAll();
  }
}

export class PollObserver implements Observer {
  constructor(
    private readonly discoveries: Discoveries,
    private readonly timeoutMs: number,
    /** A poll failed: the target's probe says whether the cluster is still there. */
    private readonly pollFailed: (targetKey: string) => void,
  ) {}

  async observe(
    _user: string,
    cluster: string,
    conn: Connection,
    tool: ToolRequest,
    now: number,
  ): Promise<TargetVerdict> {
    const { type, overrides, namespaces } = tool;
    try {
      const { snapshot, discovery } = await gatherTool(workloadReader(conn.client!), {
        type,
        overrides,
        namespaces,
        // the same cached discovery as watch mode: a missing tool costs its lists every 5 min at most
        discover: () => this.discoveries.get(conn, type, tool.interval, now),
        timeoutMs: this.timeoutMs,
      });
      return { verdict: judgeCluster({ cluster, type, snapshot, overrides, discovery }) };
    } catch (e) {
      this.pollFailed(conn.targetKey);
      return { verdict: unknownCluster(cluster, clusterReason(e), errorMessage(e)) };
    }
  }

  release(): void {}

  forgetTarget(targetKey: string, keepGen = -1): void {
    this.discoveries.forget(targetKey, keepGen);
  }

  targetBack(): void {}

  stop(): void {}
}

/** `WorkloadReader` (poll mode, discovery) over a ClusterClient: counted, bounded, with the deadline. */
function workloadReader(client: ClusterClient): WorkloadReader {
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

/** A verdict and the stamp (request, cache versions, discovery) it was judged at. */
interface Judged {
  stamp: string;
  verdict: ClusterStatus;
}

/** What a ToolRequest asks, as a string (it is rebuilt for every reconcile). */
function stampOf(tool: ToolRequest): string {
  return `${tool.type}|${JSON.stringify(tool.overrides)}|${tool.namespaces.namespaces.join(",")}|${
    tool.namespaces.optional.join(",")
  }|${tool.namespaces.configured}`;
}

/** The caches a verdict was judged from, at their versions. */
function versions(caches: readonly WorkloadCache[]): string {
  return caches.map((c) => `${c.key}@${c.version}`).join(",");
}
