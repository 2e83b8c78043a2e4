/**
 * The envtest-like harness: real etcd + kube-apiserver processes on loopback, one etcd per harness and one
 * etcd prefix per API server (so each server is an independent cluster), RBAC on, service-account signing
 * keys so TokenRequest works, an admin kubeconfig per server. Everything is torn down by `stop()`, and a
 * reaper process kills what is left if the test process dies without stopping (failure, Ctrl-C, kill).
 */
import { KubeConfig } from "@kubernetes/client-node";
import { createPki, type TestPki } from "./pki.ts";
import { freePort } from "./ports.ts";
import { type Testbin, testbin } from "./testbin.ts";
import { kubeconfigYaml, type KubeUser } from "./kubeconfig.ts";
import { eventually } from "./poll.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const decoder = new TextDecoder();

async function write(path: string, text: string, mode = 0o600) {
  await Deno.writeTextFile(path, text, { mode });
}

class Proc {
  child: Deno.ChildProcess | undefined;
  constructor(
    readonly name: string,
    readonly cmd: string,
    readonly args: string[],
    readonly logPath: string,
    readonly onPid: (pid: number) => void,
  ) {}

  async start() {
    const log = await Deno.open(this.logPath, { create: true, append: true, write: true });
    this.child = new Deno.Command(this.cmd, {
      args: this.args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.onPid(this.child.pid);
    // both streams into one log file; closing happens when the process ends
    const w = log.writable.getWriter();
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const chunk of s) await w.write(chunk);
    };
    Promise.all([pump(this.child.stdout), pump(this.child.stderr)]).finally(() => w.close().catch(() => {}));
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async stop(signal: Deno.Signal = "SIGTERM", graceMs = 5000) {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    try {
      child.kill(signal);
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, graceMs);
    await child.status;
    clearTimeout(timer);
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
  private proc: Proc;

  constructor(
    readonly harness: Harness,
    readonly name: string,
    readonly port: number,
    args: string[],
    readonly dir: string,
  ) {
    this.url = `https://127.0.0.1:${port}`;
    this.kubeconfigPath = `${dir}/admin.kubeconfig`;
    this.kubeconfigYaml = this.kubeconfigFor({
      certPem: harness.pki.admin.certPem,
      keyPem: harness.pki.admin.keyPem,
    });
    this.proc = new Proc(
      name,
      harness.bin.kubeApiserver,
      args,
      `${dir}/kube-apiserver.log`,
      (p) => harness.track(p),
    );
  }

  /** A self-contained kubeconfig for this server and the given user. */
  kubeconfigFor(
    user: KubeUser,
    opts: { server?: string; contextName?: string; namespace?: string } = {},
  ): string {
    return kubeconfigYaml({
      name: opts.contextName ?? this.name,
      server: opts.server ?? this.url,
      caPem: this.harness.pki.ca.certPem,
      user,
      namespace: opts.namespace,
    });
  }

  /** A fresh client-node KubeConfig for the admin user. */
  kc(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfigYaml);
    return kc;
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
  /** Keep the state directory (logs) after stop. */
  keep?: boolean;
  /** Extra kube-apiserver flags. */
  apiserverArgs?: string[];
}

export class Harness {
  readonly clusters: TestCluster[] = [];
  readonly httpClient: Deno.HttpClient;
  private etcd!: Proc;
  private etcdUrl = "";
  private reaper: Deno.ChildProcess | undefined;
  private stopped = false;
  /** Milliseconds from `start()` until every server answered /readyz. */
  startupMs = 0;

  private constructor(readonly dir: string, readonly bin: Testbin, readonly pki: TestPki) {
    this.httpClient = Deno.createHttpClient({ caCerts: [pki.ca.certPem] });
  }

  static async start(opts: HarnessOptions): Promise<Harness> {
    const t0 = performance.now();
    const names = typeof opts.clusters === "number"
      ? Array.from({ length: opts.clusters }, (_, i) => `cluster-${i + 1}`)
      : opts.clusters;
    const [bin, pki, dir] = await Promise.all([
      testbin(),
      createPki(),
      Deno.makeTempDir({ prefix: "ksit-harness-" }),
    ]);
    const h = new Harness(dir, bin, pki);
    try {
      h.startReaper();
      await h.startEtcd();
      await h.writePki();
      for (const name of names) h.clusters.push(h.newCluster(name, opts.apiserverArgs ?? []));
      await Promise.all(h.clusters.map((c) => c.start()));
    } catch (e) {
      await h.stop();
      throw e;
    }
    h.startupMs = Math.round(performance.now() - t0);
    return h;
  }

  /** The cluster called `name`. */
  cluster(name: string): TestCluster {
    const c = this.clusters.find((c) => c.name === name);
    if (!c) throw new Error(`no cluster ${name} in this harness`);
    return c;
  }

  track(pid: number) {
    Deno.writeTextFileSync(`${this.dir}/pids`, `${pid}\n`, { append: true });
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
    this.etcd = new Proc(
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
      (p) => this.track(p),
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
  }

  private newCluster(name: string, extra: string[]): TestCluster {
    const port = freePort();
    const dir = `${this.dir}/${name}`;
    Deno.mkdirSync(dir, { recursive: true });
    const args = [
      `--etcd-servers=${this.etcdUrl}`,
      `--etcd-prefix=/ksit/${name}`,
      "--bind-address=127.0.0.1",
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
      "--service-cluster-ip-range=10.0.0.0/24",
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

  async stop(opts: { keep?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.clusters.map((c) => c.stop()));
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
    console.log(`harness: ${h.clusters.length} API server(s) ready in ${h.startupMs} ms`);
  });
  Deno.test.afterAll(async () => {
    await h?.stop();
  });
  return () => {
    if (!h) throw new Error("harness not started");
    return h;
  };
}
