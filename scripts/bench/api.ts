/**
 * A small, dependency-free Kubernetes client for the benchmark itself (native `fetch` with the harness' admin
 * client certificate): JSON requests, bounded parallel loops, a watch with reconnects, and /metrics scrapes.
 * Kept apart from client-node so the bench's own traffic is cheap and does not share code paths with `serve`.
 */
import type { Harness, TestCluster } from "../../tests/support/harness.ts";

export class Api {
  readonly client: Deno.HttpClient;
  constructor(readonly base: string, h: Harness) {
    this.client = Deno.createHttpClient({
      caCerts: [h.pki.ca.certPem],
      cert: h.pki.admin.certPem,
      key: h.pki.admin.keyPem,
    });
  }

  static of(c: TestCluster, h: Harness): Api {
    return new Api(c.url, h);
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    opts: { contentType?: string; ok404?: boolean; timeoutMs?: number } = {},
  ): Promise<T> {
    let res: Response;
    let text: string;
    // 429 "storage is (re)initializing" right after CRDs are installed, and the like: retry, bounded
    for (let attempt = 0;; attempt++) {
      res = await fetch(`${this.base}${path}`, {
        method,
        client: this.client,
        headers: body === undefined ? {} : { "content-type": opts.contentType ?? "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
      text = await res.text();
      if ((res.status !== 429 && res.status !== 503) || attempt >= 30) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    if (res.status === 404 && opts.ok404) return undefined as T;
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async text(path: string): Promise<string> {
    const res = await fetch(`${this.base}${path}`, {
      client: this.client,
      signal: AbortSignal.timeout(30_000),
    });
    const t = await res.text();
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return t;
  }

  close() {
    this.client.close();
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function parallel<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface WatchedObject {
  metadata: {
    name: string;
    resourceVersion?: string;
    generation?: number;
    uid?: string;
    labels?: Record<string, string>;
  };
  // deno-lint-ignore no-explicit-any
  status?: any;
  // deno-lint-ignore no-explicit-any
  spec?: any;
}

type Waiter = {
  test: (objs: Map<string, WatchedObject>) => boolean;
  resolve: (t: number) => void;
};

/**
 * A list+watch of one collection kept in a map; `until(pred)` resolves with the `performance.now()` at which
 * the received state first satisfied `pred` (checked on every event, not polled). Reconnects from the last
 * resourceVersion when the server ends the watch, relists on 410.
 */
export class Watcher {
  readonly objects = new Map<string, WatchedObject>();
  events = 0;
  private rv = "";
  private stopped = false;
  private abort = new AbortController();
  private waiters = new Set<Waiter>();
  private listeners = new Set<(o: WatchedObject, type: string, at: number) => void>();
  private loop: Promise<void> | undefined;
  private reader: ReadableStreamDefaultReader<string> | undefined;

  constructor(private readonly api: Api, private readonly path: string) {}

  async start(): Promise<void> {
    await this.relist();
    this.loop = this.run();
  }

  private async relist() {
    const list = await this.api.request<{ items: WatchedObject[]; metadata: { resourceVersion: string } }>(
      "GET",
      this.path,
    );
    this.objects.clear();
    for (const o of list.items) this.objects.set(o.metadata.name, o);
    this.rv = list.metadata.resourceVersion;
    this.check();
  }

  private async run() {
    while (!this.stopped) {
      try {
        const res = await fetch(
          `${this.api.base}${this.path}${
            this.path.includes("?") ? "&" : "?"
          }watch=1&allowWatchBookmarks=true&resourceVersion=${this.rv}`,
          // identity: Deno's fetch may end a gzipped watch stream after its first flushed block
          { client: this.api.client, signal: this.abort.signal, headers: { "accept-encoding": "identity" } },
        );
        if (!res.ok || !res.body) {
          await res.body?.cancel();
          if (res.status === 410) await this.relist();
          else await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        let buf = "";
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        this.reader = reader;
        try {
          for (;;) {
            const { value: chunk, done } = await reader.read();
            if (done) break;
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf("\n")) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (line.trim()) this.onEvent(JSON.parse(line));
            }
          }
        } finally {
          // an ERROR event (410) ends this watch: its body goes too
          await reader.cancel().catch(() => {});
        }
      } catch (e) {
        if (this.stopped) return;
        if ((e as Error).message?.includes("410")) await this.relist().catch(() => {});
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private onEvent(ev: { type: string; object: WatchedObject & { code?: number } }) {
    if (ev.type === "ERROR") {
      if (ev.object.code === 410) this.rv = "";
      throw new Error(`watch error ${ev.object.code}: 410`);
    }
    this.rv = ev.object.metadata.resourceVersion ?? this.rv;
    if (ev.type === "BOOKMARK") return;
    this.events++;
    if (ev.type === "DELETED") this.objects.delete(ev.object.metadata.name);
    else this.objects.set(ev.object.metadata.name, ev.object);
    if (this.listeners.size) {
      const at = performance.now();
      for (const l of this.listeners) l(ev.object, ev.type, at);
    }
    this.check();
  }

  /** Calls `fn` on every event (ADDED, MODIFIED, DELETED) with its arrival time; returns the unsubscribe. */
  listen(fn: (o: WatchedObject, type: string, at: number) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private check() {
    const now = performance.now();
    for (const w of this.waiters) {
      let ok = false;
      try {
        ok = w.test(this.objects);
      } catch { /* not yet */ }
      if (ok) {
        this.waiters.delete(w);
        w.resolve(now);
      }
    }
  }

  /** Resolves with the time the state first satisfies `test`, or undefined after `timeoutMs`. */
  until(test: (objs: Map<string, WatchedObject>) => boolean, timeoutMs: number): Promise<number | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(undefined);
      }, timeoutMs);
      const waiter: Waiter = {
        test,
        resolve: (t) => {
          clearTimeout(timer);
          resolve(t);
        },
      };
      this.waiters.add(waiter);
      this.check();
    });
  }

  /** Ends the watch: aborts its request and cancels its body (an abort alone may leave a read pending). */
  async stop() {
    this.stopped = true;
    this.abort.abort();
    await this.reader?.cancel().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.loop?.catch(() => {}),
      new Promise((r) => (timer = setTimeout(r, 5_000))),
    ]);
    clearTimeout(timer);
  }
}
