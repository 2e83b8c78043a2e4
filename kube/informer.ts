/**
 * A list+watch cache of one resource in one namespace, on client-node's ListWatch (which relists on
 * `410 Gone` and reconnects after timeouts). What it adds: it knows whether its watch is established,
 * restarts itself with backoff + jitter after errors (ListWatch stops on them), can be restarted from scratch
 * (fresh list) when a cluster is known to be back, and counts watch requests.
 *
 * Why `restart()`: under Deno, client-node's watch stream does not always notice that the server went away
 * (it only times out after 30 s of silence), so the owner restarts informers when a probe shows that the
 * cluster was unreachable and is back.
 */
import { type KubernetesObject, ListWatch, type Watch } from "@kubernetes/client-node";
import type { ClusterClient } from "./client.ts";
import { errorCode, errorDetail, errorMessage } from "./errors.ts";
import type { Logger } from "../util/log.ts";
import { backoffDelay } from "../util/backoff.ts";

export type ChangeType = "add" | "update" | "delete";

/** A watch open at least this long counts as working again (its end resets the retry backoff). */
const STABLE_WATCH_MS = 10_000;

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
}

export class Informer<T extends ObjectLike> {
  /** The current list+watch has listed (the cache holds a complete picture, maybe stale while disconnected). */
  synced = false;
  /** A watch is open right now (as far as the client can tell). */
  established = false;
  /** Since when there is no open watch (undefined while established). */
  disconnectedSince: number | undefined = Date.now();
  lastError: unknown;
  private failures = 0;
  /** This failure streak was logged as a warning (warnOnError); a watch that opens ends the streak. */
  private warned = false;
  private stopped = true;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lw: ListWatch<KubernetesObject>;

  constructor(private readonly opts: InformerOptions<T>) {
    this.lw = this.makeListWatch();
  }

  private makeListWatch(): ListWatch<KubernetesObject> {
    const opts = this.opts;
    // deno-lint-ignore no-explicit-any
    const list = async (): Promise<any> => await opts.client.call("list", opts.list);
    const lw: ListWatch<KubernetesObject> = new ListWatch<KubernetesObject>(
      opts.path,
      this.trackedWatch((): ListWatch<KubernetesObject> => lw),
      list,
      false,
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
    this.disconnectedSince ??= Date.now();
    this.failures = 0;
    this.launch();
    this.opts.onState?.();
  }

  list(): readonly T[] {
    return this.lw.list() as readonly ObjectLike[] as readonly T[];
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
    this.disconnectedSince ??= Date.now();
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
        // ListWatch calls watch() right after a successful list: the cache is complete now
        const wasSynced = this.synced;
        if (current()) this.synced = true;
        const ctl = await inner.watch(
          path,
          { ...queryParams, allowWatchBookmarks: true },
          callback,
          (err) => {
            ended = true;
            // only a watch that lived a while resets the backoff: one that a server breaks right after
            // opening it (a huge event, a proxy cutting streams) is retried with growing delays
            if (openedAt && Date.now() - openedAt >= STABLE_WATCH_MS) this.failures = 0;
            if (current() && this.established) {
              this.established = false;
              this.disconnectedSince = Date.now();
            }
            const name = (err as Error | null)?.name;
            if (err && name !== "AbortError" && name !== "TimeoutError") {
              const code = errorCode(err);
              client.count("watch", code === undefined ? "error" : String(code));
            }
            done(err);
          },
        );
        if (!ended && current()) {
          client.count("watch", "2xx");
          const changed = !this.established || !wasSynced;
          this.established = true;
          this.disconnectedSince = undefined;
          openedAt = Date.now();
          this.lastError = undefined;
          this.warned = false;
          if (changed) this.opts.onState?.();
        }
        return ctl;
      },
    } as unknown as Watch;
  }
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
