/**
 * A list+watch cache of one resource in one namespace, on client-node's ListWatch (which relists on
 * `410 Gone` and reconnects after timeouts). What it adds: it knows whether its watch is established,
 * restarts itself with backoff + jitter after errors (ListWatch stops on them), can be restarted from scratch
 * (fresh list) when a cluster is known to be back, counts watch requests, keeps only a projection of each
 * object when asked, and closes every watch it opened, whatever path ended it (tests/watch_leak_test.ts).
 *
 * Why `restart()`: a watch on a server that hung or was black-holed gets no byte and no error until its
 * timeout (`timeoutSeconds` + 60 s, kube/transport.ts DenoWatch), so the owner restarts informers at once when a
 * probe shows that the cluster was unreachable and is back. Used by `serve` (control plane and workload caches) and
 * by `kubectl ksit status --watch`.
 */
import { type KubernetesObject, ListWatch, type Watch } from "@kubernetes/client-node";
import type { ClusterClient } from "./client.ts";
import { errorCode, errorDetail, errorMessage } from "./errors.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import type { Logger } from "../util/log.ts";
import { backoffDelay } from "../util/backoff.ts";
import { sleep } from "../util/sleep.ts";

export type ChangeType = "add" | "update" | "delete";

/** A watch open at least this long counts as working again (its end resets the retry backoff). */
const STABLE_WATCH_MS = 10_000;

/**
 * How long each watch asks the server to keep it open (`timeoutSeconds`): 15–30 min, random per request so
 * that watches opened together do not all end together (client-go's reflector asks 5–10 min; kube-apiserver
 * picks 30–60 min for a watch that does not say). The server ends the watch cleanly then and the informer
 * watches on from its resourceVersion. A watch that must not wait for the server's timeout (no byte at all
 * while the cluster is gone) is restarted by the owner's heartbeat and liveness probe, not by this timeout.
 */
export function watchTimeoutSeconds(random: () => number = Math.random): number {
  return 900 + Math.floor(random() * 900);
}

/** What an informer needs of an object (client-node models and our CRD types alike). */
export interface ObjectLike {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface InformerOptions<T extends ObjectLike> {
  /** For logs, e.g. `deployments cluster-1/argocd`. */
  name: string;
  client: ClusterClient;
  /** The watch path, e.g. `/apis/apps/v1/namespaces/argocd/deployments`. */
  path: string;
  /** The list call (run through `client.call`). */
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  onChange: (type: ChangeType, obj: T) => void;
  /** Synced, established or error state changed. */
  onState?: () => void;
  log: Logger;
  maxBackoffMs?: number;
  /** Log the first failure of a streak as a warning (control-plane informers: CRDs missing, RBAC). */
  warnOnError?: boolean;
  /** Time of `disconnectedSince` (default: the system clock). */
  clock?: Clock;
  /** Stores this instead of each listed or watched object (checks/projection.ts: what the judges read). */
  project?: (obj: T) => T;
  /** `timeoutSeconds` of each watch request (default `watchTimeoutSeconds()`). */
  watchTimeoutSeconds?: () => number;
}

export class Informer<T extends ObjectLike> {
  /** The current list+watch has listed (the cache holds a complete picture, maybe stale while disconnected). */
  synced = false;
  /** A watch is open right now (as far as the client can tell). */
  established = false;
  /** Since when there is no open watch (undefined while established). */
  disconnectedSince: number | undefined;
  lastError: unknown;
  private failures = 0;
  /** This failure streak was logged as a warning (warnOnError); a watch that opens ends the streak. */
  private warned = false;
  private stopped = true;
  /** The last watch that ended had been open for STABLE_WATCH_MS or more. */
  private lastWatchLived = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lw: ListWatch<KubernetesObject>;

  private readonly clock: Clock;

  constructor(private readonly opts: InformerOptions<T>) {
    this.clock = opts.clock ?? systemClock;
    this.disconnectedSince = this.clock.now();
    this.lw = this.makeListWatch();
  }

  private makeListWatch(): ListWatch<KubernetesObject> {
    const opts = this.opts;
    const project = opts.project;
    // deno-lint-ignore no-explicit-any
    const list = async (): Promise<any> => {
      const l = await opts.client.call("list", opts.list);
      return project ? { metadata: l.metadata, items: l.items.map(project) } : l;
    };
    const lw: ListWatch<KubernetesObject> = new ListWatch<KubernetesObject>(
      opts.path,
      this.trackedWatch((): ListWatch<KubernetesObject> => lw),
      list,
      false,
      undefined,
      undefined,
      // ListWatch waits 1 s, 2 s, … 30 s before each re-watch after a watch without events: none after a
      // watch that lived (the server ended it at its timeout), its delay after one that ended at once
      { delayFn: (ms: number) => this.lastWatchLived ? Promise.resolve() : sleep(ms) },
    );
    const current = () => lw === this.lw && !this.stopped;
    lw.on("add", (o: KubernetesObject) => current() && opts.onChange("add", o as T));
    lw.on("update", (o: KubernetesObject) => current() && opts.onChange("update", o as T));
    lw.on("delete", (o: KubernetesObject) => current() && opts.onChange("delete", o as T));
    lw.on("error", (e: unknown) => current() && this.onError(e));
    return lw;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.launch();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.established = false;
    this.lw.stop().catch(() => {});
  }

  /** Drops the current list+watch and starts a fresh one (new list). */
  restart(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const old = this.lw;
    this.lw = this.makeListWatch();
    old.stop().catch(() => {});
    this.synced = false;
    this.established = false;
    this.disconnectedSince ??= this.clock.now();
    this.failures = 0;
    this.launch();
    this.opts.onState?.();
  }

  /** The cached objects (of one namespace, when given). */
  list(namespace?: string): readonly T[] {
    return this.lw.list(namespace) as readonly ObjectLike[] as readonly T[];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.lw.get(name, namespace) as T | undefined;
  }

  private launch(): void {
    const lw = this.lw;
    lw.start().catch((e) => lw === this.lw && this.onError(e));
  }

  private onError(e: unknown): void {
    if (this.stopped) return;
    this.established = false;
    this.disconnectedSince ??= this.clock.now();
    this.lastError = e;
    const delay = backoffDelay(this.failures++, {
      baseDelayMs: 500,
      maxDelayMs: this.opts.maxBackoffMs ?? 10_000,
    });
    const code = errorCode(e);
    const fields = {
      informer: this.opts.name,
      code,
      error: errorMessage(e),
      detail: errorDetail(e),
      retryInMs: delay,
    };
    // an answer of the API server that will not go away by itself (a network failure is the control-plane
    // probe's to report; 410 Gone is a normal relist): once per streak, with what to check
    if (this.opts.warnOnError && !this.warned && code !== undefined && code !== 410) {
      this.warned = true;
      const { detail: _, ...words } = fields; // the raw detail stays at debug level
      this.opts.log.warn("cannot list and watch; retrying", { ...words, hint: failureHint(code, this.opts) });
    } else {
      this.opts.log.debug("watch failed; restarting", fields);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) this.launch();
    }, delay);
    this.opts.onState?.();
  }

  /** Wraps client-node's Watch to learn when a watch is established or ends, and to count requests. */
  private trackedWatch(owner: () => ListWatch<KubernetesObject>): Watch {
    const inner = this.opts.client.watch();
    const client = this.opts.client;
    const current = () => owner() === this.lw && !this.stopped;
    return {
      watch: async (
        path: string,
        // deno-lint-ignore no-explicit-any
        queryParams: any,
        // deno-lint-ignore no-explicit-any
        callback: (phase: string, apiObj: any, watchObj?: any) => void,
        done: (err: unknown) => void,
      ): Promise<AbortController> => {
        let ended = false;
        let openedAt = 0;
        // ListWatch lists and then watches even when it was stopped meanwhile, and stores the watch's
        // controller only once the watch is open (too late for a stop() that came during the request): a
        // list+watch that is no longer current opens nothing, and a watch it opened anyway is aborted here
        if (!current()) {
          const none = new AbortController();
          none.abort();
          return none;
        }
        // ListWatch calls watch() right after a successful list: the cache is complete now
        const wasSynced = this.synced;
        this.synced = true;
        const timeoutSeconds = (this.opts.watchTimeoutSeconds ?? watchTimeoutSeconds)();
        const project = this.opts.project;
        const ctl = await inner.watch(
          path,
          { ...queryParams, allowWatchBookmarks: true, timeoutSeconds },
          project
            ? (phase: string, obj: unknown, watchObj?: unknown) =>
              callback(phase, projectEvent(phase, obj, project), watchObj)
            : callback,
          (err) => {
            ended = true;
            // only a watch that lived a while resets the backoff: one that a server breaks right after
            // opening it (a huge event, a proxy cutting streams) is retried with growing delays
            this.lastWatchLived = openedAt > 0 && this.clock.now() - openedAt >= STABLE_WATCH_MS;
            if (this.lastWatchLived) this.failures = 0;
            if (current() && this.established) {
              this.established = false;
              this.disconnectedSince = this.clock.now();
            }
            const name = (err as Error | null)?.name;
            if (err && name !== "AbortError" && name !== "TimeoutError") {
              const code = errorCode(err);
              client.count("watch", code === undefined ? "error" : String(code));
            }
            done(err);
          },
        );
        if (!current()) {
          ctl.abort();
          return ctl;
        }
        if (!ended) {
          client.count("watch", "2xx");
          const changed = !this.established || !wasSynced;
          this.established = true;
          this.disconnectedSince = undefined;
          openedAt = this.clock.now();
          this.lastError = undefined;
          this.warned = false;
          if (changed) this.opts.onState?.();
        }
        return ctl;
      },
    } as unknown as Watch;
  }
}

/** Watch events of objects are projected; BOOKMARK and ERROR events (no object) pass as they are. */
function projectEvent<T>(phase: string, obj: unknown, project: (o: T) => T): unknown {
  return phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED" ? project(obj as T) : obj;
}

/**
 * What to check when the API server refuses an informer's list or watch (docs/troubleshooting.md, "The
 * controller").
 */
export function failureHint(code: number, o: { path: string }): string {
  const resource = o.path.split("?")[0]!.split("/").pop() ?? "";
  if (code === 404) {
    return o.path.startsWith("/apis/ksit.io/")
      ? "the KSIT CRDs are not installed: kubectl get crd integrations.ksit.io integrationtargets.ksit.io " +
        "(install them with the Helm chart, or kubectl apply -f deploy/crds/)"
      : `${resource}: not found on this API server`;
  }
  if (code === 403) {
    const ns = /\/namespaces\/([^/]+)\//.exec(o.path)?.[1];
    const where = ns ? ` -n ${ns}` : " -A";
    return `RBAC: the controller's ServiceAccount may not list and watch ${resource}; check the Role and ` +
      `RoleBinding of the Helm chart: kubectl auth can-i list ${resource}${where} ` +
      `--as=system:serviceaccount:${ns ?? "<namespace>"}:<serviceaccount>`;
  }
  if (code === 401) return "the controller's credentials (ServiceAccount token) were not accepted";
  return `HTTP ${code}`;
}
