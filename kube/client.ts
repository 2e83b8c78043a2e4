/**
 * The one way `serve` talks to an API server (control plane or workload cluster): client-node API objects
 * built on a KubeConfig, with a deadline on every request (a promise middleware sets an AbortSignal), a
 * per-cluster and a global concurrency bound (so one slow or dead cluster cannot take every slot), and a
 * request counter by target and response code. Watches go through `trackedWatch`, which counts them too.
 */
import {
  ApiException,
  createConfiguration,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
  ServerConfiguration,
  type Watch,
} from "@kubernetes/client-node";
import {
  closeTransport,
  denoHttpApi,
  DenoWatch,
  ResponseTooLargeError,
  statusMessage,
  tuneTransport,
} from "./transport.ts";
import { networkWords } from "./errors.ts";
export { errorDetail } from "./errors.ts";
import type { ControllerMetrics } from "../controller/metrics.ts";
import { Semaphore } from "../util/semaphore.ts";

export interface KubeClientOptions {
  /** Label for metrics and logs: `control-plane` or the target's `namespace/name`. */
  target: string;
  timeoutMs: number;
  metrics: ControllerMetrics;
  /** Shared by every client of the process. */
  global: Semaphore;
  /** Concurrent requests to this one cluster (default 4). */
  perCluster?: number;
}

// deno-lint-ignore no-explicit-any
type ApiClass<T> = new (config: any) => T;

/** Reasons an API call failed, in the vocabulary of the target Ready condition. */
export type FailureReason =
  | "Unauthorized"
  | "Forbidden"
  | "ClusterUnreachable"
  | "NotFound"
  | "Conflict"
  | "Other";

/** The HTTP status of an error from client-node (API call or watch), if it has one. */
export function errorCode(e: unknown): number | undefined {
  if (e instanceof ApiException) return e.code;
  const o = e as { statusCode?: unknown; code?: unknown } | null;
  if (o && typeof o.statusCode === "number") return o.statusCode;
  if (o && typeof o.code === "number") return o.code;
  return undefined;
}

export function classifyError(e: unknown): FailureReason {
  const code = errorCode(e);
  if (code === 401) return "Unauthorized";
  if (code === 403) return "Forbidden";
  if (code === 404) return "NotFound";
  if (code === 409) return "Conflict";
  if (code === undefined || code === 429 || code >= 500) return "ClusterUnreachable";
  return "Other";
}

/**
 * A short, secret-free description of an error in a person's words: the Kubernetes `Status` message of an API
 * error (only when the body is a Status object: a body from a server that is not Kubernetes is never quoted),
 * or what went wrong on the network ("connection refused", "timed out", "TLS: certificate signed by an
 * unknown authority"). The raw error is for debug logs (`errorDetail`).
 */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiException) {
    const status = statusMessage(e.body);
    if (status) return status;
    return e.code >= 300 && e.code < 400 ? `HTTP ${e.code} (a redirect; not followed)` : `HTTP ${e.code}`;
  }
  if (e instanceof ResponseTooLargeError) return e.message;
  const code = errorCode(e);
  if (code !== undefined && e instanceof Error && /^watch /.test(e.message)) {
    return e.message.replace(/^watch \S+: /, "");
  }
  if (e instanceof Error || (e instanceof DOMException)) return networkWords(e as Error);
  return "request failed";
}

export class KubeClient {
  readonly target: string;
  readonly server: string;
  private readonly apis = new Map<unknown, unknown>();
  private readonly config;
  private readonly perCluster: Semaphore;

  constructor(readonly kc: KubeConfig, private readonly opts: KubeClientOptions) {
    this.target = opts.target;
    // requests and watches on Deno's fetch, one pooled connection per server (idempotent; parseKubeconfig
    // already did it for targets): client-node's undici path crashes on GOAWAY and never ends dead watches
    // under Deno (see kube/transport.ts)
    tuneTransport(kc);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`${opts.target}: kubeconfig has no current cluster`);
    this.server = cluster.server;
    const timeoutMs = opts.timeoutMs;
    this.config = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      httpApi: denoHttpApi(kc),
      promiseMiddleware: [{
        pre: (ctx: RequestContext) => {
          ctx.setSignal(AbortSignal.timeout(timeoutMs));
          return Promise.resolve(ctx);
        },
        post: (res: ResponseContext) => Promise.resolve(res),
      }],
    });
    this.perCluster = new Semaphore(opts.perCluster ?? 4);
  }

  /** A client-node API object (CoreV1Api, AppsV1Api, …) whose requests have the deadline. */
  api<T>(cls: ApiClass<T>): T {
    let a = this.apis.get(cls) as T | undefined;
    if (!a) {
      a = new cls(this.config);
      this.apis.set(cls, a);
    }
    return a;
  }

  /**
   * Runs one API request under the concurrency bounds and counts it by response code. `verb` is for
   * metrics (`list`, `get`, `update`, …).
   */
  async call<T>(verb: string, fn: () => Promise<T>): Promise<T> {
    return await this.perCluster.run(() =>
      this.opts.global.run(async () => {
        try {
          const r = await fn();
          this.count(verb, "2xx");
          return r;
        } catch (e) {
          const code = errorCode(e);
          this.count(verb, code === undefined ? "error" : String(code));
          throw e;
        }
      })
    );
  }

  count(verb: string, code: string): void {
    this.opts.metrics.apiRequests.inc({ target: this.target, verb, code });
  }

  /** A client-node Watch (its 30 s connect/inactivity timeout makes quiet watches reconnect). */
  watch(): Watch {
    return new DenoWatch(this.kc) as unknown as Watch;
  }

  get timeoutMs(): number {
    return this.opts.timeoutMs;
  }

  /** Closes this client's pooled connections (the connection was dropped or rebuilt). */
  async close(): Promise<void> {
    await closeTransport(this.kc);
  }
}
