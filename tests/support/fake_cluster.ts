/**
 * Misbehaving "clusters" for the security and fault tests, where a real kube-apiserver cannot misbehave that
 * way (the harness' real servers are used everywhere else):
 * - `FakeApiServer`: an HTTPS (or plain HTTP) server on loopback that records every request and answers
 *   through a handler the test sets; `kubernetesLike()` answers like an empty, healthy API server (version,
 *   readyz, empty lists, watches that stay open), so a test changes only the part it is about.
 * - `TcpProxy`: passes TCP through to a real API server (TLS end to end) until told to black-hole: from then
 *   on bytes are neither forwarded nor answered and connections stay open, as with a dropped route.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
}

export type Handler = (req: Request, url: URL) => Response | Promise<Response>;

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  handler: Handler;
  private constructor(
    private readonly server: Deno.HttpServer<Deno.NetAddr>,
    readonly url: string,
    h: Handler,
  ) {
    this.handler = h;
  }

  /** `tls`: PEM certificate and key (e.g. the harness' serving pair, valid for 127.0.0.1); none: plain http. */
  static start(opts: { tls?: { cert: string; key: string }; handler?: Handler } = {}): FakeApiServer {
    const ref: { self?: FakeApiServer } = {};
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
      ...(opts.tls ? { cert: opts.tls.cert, key: opts.tls.key } : {}),
    }, (req) => {
      const url = new URL(req.url);
      ref.self!.requests.push({
        method: req.method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
      });
      return ref.self!.handler(req, url);
    });
    const scheme = opts.tls ? "https" : "http";
    ref.self = new FakeApiServer(
      server,
      `${scheme}://127.0.0.1:${server.addr.port}`,
      opts.handler ?? kubernetesLike(),
    );
    return ref.self;
  }

  /** Requests whose path starts with `prefix`. */
  count(prefix = "/"): number {
    return this.requests.filter((r) => r.path.startsWith(prefix)).length;
  }

  async close(): Promise<void> {
    await this.server.shutdown().catch(() => {});
  }
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/**
 * Answers like an empty, healthy Kubernetes API server: `/version`, `/readyz`, empty lists, and watches that
 * stay open (a BOOKMARK now and then) until the client leaves.
 */
export function kubernetesLike(): Handler {
  return (req, url) => {
    if (url.pathname === "/version") {
      return json({ major: "1", minor: "37", gitVersion: "v1.37.2-fake", platform: "linux/amd64" });
    }
    if (url.pathname === "/readyz" || url.pathname === "/healthz") return new Response("ok");
    if (url.searchParams.get("watch") === "true") return openWatch(req.signal);
    const kind = url.pathname.split("/").pop() ?? "";
    return json({ kind: `${kind}List`, apiVersion: "v1", metadata: { resourceVersion: "1" }, items: [] });
  };
}

/** A watch response that stays open, sending a BOOKMARK every second, until `signal` aborts. */
export function openWatch(signal: AbortSignal, extra?: Uint8Array): Response {
  let timer: ReturnType<typeof setInterval> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(ctl) {
      if (extra) ctl.enqueue(extra);
      const bookmark = new TextEncoder().encode(
        JSON.stringify({ type: "BOOKMARK", object: { kind: "Status", metadata: { resourceVersion: "1" } } }) +
          "\n",
      );
      timer = setInterval(() => {
        try {
          ctl.enqueue(bookmark);
        } catch {
          clearInterval(timer);
        }
      }, 1000);
      signal.addEventListener("abort", () => {
        clearInterval(timer);
        try {
          ctl.close();
        } catch { /* closed */ }
      });
    },
    cancel() {
      clearInterval(timer);
    },
  });
  return new Response(body, { headers: { "content-type": "application/json" } });
}

/** TCP pass-through to `target` that can be switched to black-hole mode. */
export class TcpProxy {
  private readonly listener: Deno.Listener;
  private readonly conns = new Set<Deno.Conn>();
  private holed = false;
  readonly port: number;

  constructor(private readonly target: { hostname: string; port: number }) {
    this.listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.listener.addr as Deno.NetAddr).port;
    this.accept();
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** From now on nothing passes either way; connections (old and new) stay open, unanswered. */
  blackhole(): void {
    this.holed = true;
  }

  /** Passing again: black-holed connections are closed (the client reconnects), new ones pass. */
  restore(): void {
    this.holed = false;
    for (const c of this.conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    this.conns.clear();
  }

  close(): void {
    try {
      this.listener.close();
    } catch { /* closed */ }
    this.restore();
  }

  private async accept(): Promise<void> {
    try {
      for await (const client of this.listener) {
        this.conns.add(client);
        if (this.holed) continue; // accepted, never answered
        this.pipe(client).catch(() => {});
      }
    } catch { /* listener closed */ }
  }

  private async pipe(client: Deno.Conn): Promise<void> {
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect(this.target);
    } catch {
      client.close();
      return;
    }
    this.conns.add(upstream);
    const copy = async (from: Deno.Conn, to: Deno.Conn) => {
      const buf = new Uint8Array(32 * 1024);
      try {
        for (;;) {
          const n = await from.read(buf);
          if (n === null) break;
          if (this.holed) continue; // swallowed
          let off = 0;
          while (off < n) off += await to.write(buf.subarray(off, n));
        }
      } catch { /* closed */ }
      if (!this.holed) {
        try {
          to.close();
        } catch { /* closed */ }
      }
    };
    await Promise.all([copy(client, upstream), copy(upstream, client)]);
    this.conns.delete(client);
    this.conns.delete(upstream);
  }
}
