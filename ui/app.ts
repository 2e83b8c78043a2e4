/**
 * The dashboard's HTTP side (Hono), the same for `serve --ui-addr` and `kubectl ksit dashboard`:
 *
 *   GET /ui/                     the page (HTML; its script and style are separate files: no inline code)
 *   GET /ui/app.js, /ui/app.css  bundled here (ui/assets_gen.ts), nothing from the internet
 *   GET /ui/api/view             the fleet view (JSON)
 *   GET /ui/api/stream           the same, pushed on every change (Server-Sent Events; a ping every 15 s)
 *   GET /ui/api/cluster?id=      one cluster: every tool's components
 *   GET /ui/api/integration?id=  one Integration: conditions, verdicts, phase timeline, recent Events
 *
 * Read-only: any other method is 405. Every response carries a strict Content-Security-Policy
 * (`default-src 'none'`, script/style/connect from this origin only), `nosniff`, no referrer, no framing.
 * `allowHost` (set when bound to loopback) refuses other Host headers, so a web page cannot reach a local
 * dashboard through DNS rebinding.
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { ASSETS } from "./assets_gen.ts";
import type { Fleet, Published } from "./fleet.ts";

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export interface UiAppOptions {
  /** Accept only these Host header values (for a loopback bind: `loopbackHosts()`). */
  allowHost?: (host: string) => boolean;
  /** Concurrent SSE streams (default 64); more are refused with 503. */
  maxStreams?: number;
  /** Ping interval of the SSE streams (default 15 s). */
  pingMs?: number;
}

/**
 * `allowHost` for a server bound to loopback: a loopback name with any port (`kubectl port-forward` may put
 * the pod's port on another local port). A DNS-rebinding page sends its own host name, and is refused.
 */
export function loopbackHosts(): (host: string) => boolean {
  return (host) => /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i.test(host);
}

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>KSIT fleet</title>
<link rel="stylesheet" href="/ui/app.css">
<link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">
<script src="/ui/app.js" defer></script>
</head>
<body>
<noscript>The KSIT dashboard needs JavaScript. <code>kubectl ksit status</code> shows the same.</noscript>
</body>
</html>
`;

export function createUiApp(fleet: Fleet, o: UiAppOptions = {}): Hono {
  const app = new Hono();
  const maxStreams = o.maxStreams ?? 64;
  const pingMs = o.pingMs ?? 15_000;
  let streams = 0;

  app.use("*", async (c, next) => {
    if (o.allowHost && !o.allowHost(c.req.header("host") ?? "")) {
      return c.text("unexpected Host header\n", 421);
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      return c.text("the dashboard is read-only\n", 405, { allow: "GET, HEAD" });
    }
    await next();
    c.header("Content-Security-Policy", CSP);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Frame-Options", "DENY");
    c.header("Cross-Origin-Opener-Policy", "same-origin");
    c.header("Cross-Origin-Resource-Policy", "same-origin");
    c.header("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
  });

  app.get("/", (c) => c.redirect("/ui/"));
  app.get("/ui", (c) => c.redirect("/ui/"));
  app.get("/ui/", (c) => c.html(INDEX_HTML, 200, { "cache-control": "no-store" }));
  for (const [name, a] of Object.entries(ASSETS)) {
    app.get(`/ui/${name}`, (c) => {
      if (c.req.header("if-none-match") === a.etag) return c.body(null, 304, { etag: a.etag });
      return c.body(a.body, 200, {
        "content-type": a.type,
        etag: a.etag,
        "cache-control": "no-cache",
      });
    });
  }

  const json = (body: string, status: 200 | 404 | 400 = 200) =>
    new Response(body, {
      status,
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    });

  app.get("/ui/api/view", () => json(fleet.current().json));

  app.get("/ui/api/cluster", (c) => {
    const id = c.req.query("id");
    if (!id) return json(JSON.stringify({ error: "id is required" }), 400);
    const d = fleet.cluster(id);
    return d ? json(JSON.stringify(d)) : json(JSON.stringify({ error: "no such cluster" }), 404);
  });

  app.get("/ui/api/integration", async (c) => {
    const id = c.req.query("id");
    if (!id) return json(JSON.stringify({ error: "id is required" }), 400);
    const d = await fleet.integration(id);
    return d ? json(JSON.stringify(d)) : json(JSON.stringify({ error: "no such integration" }), 404);
  });

  app.get("/ui/api/stream", (c) => {
    if (streams >= maxStreams) return c.text("too many dashboard streams\n", 503);
    streams++;
    return streamSSE(c, async (stream) => {
      let pending: Published | undefined;
      let wake: (() => void) | undefined;
      let done = false;
      const unsubscribe = fleet.subscribe((p) => {
        if (p) pending = p; // a slow reader gets the newest view, never a backlog
        else done = true; // the fleet stopped: end the stream
        wake?.();
      });
      stream.onAbort(() => {
        done = true;
        wake?.();
      });
      try {
        const first = fleet.current();
        await stream.writeSSE({
          event: "view",
          id: String(first.view.version),
          data: first.json,
          retry: 2000,
        });
        let lastVersion = first.view.version;
        while (!done && !stream.aborted) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((r) => {
            wake = r;
            timer = setTimeout(r, pingMs);
            if (pending || done) r();
          });
          clearTimeout(timer);
          wake = undefined;
          if (done || stream.aborted) break;
          const p = pending;
          pending = undefined;
          if (p && p.view.version !== lastVersion) {
            lastVersion = p.view.version;
            await stream.writeSSE({ event: "view", id: String(p.view.version), data: p.json });
          } else {
            await stream.writeSSE({ event: "ping", data: new Date().toISOString() });
          }
        }
      } finally {
        unsubscribe();
        streams--;
      }
    });
  });

  app.notFound((c) => c.text("not found\n", 404));
  return app;
}
