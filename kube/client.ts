/**
 * The one way `serve` talks to an API server (control plane or workload cluster): client-node API objects
 * built on a KubeConfig, with a deadline on every request (a promise middleware sets an AbortSignal), a
 * per-cluster and a global concurrency bound (so one slow or dead cluster cannot take every slot), and each
 * request reported to `countRequest` with its response code. Watches (kube/informer.ts) report there too.
 */
import {
  createConfiguration,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
  ServerConfiguration,
  type Watch,
} from "@kubernetes/client-node";
import { closeTransport, denoHttpApi, DenoWatch, tuneTransport } from "./transport.ts";
import { errorCode } from "./errors.ts";
import { Semaphore } from "../util/semaphore.ts";

export interface ClusterClientOptions {
  /** Label for metrics and logs: `control-plane` or the target's `namespace/name`. */
  target: string;
  timeoutMs: number;
  /** Every request and watch, with its verb and code (`2xx`, `404`, `error` for no answer). */
  countRequest: (verb: string, code: string) => void;
  /** Shared by every client of the process. */
  global: Semaphore;
  /** Concurrent requests to this one cluster (default 4). */
  perCluster?: number;
}

// deno-lint-ignore no-explicit-any
type ApiClass<T> = new (config: any) => T;

export class ClusterClient {
  readonly target: string;
  readonly server: string;
  private readonly apis = new Map<unknown, unknown>();
  private readonly config;
  private readonly perCluster: Semaphore;

  constructor(readonly kc: KubeConfig, private readonly opts: ClusterClientOptions) {
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
    this.opts.countRequest(verb, code);
  }

  /** client-node's Watch interface on Deno's fetch (kube/transport.ts: ends on a dropped connection). */
  watch(): Watch {
    return new DenoWatch(this.kc) as unknown as Watch;
  }

  /** Closes this client's pooled connections (the connection was dropped or rebuilt). */
  async close(): Promise<void> {
    await closeTransport(this.kc);
  }
}
