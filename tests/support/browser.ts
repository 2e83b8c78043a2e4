/**
 * Headless Chromium (Debian's `chromium` package) driven over the Chrome DevTools Protocol with Deno's own
 * WebSocket: a small client with exactly what the dashboard tests need — open a page, evaluate script in it,
 * wait for a condition, take a screenshot, and collect what went wrong on the page (exceptions, console
 * errors, CSP violations, dialogs such as `alert()`).
 *
 * Why not puppeteer-core or playwright-core: both were tried under Deno 2.9.6 through npm: specifiers against
 * Debian's Chromium 156 and both work (launch, click, title: playwright-core 1.65.1 in 3.8 s, puppeteer-core
 * 25.16.0 in 1.1 s, cold). What the tests need is small — open a page, evaluate script, wait, screenshot, and
 * see the page's exceptions, console errors and CSP reports — and CDP is JSON over one WebSocket, which Deno has
 * built in. So no dependency: puppeteer-core brings 28 npm packages (ws, yargs, zod, proxy-agent,
 * chromium-bidi, …), playwright-core one package of ~10 MB that is made for its own browser builds; this
 * client is one file that can be read in full, with nothing to update in deno.lock.
 *
 * The binary: $KSIT_CHROMIUM, else `chromium`, `chromium-browser`, `google-chrome` on PATH. When none is
 * there, `launchBrowser` throws `BrowserMissingError` saying how to install one (tests fail, never skip).
 */
import { trackChild } from "./harness.ts";

export class BrowserMissingError extends Error {
  override name = "BrowserMissingError";
}

/** The flags a root, offline, GPU-less build machine needs (see README: "Dashboard"). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
  "--disable-dev-shm-usage",
  "--mute-audio",
  "--hide-scrollbars",
  "--font-render-hinting=none",
];

function onPath(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      const p = `${dir}/${name}`;
      if (Deno.statSync(p).isFile) return p;
    } catch { /* not here */ }
  }
  return undefined;
}

/** The Chromium binary to use, or undefined. */
export function findChromium(): string | undefined {
  const env = Deno.env.get("KSIT_CHROMIUM");
  if (env) return env;
  for (const n of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    const p = onPath(n);
    if (p) return p;
  }
  return undefined;
}

/** Chromium's own version line, e.g. "Chromium 156.0.8078.114 built on Debian …". */
export async function chromiumVersion(bin: string): Promise<string> {
  const out = await new Deno.Command(bin, { args: ["--version"], stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

type Json = Record<string, unknown>;
interface Pending {
  resolve: (v: Json) => void;
  reject: (e: Error) => void;
  method: string;
}

class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(method: string, params: Json, sessionId?: string) => void>();
  closed = false;

  constructor(private readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data as string) as {
        id?: number;
        result?: Json;
        error?: { message: string };
        method?: string;
        params?: Json;
        sessionId?: string;
      };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (!p) return;
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result ?? {});
      } else if (msg.method) {
        for (const l of this.listeners) l(msg.method, msg.params ?? {}, msg.sessionId);
      }
    };
    ws.onclose = () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: browser connection closed`));
      this.pending.clear();
    };
  }

  send(method: string, params: Json = {}, sessionId?: string, timeoutMs = 30_000): Promise<Json> {
    if (this.closed) return Promise.reject(new Error(`${method}: browser connection closed`));
    const id = this.nextId++;
    return new Promise<Json>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  on(fn: (method: string, params: Json, sessionId?: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    try {
      this.ws.close();
    } catch { /* closed */ }
  }
}

export class Page {
  /** Uncaught exceptions, console errors and CSP/security log entries seen on the page. */
  readonly problems: string[] = [];
  /** Messages of JavaScript dialogs (alert, confirm, prompt) the page opened; each is dismissed. */
  readonly dialogs: string[] = [];
  /** Console messages of any level. */
  readonly console: string[] = [];
  private readonly off: () => void;
  private loaded: (() => void) | undefined;

  constructor(private readonly conn: Connection, readonly sessionId: string, readonly targetId: string) {
    this.off = conn.on((method, params, sid) => {
      if (sid !== sessionId) return;
      if (method === "Runtime.exceptionThrown") {
        const d = params.exceptionDetails as { text?: string; exception?: { description?: string } };
        this.problems.push(`exception: ${d.exception?.description ?? d.text}`);
      } else if (method === "Runtime.consoleAPICalled") {
        const args = (params.args as { value?: unknown; description?: string }[]).map((a) =>
          a.value !== undefined ? String(a.value) : a.description ?? ""
        );
        const line = `${params.type}: ${args.join(" ")}`;
        this.console.push(line);
        if (params.type === "error") this.problems.push(`console ${line}`);
      } else if (method === "Log.entryAdded") {
        const e = params.entry as { level: string; source: string; text: string };
        if (e.level === "error" || e.source === "security") this.problems.push(`${e.source}: ${e.text}`);
      } else if (method === "Page.javascriptDialogOpening") {
        this.dialogs.push(String(params.message));
        this.cmd("Page.handleJavaScriptDialog", { accept: false }).catch(() => {});
      } else if (method === "Page.loadEventFired") {
        this.loaded?.();
      }
    });
  }

  cmd(method: string, params: Json = {}, timeoutMs?: number): Promise<Json> {
    return this.conn.send(method, params, this.sessionId, timeoutMs);
  }

  async init(width: number, height: number): Promise<void> {
    await Promise.all([
      this.cmd("Page.enable"),
      this.cmd("Runtime.enable"),
      this.cmd("Log.enable"),
      this.cmd("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false }),
    ]);
  }

  /** Resizes the viewport. */
  async viewport(width: number, height: number): Promise<void> {
    await this.cmd("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
  }

  /** Navigates and waits for the load event. */
  async goto(url: string, timeoutMs = 30_000): Promise<void> {
    const loaded = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${url}: no load event within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.loaded = () => (clearTimeout(timer), resolve());
    });
    const r = await this.cmd("Page.navigate", { url });
    if (r.errorText) throw new Error(`${url}: ${r.errorText}`);
    await loaded;
    this.loaded = undefined;
  }

  /** Evaluates an expression (awaiting a promise) and returns its JSON value. */
  async eval<T = unknown>(expression: string): Promise<T> {
    const r = await this.cmd("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    const ex = r.exceptionDetails as { text?: string; exception?: { description?: string } } | undefined;
    if (ex) throw new Error(`evaluate ${expression.slice(0, 80)}: ${ex.exception?.description ?? ex.text}`);
    return (r.result as { value?: T }).value as T;
  }

  /** Polls `expression` in the page until it is truthy; returns its value. */
  async waitFor<T = unknown>(expression: string, o: { timeoutMs?: number; what?: string } = {}): Promise<T> {
    const until = Date.now() + (o.timeoutMs ?? 15_000);
    let last: unknown;
    while (Date.now() < until) {
      try {
        last = await this.eval<T>(expression);
        if (last) return last as T;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${o.what ?? expression} (last: ${last})`);
  }

  /** A PNG of the viewport (or the full page with `full`). */
  async screenshot(path: string, o: { full?: boolean } = {}): Promise<void> {
    const r = await this.cmd("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: o.full === true,
    });
    await Deno.writeFile(path, Uint8Array.from(atob(r.data as string), (c) => c.charCodeAt(0)));
  }

  async close(): Promise<void> {
    this.off();
    await this.conn.send("Target.closeTarget", { targetId: this.targetId }).catch(() => {});
  }
}

export class Browser {
  private constructor(
    private readonly child: Deno.ChildProcess,
    private readonly conn: Connection,
    private readonly dir: string,
    readonly version: string,
  ) {}

  /** Starts headless Chromium with a fresh profile. */
  static async launch(): Promise<Browser> {
    const bin = findChromium();
    if (!bin) {
      throw new BrowserMissingError(
        "no Chromium found for the browser tests: install Debian's package (apt-get install -y chromium), " +
          "or set KSIT_CHROMIUM to a Chromium/Chrome binary. .ci/run installs it.",
      );
    }
    const version = await chromiumVersion(bin).catch((e) => {
      throw new BrowserMissingError(`${bin} --version failed: ${(e as Error).message}`);
    });
    const dir = await Deno.makeTempDir({ prefix: "ksit-chromium-" });
    const child = new Deno.Command(bin, {
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${dir}`, "--remote-debugging-port=0", "about:blank"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    trackChild(child.pid);
    let stderr = "";
    (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        if (stderr.length < 64 * 1024) stderr += chunk;
      }
    })().catch(() => {});
    // Chromium writes the port and the browser target's path into DevToolsActivePort once it listens
    const until = Date.now() + 30_000;
    let endpoint = "";
    while (!endpoint) {
      try {
        const [port, path] = (await Deno.readTextFile(`${dir}/DevToolsActivePort`)).split("\n");
        if (port && path) endpoint = `ws://127.0.0.1:${port}${path}`;
      } catch { /* not yet */ }
      if (endpoint) break;
      if (Date.now() > until) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
        throw new Error(`Chromium did not start its DevTools endpoint within 30 s:\n${stderr.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const ws = new WebSocket(endpoint);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot connect to ${endpoint}`));
    });
    return new Browser(child, new Connection(ws), dir, version);
  }

  async newPage(o: { width?: number; height?: number } = {}): Promise<Page> {
    const { targetId } = await this.conn.send("Target.createTarget", { url: "about:blank" }) as {
      targetId: string;
    };
    const { sessionId } = await this.conn.send("Target.attachToTarget", { targetId, flatten: true }) as {
      sessionId: string;
    };
    const page = new Page(this.conn, sessionId, targetId);
    await page.init(o.width ?? 1400, o.height ?? 860);
    return page;
  }

  async close(): Promise<void> {
    await this.conn.send("Browser.close", {}, undefined, 5_000).catch(() => {});
    this.conn.close();
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 5_000);
    await this.child.status;
    clearTimeout(timer);
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
