/**
 * The HTTP transport under client-node, for a long-running multi-cluster client on Deno.
 *
 * client-node 2.x sends every request through undici. Under Deno 2.9 that path fails a controller twice:
 * - undici negotiates HTTP/2 with kube-apiserver, and a GOAWAY on such a session (kube-apiserver sends one on
 *   every graceful shutdown) aborts the whole process inside nghttp2 (`find_stream_on_goaway_func: Assertion
 *   stream->closed_next == NULL`, denoland/deno#36788): a control-plane upgrade would crash `serve`;
 * - over HTTP/1.1, a watch whose server goes away never ends: neither the socket close nor client-node's own
 *   inactivity abort reaches its `done` callback, so a dead cluster would look quiet forever;
 * - and client-node builds a new undici Agent for every request, so no connection is ever reused.
 *
 * Deno's own fetch (hyper) has none of these problems: it reports a closed connection at once, speaks HTTP/2
 * with one pooled connection per server, and survives GOAWAY. `tuneTransport(kc)` makes `kc.makeApiClient`
 * clients use it (one `Deno.HttpClient` per KubeConfig); `denoHttpApi(kc)` is the same for a hand-made
 * client-node configuration; `DenoWatch` replaces client-node's Watch. Authentication stays client-node's
 * (tokens, client certificates, exec plugins where allowed). KubeConfigs Deno's client cannot express
 * (insecure-skip-tls-verify, tls-server-name, proxy-url) keep client-node's transport, with a pooled HTTP/1.1
 * undici Agent instead of one per request.
 */
import {
  createConfiguration,
  type HttpLibrary,
  type KubeConfig,
  type KubernetesObject,
  RequestContext,
  ResponseContext,
  ServerConfiguration,
  Watch,
  wrapHttpLibrary,
} from "@kubernetes/client-node";
import { Agent, type Dispatcher } from "undici";

interface Transport {
  /** Deno's pooled client (made on first use), or undefined when the kubeconfig needs client-node's transport. */
  readonly client: Promise<Deno.HttpClient | undefined>;
  /** The client if it was made, without making it. */
  made(): Promise<Deno.HttpClient | undefined> | undefined;
  agents: Map<string, Agent>;
}

const transports = new WeakMap<KubeConfig, Transport>();

interface KubeConfigInternals {
  createDispatcher(cluster: unknown, agentOptions: Record<string, unknown>): Dispatcher | undefined;
  createDispatcherOptions(cluster: unknown, agentOptions: Record<string, unknown>): {
    type: string;
    connect?: Record<string, unknown>;
  };
}

const text = (b: unknown) => (b === undefined || b === null ? undefined : String(b));

async function denoClient(kc: KubeConfig): Promise<Deno.HttpClient | undefined> {
  const cluster = kc.getCurrentCluster();
  if (!cluster || cluster.skipTLSVerify || cluster.tlsServerName || cluster.proxyUrl) return undefined;
  if (!cluster.server.startsWith("https://")) return undefined;
  const opts: { ca?: unknown; cert?: unknown; key?: unknown } = {};
  await kc.applyToHTTPSOptions(opts as never);
  const ca = text(opts.ca);
  const cert = text(opts.cert);
  const key = text(opts.key);
  return Deno.createHttpClient({
    ...(ca ? { caCerts: [ca] } : {}),
    ...(cert && key ? { cert, key } : {}),
    poolIdleTimeout: 90_000,
  });
}

function transportOf(kc: KubeConfig): Transport {
  let t = transports.get(kc);
  if (!t) {
    // Made on first use (reading TLS material may run an exec plugin). A failing plugin (with
    // --allow-exec-auth) rejects: each request then fails with that error; nothing is left unhandled.
    let client: Promise<Deno.HttpClient | undefined> | undefined;
    t = {
      get client() {
        return client ??= denoClient(kc);
      },
      made: () => client,
      agents: new Map(),
    };
    transports.set(kc, t);
    // the fallback path: one pooled HTTP/1.1 Agent per server instead of client-node's Agent per request
    const internals = kc as unknown as KubeConfigInternals;
    const original = internals.createDispatcher.bind(kc);
    const agents = t.agents;
    internals.createDispatcher = (cluster, agentOptions) => {
      const o = internals.createDispatcherOptions(cluster, agentOptions);
      if (o.type !== "agent" || !o.connect) return original(cluster, agentOptions);
      const key = `${(cluster as { server?: string } | null)?.server}|${
        String(agentOptions.servername ?? "")
      }`;
      let agent = agents.get(key);
      if (!agent) {
        agent = new Agent({ connect: o.connect, allowH2: false, keepAliveTimeout: 30_000 });
        agents.set(key, agent);
      }
      return agent;
    };
  }
  return t;
}

/** client-node's HttpLibrary over Deno's fetch for `kc` (falls back to client-node's own when needed). */
export function denoHttpApi(kc: KubeConfig): HttpLibrary {
  const t = transportOf(kc);
  const fallback = createConfiguration().httpApi;
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const client = await t.client;
      if (!client) return await fallback.send(request).toPromise();
      const res = await fetch(request.getUrl(), {
        method: request.getHttpMethod().toString(),
        body: request.getBody() as BodyInit | undefined,
        headers: request.getHeaders(),
        signal: request.getSignal(),
        client,
      });
      const headers: Record<string, string> = {};
      res.headers.forEach((value, name) => (headers[name] = value));
      return new ResponseContext(
        res.status,
        headers,
        {
          text: () => res.text(),
          // deno-lint-ignore no-explicit-any
          binary: async () => new Uint8Array(await res.arrayBuffer()) as any,
          // deno-lint-ignore no-explicit-any
          stream: () => res.body as any,
        } as ConstructorParameters<typeof ResponseContext>[2],
      );
    },
  });
}

/** Makes `kc.makeApiClient(...)` clients use Deno's fetch (see above). Returns `kc`. */
export function tuneTransport(kc: KubeConfig): KubeConfig {
  if (transports.has(kc)) return kc;
  transportOf(kc);
  const httpApi = denoHttpApi(kc);
  kc.makeApiClient = <T>(cls: new (config: ReturnType<typeof createConfiguration>) => T): T => {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("No active cluster!");
    return new cls(createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      httpApi,
    }));
  };
  return kc;
}

/** Closes the pooled connections of `kc` (in-flight requests and watches end). */
export async function closeTransport(kc: KubeConfig): Promise<void> {
  const t = transports.get(kc);
  if (!t) return;
  transports.delete(kc);
  (await t.made()?.catch(() => undefined))?.close();
  await Promise.all([...t.agents.values()].map((a) => a.destroy().catch(() => {})));
}

/** Size of the buffer a watch reads into (events are a few KB; longer ones span several reads). */
const WATCH_READ_BYTES = 8 * 1024;

/**
 * The body's chunks, read into one small reused buffer (a BYOB reader). A default reader lets Deno allocate
 * its own 64 KiB+ buffer for every pending read: with thousands of idle watches (one per target, tool
 * namespace and kind) that alone was ~115 KiB of memory per watch.
 */
async function* chunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    yield* body; // not a byte stream: the default reader
    return;
  }
  let buf = new ArrayBuffer(WATCH_READ_BYTES);
  try {
    for (;;) {
      const { value, done } = await reader.read(new Uint8Array(buf));
      if (done || !value) return;
      yield value;
      buf = value.buffer; // the same memory, handed back by the stream
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Drop-in for client-node's `Watch` (same `watch()` signature, so `ListWatch`/informers take it) on Deno's
 * fetch: `done` is called exactly once, promptly when the connection drops, on abort, and after
 * `requestTimeoutMs` without any byte (watch bookmarks keep a healthy watch busy). Watch streams are requested
 * uncompressed (see below).
 */
export class DenoWatch {
  /** Longer than kube-apiserver's bookmark period (~1 min), so a quiet healthy watch is not reopened. */
  requestTimeoutMs = 90_000;
  constructor(readonly kc: KubeConfig) {
    transportOf(kc);
  }

  async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    // deno-lint-ignore no-explicit-any
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error("No currently active cluster");
    const client = await transportOf(this.kc).client;
    if (!client) {
      // a kubeconfig Deno's client cannot express: client-node's Watch (over the pooled HTTP/1.1 Agent)
      const w = new Watch(this.kc);
      // under Deno, client-node's own inactivity abort never reaches `done`: keep our own timer, re-armed by
      // every event (bookmarks included), and call `done` ourselves, exactly once
      (w as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 2 ** 31 - 1;
      let finished = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const inner: { ctl?: AbortController } = {};
      const finish = (err: unknown) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        inner.ctl?.abort();
        done(err);
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(
          () => finish(new DOMException("watch inactive: no data within the timeout", "TimeoutError")),
          this.requestTimeoutMs,
        );
      };
      arm();
      const ctl = await w.watch(path, queryParams, (phase, obj, event) => {
        arm();
        callback(phase, obj, event);
      }, finish);
      inner.ctl = ctl;
      if (finished) ctl.abort();
      return ctl;
    }
    const url = new URL(cluster.server + path);
    url.searchParams.set("watch", "true");
    for (const [k, v] of Object.entries(queryParams ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      controller.abort();
      done(err);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => finish(new DOMException("watch inactive: no data within the timeout", "TimeoutError")),
        this.requestTimeoutMs,
      );
    };
    arm();
    try {
      const ctx = new RequestContext(url.toString(), "GET" as never);
      await this.kc.applySecurityAuthentication(ctx);
      // identity: kube-apiserver gzips watch streams for clients that accept it, and Deno's fetch ends such a
      // stream after the first flushed block (a watch would "close" after its first BOOKMARK)
      const headers = { ...ctx.getHeaders(), "accept-encoding": "identity" };
      const res = await fetch(url, { headers, signal: controller.signal, client });
      if (res.status !== 200) {
        const body = await res.text().catch(() => "");
        const err = Object.assign(new Error(`watch ${path}: HTTP ${res.status} ${body.slice(0, 200)}`), {
          statusCode: res.status,
          code: res.status,
        });
        throw err;
      }
      arm();
      (async () => {
        let buf = "";
        const decoder = new TextDecoder();
        try {
          for await (const chunk of chunks(res.body!)) {
            arm();
            buf += decoder.decode(chunk, { stream: true });
            let nl: number;
            while ((nl = buf.indexOf("\n")) >= 0) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (!line) continue;
              let event: { type: string; object: KubernetesObject };
              try {
                event = JSON.parse(line);
              } catch {
                continue;
              }
              callback(event.type, event.object, event);
            }
          }
          finish(null);
        } catch (e) {
          finish(e);
        }
      })();
    } catch (e) {
      finish(e);
    }
    return controller;
  }
}
