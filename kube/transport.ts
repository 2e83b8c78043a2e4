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
 * (insecure-skip-tls-verify, tls-server-name, proxy-url) go through undici's fetch with client-node's TLS
 * settings, on a pooled HTTP/1.1 Agent instead of one per request.
 *
 * The far end may be hostile (a kubeconfig Secret names any server), so on both paths: redirects are never
 * followed (a 3xx is an error, so a server cannot bounce KSIT to another address), every response body is
 * read up to a bound (`maxResponseBytes`) and every watch line up to another (`maxWatchLineBytes`), and error
 * messages carry a Kubernetes `Status` message only when the body is one — never raw body bytes.
 */
import {
  createConfiguration,
  type HttpLibrary,
  type KubeConfig,
  type KubernetesObject,
  RequestContext,
  ResponseContext,
  ServerConfiguration,
  wrapHttpLibrary,
} from "@kubernetes/client-node";
import { Agent, type Dispatcher, fetch as undiciFetch } from "undici";
import { ResponseTooLargeError, statusMessage } from "./errors.ts";

/** Bounds on what a server may send (see `tuneTransport`). */
export interface TransportLimits {
  /** Bytes of one response body (a list); more fails the request with `ResponseTooLargeError`. */
  maxResponseBytes: number;
  /** Bytes of one watch event line; more ends the watch with `ResponseTooLargeError`. */
  maxWatchLineBytes: number;
}

/**
 * Defaults for workload clusters: a list of one tool namespace's workloads is a few hundred KiB, and one
 * object is at most ~1.5 MiB (etcd's limit), so 8 MiB / 2 MiB never cut a real answer, and a hostile server
 * costs at most that per request in flight (the global request bound caps how many).
 */
export const DEFAULT_LIMITS: TransportLimits = {
  maxResponseBytes: 8 * 1024 * 1024,
  maxWatchLineBytes: 2 * 1024 * 1024,
};

interface Transport {
  /** Deno's pooled client (made on first use), or undefined when the kubeconfig needs client-node's transport. */
  readonly client: Promise<Deno.HttpClient | undefined>;
  /** The client if it was made, without making it. */
  made(): Promise<Deno.HttpClient | undefined> | undefined;
  agents: Map<string, Agent>;
  limits: TransportLimits;
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

function transportOf(kc: KubeConfig, limits: TransportLimits = DEFAULT_LIMITS): Transport {
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
      limits,
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

/**
 * One request on the transport of `kc`: Deno's fetch on its pooled client, or undici's fetch with the
 * dispatcher client-node's authentication set on the request (tls-server-name, skip-verify, proxy). Never
 * follows a redirect.
 */
async function send(
  t: Transport,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: unknown; signal?: AbortSignal },
  dispatcher?: unknown,
): Promise<Response> {
  const client = await t.client;
  if (client) {
    return await fetch(url, { ...init, body: init.body as BodyInit | undefined, redirect: "manual", client });
  }
  // deno-lint-ignore no-explicit-any
  return await undiciFetch(url, { ...init, redirect: "manual", dispatcher } as any) as unknown as Response;
}

/**
 * The body, read up to `limit` bytes (the Content-Length is checked first). A body of declared length is read
 * whole into one buffer of that size (hyper ends the body at the declared length, and Deno drops the header of
 * a body it decompresses, so the bound holds); any other is read through one reused 16 KiB buffer. Not a
 * default reader: that allocates 64 KiB for every read, and at the start of `serve` thousands of lists in
 * flight left that much allocator memory behind per read (issue 15, docs/benchmarks.md).
 */
export async function readBounded(res: Response, limit: number, what: string): Promise<Uint8Array> {
  const length = res.headers.get("content-length");
  const declared = length === null ? NaN : Number(length); // NaN: no length, or not a number
  if (declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw new ResponseTooLargeError(limit, what);
  }
  if (!res.body) return new Uint8Array();
  if (Number.isFinite(declared)) return new Uint8Array(await res.arrayBuffer());
  const body = bodyChunks(res.body, READ_BYTES);
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body.chunks) {
    size += chunk.byteLength;
    if (size > limit) {
      body.cancel();
      throw new ResponseTooLargeError(limit, what);
    }
    parts.push(chunk.slice()); // the chunk is a view of the buffer the next read reuses
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * An authenticated GET of `path` (e.g. `/version`, `/readyz`) on the current cluster of `kc`, for probes:
 * status and body text (at most `maxBytes`), no redirect followed.
 */
export async function rawGet(
  kc: KubeConfig,
  path: string,
  opts: { signal?: AbortSignal; maxBytes?: number } = {},
): Promise<{ status: number; text: string }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("No currently active cluster");
  const t = transportOf(kc);
  const url = cluster.server + path;
  const ctx = new RequestContext(url, "GET" as never);
  await kc.applySecurityAuthentication(ctx);
  const res = await send(t, url, {
    method: "GET",
    headers: { ...ctx.getHeaders(), accept: "application/json, text/plain" },
    signal: opts.signal,
  }, ctx.getDispatcher());
  const body = await readBounded(res, opts.maxBytes ?? 64 * 1024, `response of GET ${path}`);
  return { status: res.status, text: new TextDecoder().decode(body) };
}

/** client-node's HttpLibrary over Deno's fetch for `kc` (undici's fetch where Deno's cannot be used). */
export function denoHttpApi(kc: KubeConfig): HttpLibrary {
  const t = transportOf(kc);
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const res = await send(t, request.getUrl(), {
        method: request.getHttpMethod().toString(),
        body: request.getBody(),
        headers: request.getHeaders(),
        signal: request.getSignal(),
      }, request.getDispatcher());
      const headers: Record<string, string> = {};
      res.headers.forEach((value, name) => (headers[name] = value));
      const limit = t.limits.maxResponseBytes;
      const what = `response of ${request.getHttpMethod()} ${new URL(request.getUrl()).pathname}`;
      const bytes = () => readBounded(res, limit, what);
      return new ResponseContext(
        res.status,
        headers,
        {
          text: async () => new TextDecoder().decode(await bytes()),
          // deno-lint-ignore no-explicit-any
          binary: async () => (await bytes()) as any,
          // deno-lint-ignore no-explicit-any
          stream: () => res.body as any,
        } as ConstructorParameters<typeof ResponseContext>[2],
      );
    },
  });
}

/**
 * Makes `kc.makeApiClient(...)` clients use Deno's fetch (see above), with `limits` on what a server may send
 * (default: `DEFAULT_LIMITS`, for workload clusters). Returns `kc`. The first call for a `kc` decides.
 */
export function tuneTransport(kc: KubeConfig, limits: TransportLimits = DEFAULT_LIMITS): KubeConfig {
  if (transports.has(kc)) return kc;
  transportOf(kc, limits);
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

/**
 * Size of the buffer a watch reads into: events are a few KB and span several reads (a quiet watch spends its
 * life in one pending read, so this is memory per watch: 10,000 watches at 1,000 targets held 104 MiB outside
 * the V8 heap with 8 KiB, 37 MiB with 2 KiB, at the same detection times; docs/benchmarks.md).
 */
const WATCH_READ_BYTES = 2 * 1024;

/** Size of the buffer a list or other bounded response is read through (`readBounded`). */
const READ_BYTES = 16 * 1024;

/**
 * The body's chunks, read into one small reused buffer (a BYOB reader). A default reader lets Deno allocate
 * its own 64 KiB+ buffer for every pending read: with thousands of idle watches (one per target, tool
 * namespace and kind) that alone was ~115 KiB of memory per watch. `cancel` ends a pending read at once (an
 * aborted watch must not wait for its next byte to let go of its connection).
 */
function bodyChunks(body: ReadableStream<Uint8Array>, size = WATCH_READ_BYTES): {
  chunks: AsyncGenerator<Uint8Array>;
  cancel: () => void;
} {
  let reader: ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>;
  let byob = true;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    reader = body.getReader(); // not a byte stream
    byob = false;
  }
  let cancelled = false;
  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    reader.cancel().catch(() => {});
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let buf = new ArrayBuffer(size);
    try {
      for (;;) {
        const { value, done } = byob
          ? await (reader as ReadableStreamBYOBReader).read(new Uint8Array(buf))
          : await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
        if (done || !value) return;
        yield value;
        if (byob) buf = value.buffer as ArrayBuffer; // the same memory, handed back by the stream
      }
    } finally {
      cancel();
    }
  }
  return { chunks: chunks(), cancel };
}

/**
 * Drop-in for client-node's `Watch` (same `watch()` signature, so `ListWatch`/informers take it) on Deno's
 * fetch: `done` is called exactly once, promptly when the connection drops, on abort, and after
 * a long silence (`requestTimeoutMs`; see there). Watch streams are requested uncompressed (see below).
 */
export class DenoWatch {
  /**
   * Watch requests of this process started and not finished yet (their response streams included): what the
   * leak tests count, and `/metrics` shows (ksit_watch_streams).
   */
  static live = 0;
  /** Watch requests of this process started so far. */
  static started = 0;
  /**
   * A watch without any byte for this long is ended (TimeoutError) when it did not ask for `timeoutSeconds`;
   * one that did gets `timeoutSeconds` + 60 s. Not shorter: kube-apiserver sends a quiet watch nothing at all
   * — its periodic bookmarks carry a newer resourceVersion of the resource type, and a type that no one
   * changes has none (on a quiet cluster every watch would end at such a timer, issue 15). Dead connections
   * are found by the owners' heartbeats and probes (controller/connections.ts), not by this timer.
   */
  requestTimeoutMs = 90_000;
  constructor(readonly kc: KubeConfig) {
    transportOf(kc);
  }

  /**
   * client-node's Watch.watch: long because the request, the inactivity timer, the status check and the
   * bounded line reader share one `finish` that must run exactly once.
   */
  async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    // deno-lint-ignore no-explicit-any
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error("No currently active cluster");
    const t = transportOf(this.kc);
    const url = new URL(cluster.server + path);
    url.searchParams.set("watch", "true");
    for (const [k, v] of Object.entries(queryParams ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    let cancelBody = () => {};
    DenoWatch.live++;
    DenoWatch.started++;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      DenoWatch.live--;
      clearTimeout(timer);
      controller.abort();
      cancelBody();
      done(err);
    };
    // the caller's abort (an informer stopped or replaced) ends the request or the stream at once
    controller.signal.addEventListener(
      "abort",
      () => finish(new DOMException("watch aborted", "AbortError")),
      { once: true },
    );
    const serverTimeoutS = Number(queryParams?.timeoutSeconds);
    const inactiveMs = serverTimeoutS > 0 ? (serverTimeoutS + 60) * 1000 : this.requestTimeoutMs;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => finish(new DOMException("watch inactive: no data within the timeout", "TimeoutError")),
        inactiveMs,
      );
    };
    arm();
    try {
      const ctx = new RequestContext(url.toString(), "GET" as never);
      await this.kc.applySecurityAuthentication(ctx);
      // identity: kube-apiserver gzips watch streams for clients that accept it, and Deno's fetch ends such a
      // stream after the first flushed block (a watch would "close" after its first BOOKMARK)
      const headers = { ...ctx.getHeaders(), "accept-encoding": "identity" };
      const res = await send(
        t,
        url.toString(),
        { method: "GET", headers, signal: controller.signal },
        ctx.getDispatcher(),
      );
      if (res.status !== 200) {
        // the body is read (bounded) only for a Kubernetes Status message; it is never quoted otherwise
        const body = await readBounded(res, 64 * 1024, "watch error").then(
          (b) => new TextDecoder().decode(b),
          () => "",
        );
        const status = statusMessage(body);
        throw Object.assign(new Error(`watch ${path}: HTTP ${res.status}${status ? `: ${status}` : ""}`), {
          statusCode: res.status,
          code: res.status,
        });
      }
      arm();
      const maxLine = t.limits.maxWatchLineBytes;
      const emit = (line: string) => {
        if (!line.trim()) return;
        let event: { type: string; object: KubernetesObject };
        try {
          event = JSON.parse(line);
        } catch {
          return;
        }
        callback(event.type, event.object, event);
      };
      const body = bodyChunks(res.body!);
      cancelBody = body.cancel;
      if (finished) cancelBody(); // aborted while the response headers came
      (async () => {
        // a line is gathered in parts and joined once, at its newline: scanning only the new bytes keeps a
        // long line linear (re-scanning a growing string for "\n" would be quadratic)
        const parts: string[] = [];
        let pending = 0;
        const decoder = new TextDecoder();
        try {
          for await (const chunk of body.chunks) {
            arm();
            let start = 0;
            for (;;) {
              const nl = chunk.indexOf(10, start);
              const end = nl < 0 ? chunk.length : nl;
              pending += end - start;
              if (pending > maxLine) throw new ResponseTooLargeError(maxLine, `watch event on ${path}`);
              // "\n" never occurs inside a multi-byte UTF-8 sequence: splitting there is safe
              parts.push(decoder.decode(chunk.subarray(start, end), { stream: true }));
              if (nl < 0) break;
              emit(parts.join(""));
              parts.length = 0;
              pending = 0;
              start = nl + 1;
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
