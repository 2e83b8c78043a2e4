/**
 * The envtest-like harness: real etcd + kube-apiserver processes on loopback, one etcd per harness and one
 * etcd prefix per API server (so each server is an independent cluster), RBAC on, service-account signing
 * keys so TokenRequest works, an admin kubeconfig per server. Clusters named in `live` also run
 * kube-controller-manager, kube-scheduler and kwok with a few fake nodes (tests/support/live.ts), so their
 * workloads get real pods and real status; the others are bare API servers. Everything is torn down by
 * `stop()`, and a reaper process kills what is left if the test process dies without stopping (failure,
 * Ctrl-C, kill).
 */
import { KubeConfig } from "@kubernetes/client-node";
import { tuneTransport } from "../../kube/transport.ts";
import { createPki, type TestPki } from "./pki.ts";
import { freePort } from "./ports.ts";
import { type Testbin, testbin } from "./testbin.ts";
import { kubeconfigYaml, type KubeUser } from "./kubeconfig.ts";
import { eventually } from "./poll.ts";
import { LiveControllers, type LiveOptions, type LiveState } from "./live.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const decoder = new TextDecoder();

async function write(path: string, text: string, mode = 0o600) {
  await Deno.writeTextFile(path, text, { mode });
}

/**
 * Copies `s` into `file` chunk by chunk with `FsFile.write`, so the file has the output while the process
 * runs (`FsFile.writable` buffers until it is closed in Deno 2.9: a log read during a test was empty).
 */
export async function pumpInto(file: Deno.FsFile, s: ReadableStream<Uint8Array>): Promise<void> {
  for await (const chunk of s) {
    let off = 0;
    while (off < chunk.length) off += await file.write(chunk.subarray(off));
  }
}

/** Is process `pid` alive (and not a zombie)? */
export function pidAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** A process of the harness: its output goes to a log file, its pid to the reaper. */
export class Proc {
  child: Deno.ChildProcess | undefined;
  pid: number | undefined;
  constructor(
    readonly name: string,
    readonly cmd: string,
    readonly args: string[],
    readonly logPath: string,
    readonly onPid: (pid: number) => void,
    /** Detached: own session, output straight to the log, outlives this Deno process (quickstart). */
    readonly detached = false,
  ) {}

  async start() {
    if (this.detached) {
      // setsid: a new session, so the terminal's Ctrl-C and our exit do not reach it
      this.child = new Deno.Command("setsid", {
        args: ["bash", "-c", 'exec "$0" "$@" >>"$KSIT_LOG" 2>&1', this.cmd, ...this.args],
        env: { KSIT_LOG: this.logPath },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      this.child.unref();
      this.pid = this.child.pid;
      this.onPid(this.pid);
      return;
    }
    const log = await Deno.open(this.logPath, { create: true, append: true, write: true });
    this.child = new Deno.Command(this.cmd, {
      args: this.args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.child.pid;
    this.onPid(this.child.pid);
    // both streams into one log file, as they come; closing happens when the process ends
    Promise.all([pumpInto(log, this.child.stdout), pumpInto(log, this.child.stderr)]).finally(() =>
      log.close()
    );
  }

  get running(): boolean {
    return this.pid !== undefined && pidAlive(this.pid);
  }

  async stop(signal: Deno.Signal = "SIGTERM", graceMs = 5000) {
    const { child, pid } = this;
    this.child = undefined;
    this.pid = undefined;
    if (pid === undefined) return;
    try {
      Deno.kill(pid, signal);
    } catch { /* already gone */ }
    if (child && !this.detached) {
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, graceMs);
      await child.status;
      clearTimeout(timer);
      return;
    }
    const deadline = Date.now() + graceMs;
    while (pidAlive(pid)) {
      if (Date.now() > deadline) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async tail(lines = 30): Promise<string> {
    try {
      return (await Deno.readTextFile(this.logPath)).split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }
}

export class TestCluster {
  readonly url: string;
  readonly kubeconfigPath: string;
  readonly kubeconfigYaml: string;
  /** kube-controller-manager, kube-scheduler and kwok, when this is a live cluster. */
  live?: LiveControllers;
  private proc: Proc;

  constructor(
    readonly harness: Harness,
    readonly name: string,
    readonly port: number,
    readonly args: string[],
    readonly dir: string,
  ) {
    this.url = `https://127.0.0.1:${port}`;
    this.kubeconfigPath = `${dir}/admin.kubeconfig`;
    this.kubeconfigYaml = this.kubeconfigFor({
      certPem: harness.pki.admin.certPem,
      keyPem: harness.pki.admin.keyPem,
    });
    this.proc = harness.proc(name, harness.bin.kubeApiserver, args, `${dir}/kube-apiserver.log`);
  }

  /** The API server's pid while it runs. */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Takes over a running process (Harness.attach). */
  adopt(pid: number) {
    this.proc.pid = pid;
  }

  /** A self-contained kubeconfig for this server and the given user. */
  kubeconfigFor(
    user: KubeUser,
    opts: { server?: string; contextName?: string; namespace?: string; tlsServerName?: string } = {},
  ): string {
    return kubeconfigYaml({
      name: opts.contextName ?? this.name,
      server: opts.server ?? this.url,
      caPem: this.harness.pki.ca.certPem,
      user,
      namespace: opts.namespace,
      tlsServerName: opts.tlsServerName,
    });
  }

  /** A fresh client-node KubeConfig for the admin user, on the transport KSIT itself uses (Deno's fetch). */
  kc(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfigYaml);
    return tuneTransport(kc);
  }

  get running(): boolean {
    return this.proc.running;
  }

  async start(): Promise<void> {
    await write(this.kubeconfigPath, this.kubeconfigYaml);
    await this.proc.start();
    const client = this.harness.httpClient;
    try {
      await eventually(async () => {
        if (!this.proc.running) throw new Error("kube-apiserver exited");
        const res = await fetch(`${this.url}/readyz`, { client, signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        return res.status === 200;
      }, { timeoutMs: 60_000, intervalMs: 100, what: `${this.name} /readyz` });
    } catch (e) {
      throw new Error(
        `${this.name}: kube-apiserver not ready: ${(e as Error).message}\n${await this.proc.tail()}`,
      );
    }
  }

  /** Stops the API server (its etcd data stays: `start()` brings the same cluster back). */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<void> {
    await this.proc.stop(signal);
  }

  /** SIGSTOP: the process stays, its connections stay open, nothing is answered (a hung API server). */
  pause(): void {
    if (this.proc.pid !== undefined) Deno.kill(this.proc.pid, "SIGSTOP");
  }

  /** SIGCONT after `pause()`. */
  resume(): void {
    if (this.proc.pid !== undefined) Deno.kill(this.proc.pid, "SIGCONT");
  }

  /** Runs the real kubectl against this server as admin. */
  async kubectl(args: string[], opts: { stdin?: string; kubeconfig?: string } = {}): Promise<RunResult> {
    return await this.harness.run(this.harness.bin.kubectl, [
      "--kubeconfig",
      opts.kubeconfig ?? this.kubeconfigPath,
      ...args,
    ], opts.stdin);
  }

  /** Mints a token for a ServiceAccount through the TokenRequest API. */
  async token(namespace: string, serviceAccount: string, expirationSeconds = 3600): Promise<string> {
    const r = await this.kubectl([
      "create",
      "token",
      serviceAccount,
      "-n",
      namespace,
      `--duration=${expirationSeconds}s`,
    ]);
    if (r.code !== 0) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  log(lines = 40): Promise<string> {
    return this.proc.tail(lines);
  }
}

export interface HarnessOptions {
  /** Names of the clusters to start, e.g. ["cp", "cluster-1", "cluster-2"]; or a count. */
  clusters: string[] | number;
  /** Extra kube-apiserver flags. */
  apiserverArgs?: string[];
  /**
   * Address the API servers listen on (default 127.0.0.1). The benchmark uses 0.0.0.0 so that every address of
   * 127.0.0.0/8 reaches them (kubeconfigs then set tls-server-name: localhost).
   */
  bindAddress?: string;
  /**
   * Detached (the quickstart): state in `dir` (created), processes in their own session that outlive this
   * Deno process, no reaper; `Harness.attach(dir)` finds them again and `stop()` ends them.
   */
  detached?: { dir: string };
  /**
   * Names of the clusters that run kube-controller-manager, kube-scheduler and kwok (live clusters, see
   * tests/support/live.ts); the others stay bare API servers.
   */
  live?: string[];
  liveOptions?: LiveOptions;
}

interface HarnessState {
  etcd: { url: string; pid: number; args: string[] };
  clusters: { name: string; port: number; pid: number; args: string[]; live?: LiveState }[];
}

/** Harnesses of this process that have a reaper (not detached). */
const live = new Set<Harness>();

/** Records a process a test started (e.g. `serve`) so the reapers kill it if this test process dies. */
export function trackChild(pid: number): void {
  for (const h of live) h.track(pid);
}

export class Harness {
  readonly clusters: TestCluster[] = [];
  readonly httpClient: Deno.HttpClient;
  private etcd!: Proc;
  private etcdUrl = "";
  private reaper: Deno.ChildProcess | undefined;
  private stopped = false;
  /** Milliseconds from `start()` until every server answered /readyz (and every live cluster was ready). */
  startupMs = 0;
  /** Milliseconds the live clusters took after their API servers were ready (they start in parallel). */
  liveStartupMs = 0;

  private constructor(
    readonly dir: string,
    readonly bin: Testbin,
    readonly pki: TestPki,
    readonly detached = false,
  ) {
    this.httpClient = Deno.createHttpClient({ caCerts: [pki.ca.certPem] });
  }

  static async start(opts: HarnessOptions): Promise<Harness> {
    const t0 = performance.now();
    const names = typeof opts.clusters === "number"
      ? Array.from({ length: opts.clusters }, (_, i) => `cluster-${i + 1}`)
      : opts.clusters;
    const dirP = opts.detached
      ? Deno.mkdir(opts.detached.dir, { recursive: true }).then(() => opts.detached!.dir)
      : Deno.makeTempDir({ prefix: "ksit-harness-" });
    const [bin, pki, dir] = await Promise.all([testbin(), createPki(), dirP]);
    const h = new Harness(dir, bin, pki, !!opts.detached);
    try {
      if (!h.detached) {
        h.startReaper();
        live.add(h);
      }
      await h.writePki();
      await h.startEtcd();
      const liveNames = new Set(opts.live ?? []);
      for (const l of liveNames) if (!names.includes(l)) throw new Error(`live: no cluster named ${l}`);
      for (const name of names) {
        const bind = opts.bindAddress ?? "127.0.0.1";
        const c = h.newCluster(name, opts.apiserverArgs ?? [], bind, liveNames.has(name));
        if (liveNames.has(name)) c.live = new LiveControllers(c, opts.liveOptions);
        h.clusters.push(c);
      }
      // a live cluster starts its controllers as soon as its own API server is ready
      await Promise.all(h.clusters.map(async (c) => {
        await c.start();
        await c.live?.start();
      }));
      h.liveStartupMs = Math.max(0, ...h.clusters.map((c) => c.live?.startupMs ?? 0));
      if (h.detached) await h.saveState();
    } catch (e) {
      await h.stop();
      throw e;
    }
    h.startupMs = Math.round(performance.now() - t0);
    return h;
  }

  /**
   * Finds a detached harness again from its directory. Returns undefined when there is none, or when any of
   * its processes is gone (the caller then stops what is left and starts anew).
   */
  static async attach(dir: string): Promise<Harness | undefined> {
    let state: HarnessState;
    try {
      state = JSON.parse(await Deno.readTextFile(`${dir}/state.json`));
    } catch {
      return undefined;
    }
    const read = (f: string) => Deno.readTextFile(`${dir}/${f}`);
    const pki = {
      ca: { certPem: await read("ca.crt"), keyPem: "" },
      serving: { certPem: await read("serving.crt"), keyPem: "" },
      admin: { certPem: await read("admin.crt"), keyPem: await read("admin.key") },
      serviceAccount: { publicPem: await read("sa.pub"), privatePem: "" },
      client: () => Promise.reject(new Error("an attached harness cannot issue certificates")),
    } satisfies TestPki;
    const h = new Harness(dir, await testbin(), pki, true);
    h.etcdUrl = state.etcd.url;
    h.etcd = h.proc("etcd", h.bin.etcd, state.etcd.args, `${dir}/etcd.log`);
    h.etcd.pid = state.etcd.pid;
    for (const c of state.clusters) {
      const cluster = new TestCluster(h, c.name, c.port, c.args, `${dir}/${c.name}`);
      cluster.adopt(c.pid);
      if (c.live) cluster.live = new LiveControllers(cluster, {}, c.live);
      h.clusters.push(cluster);
    }
    return h;
  }

  /** Every process of this harness is alive. */
  get healthy(): boolean {
    return this.etcd?.running && this.clusters.every((c) => c.running && (c.live?.running ?? true));
  }

  /** The cluster called `name`. */
  cluster(name: string): TestCluster {
    const c = this.clusters.find((c) => c.name === name);
    if (!c) throw new Error(`no cluster ${name} in this harness`);
    return c;
  }

  /**
   * Compacts etcd at its current revision (what kube-apiserver does every 5 min): resourceVersions before it
   * are gone, and a watch from one served by etcd gets `410 Gone`. Returns the revision.
   */
  async compactEtcd(): Promise<number> {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${this.etcdUrl}${path}`, { method: "POST", body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status} ${await res.text()}`);
      return await res.json();
    };
    const range = await post("/v3/kv/range", { key: btoa("\0"), range_end: btoa("\0"), count_only: true });
    const revision = Number(range.header.revision);
    await post("/v3/kv/compaction", { revision: String(revision), physical: true });
    return revision;
  }

  /** Stops this harness' etcd (every API server of the harness loses its storage; data stays on disk). */
  async stopEtcd(): Promise<void> {
    await this.etcd.stop("SIGKILL");
  }

  /** Starts etcd again after `stopEtcd()` (same data, same address). */
  async restartEtcd(): Promise<void> {
    await this.etcd.start();
    await eventually(async () => {
      const res = await fetch(`${this.etcdUrl}/health`, { signal: AbortSignal.timeout(1000) });
      return (await res.json()).health === "true";
    }, { timeoutMs: 30_000, what: "etcd /health" });
  }

  /** Records a pid the reaper kills if this process dies without stop() (also for processes tests start). */
  track(pid: number) {
    Deno.writeTextFileSync(`${this.dir}/pids`, `${pid}\n`, { append: true });
  }

  proc(name: string, cmd: string, args: string[], logPath: string): Proc {
    return new Proc(name, cmd, args, logPath, (p) => this.track(p), this.detached);
  }

  private async saveState() {
    const state: HarnessState = {
      etcd: { url: this.etcdUrl, pid: this.etcd.pid!, args: this.etcd.args },
      clusters: this.clusters.map((c) => ({
        name: c.name,
        port: c.port,
        pid: c.pid!,
        args: c.args,
        live: c.live?.state(),
      })),
    };
    await write(`${this.dir}/state.json`, JSON.stringify(state, null, 2));
  }

  private startReaper() {
    // Kills every process we started and removes the state directory if this Deno process goes away
    // without calling stop() (a crash, SIGKILL, an interrupted run).
    const script = `
      while kill -0 ${Deno.pid} 2>/dev/null && [ ! -e "$1/.stopped" ]; do sleep 1; done
      [ -e "$1/.stopped" ] && exit 0
      [ -f "$1/pids" ] && xargs -r kill -9 < "$1/pids" 2>/dev/null
      sleep 0.5; rm -rf "$1"`;
    this.reaper = new Deno.Command("bash", {
      args: ["-c", script, "reaper", this.dir],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.reaper.unref();
  }

  private async startEtcd() {
    const client = freePort();
    const peer = freePort();
    this.etcdUrl = `http://127.0.0.1:${client}`;
    this.etcd = this.proc(
      "etcd",
      this.bin.etcd,
      [
        `--data-dir=${this.dir}/etcd`,
        `--listen-client-urls=${this.etcdUrl}`,
        `--advertise-client-urls=${this.etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=default=http://127.0.0.1:${peer}`,
        "--unsafe-no-fsync",
        "--log-level=warn",
        "--quota-backend-bytes=4294967296",
      ],
      `${this.dir}/etcd.log`,
    );
    await this.etcd.start();
    await eventually(async () => {
      const res = await fetch(`${this.etcdUrl}/health`, { signal: AbortSignal.timeout(1000) });
      return (await res.json()).health === "true";
    }, { timeoutMs: 30_000, what: "etcd /health" }).catch(async (e) => {
      throw new Error(`${e.message}\n${await this.etcd.tail()}`);
    });
  }

  private async writePki() {
    const p = this.pki;
    await write(`${this.dir}/ca.crt`, p.ca.certPem, 0o644);
    await write(`${this.dir}/serving.crt`, p.serving.certPem, 0o644);
    await write(`${this.dir}/serving.key`, p.serving.keyPem);
    await write(`${this.dir}/sa.pub`, p.serviceAccount.publicPem, 0o644);
    await write(`${this.dir}/sa.key`, p.serviceAccount.privatePem);
    await write(`${this.dir}/admin.crt`, p.admin.certPem, 0o644);
    await write(`${this.dir}/admin.key`, p.admin.keyPem);
  }

  private newCluster(name: string, extra: string[], bindAddress: string, live = false): TestCluster {
    const port = freePort();
    const dir = `${this.dir}/${name}`;
    Deno.mkdirSync(dir, { recursive: true });
    const args = [
      `--etcd-servers=${this.etcdUrl}`,
      `--etcd-prefix=/ksit/${name}`,
      `--bind-address=${bindAddress}`,
      "--advertise-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${dir}/certs`,
      `--tls-cert-file=${this.dir}/serving.crt`,
      `--tls-private-key-file=${this.dir}/serving.key`,
      `--client-ca-file=${this.dir}/ca.crt`,
      "--authorization-mode=RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${this.dir}/sa.pub`,
      `--service-account-signing-key-file=${this.dir}/sa.key`,
      // live clusters get real Services for every tool install: room for thousands of ClusterIPs
      `--service-cluster-ip-range=${live ? "10.96.0.0/16" : "10.0.0.0/24"}`,
      "--allow-privileged=true",
      "--profiling=false",
      "--enable-priority-and-fairness=false",
      "--endpoint-reconciler-type=none",
      "--v=0",
      ...extra,
    ];
    return new TestCluster(this, name, port, args, dir);
  }

  /** Runs a command with a clean, predictable environment and captures its output. */
  async run(cmd: string, args: string[], stdin?: string, env?: Record<string, string>): Promise<RunResult> {
    const child = new Deno.Command(cmd, {
      args,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", ...env },
    }).spawn();
    if (stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(stdin));
      await w.close();
    }
    const out = await child.output();
    return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
  }

  /** Stops every process; removes the state directory unless `keep`. */
  async stop(opts: { keep?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    live.delete(this);
    // SIGKILL: nothing to shut down gracefully at teardown, and no GOAWAY reaches a client in this process
    // that still talks HTTP/2 through undici (denoland/deno#36788 would abort the test run)
    await Promise.all(this.clusters.map((c) => c.live?.stop("SIGKILL")));
    await Promise.all(this.clusters.map((c) => c.stop("SIGKILL")));
    await this.etcd?.stop();
    this.httpClient.close();
    try {
      Deno.writeTextFileSync(`${this.dir}/.stopped`, "");
    } catch { /* dir gone */ }
    if (!opts.keep) await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Starts one harness for a test file (before its first test) and stops it after the last one.
 * Returns a getter, valid inside tests.
 */
export function useHarness(opts: HarnessOptions): () => Harness {
  let h: Harness | undefined;
  Deno.test.beforeAll(async () => {
    h = await Harness.start(opts);
    const live = h.clusters.filter((c) => c.live).map((c) => `${c.name} ${c.live!.startupMs} ms`);
    console.log(
      `harness: ${h.clusters.length} API server(s) ready in ${h.startupMs} ms` +
        (live.length ? ` (live controllers + nodes: ${live.join(", ")})` : ""),
    );
  });
  Deno.test.afterAll(async () => {
    await h?.stop();
  });
  return () => {
    if (!h) throw new Error("harness not started");
    return h;
  };
}
