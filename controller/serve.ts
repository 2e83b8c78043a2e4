/**
 * `kubectl-ksit serve`: the in-cluster controller. Builds the dependencies, starts the controller, leader
 * election and the Hono health/metrics server, and resolves once stopped (SIGTERM/SIGINT or `signal`):
 * watches stopped, Lease released, server closed.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { tuneTransport } from "../checks/kube_transport.ts";
import { createApp } from "./app.ts";
import { type Clock, systemClock } from "./clock.ts";
import { Controller } from "./controller.ts";
import { kubeEventRecorder } from "./events.ts";
import { KubeClient } from "./kube.ts";
import { LeaderElector } from "./leader.ts";
import { jsonLogger, type LogLevel } from "./log.ts";
import { controllerMetrics } from "./metrics.ts";
import { Semaphore } from "./semaphore.ts";
import { serverPolicy } from "./server_policy.ts";

export interface ServeOptions {
  kubeconfig?: string;
  context?: string;
  /** Default: the pod's namespace (in-cluster), else the kubeconfig context's namespace, else "default". */
  namespace?: string;
  /**
   * Watch every namespace (the chart's `watch.allNamespaces`, flag `--all-namespaces`); `namespace` then only
   * holds the leader-election Lease. Needs the rules of controller-rbac.yaml as a ClusterRole.
   */
  allNamespaces?: boolean;
  /** ":8080" or "127.0.0.1:0". */
  healthAddr: string;
  leaderElect: boolean;
  leaseName?: string;
  leaseDurationMs?: number;
  concurrency: number;
  requestTimeoutMs: number;
  allowExecAuth: boolean;
  logLevel: LogLevel;
  mode?: "watch" | "poll";
  identity?: string;
  /** `--allowed-servers`: only these workload API server addresses (CIDRs, host names, *.suffix). */
  allowedServers?: string[];
  /** `--denied-servers`: never these. */
  deniedServers?: string[];
  /** `--secret-selector`: only Secrets with these labels are read. */
  secretSelector?: string;
  /** `--ui-addr`: serve the dashboard (ui/) on this address; unset: no dashboard. */
  uiAddr?: string;
}

const SA_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** Splits `host:port` (`:8080` ⇒ all interfaces). */
export function parseAddr(addr: string, flag = "--health-addr"): { hostname: string; port: number } {
  const i = addr.lastIndexOf(":");
  if (i < 0) throw new Error(`${flag} ${addr}: expected host:port or :port`);
  let hostname = addr.slice(0, i) || "0.0.0.0";
  if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1);
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag} ${addr}: bad port`);
  return { hostname, port };
}

/** In a pod: the ServiceAccount's in-cluster configuration is used (no --kubeconfig, no --context). */
function inCluster(opts: ServeOptions): boolean {
  return !opts.kubeconfig && !opts.context && !!Deno.env.get("KUBERNETES_SERVICE_HOST");
}

function loadKubeConfig(opts: ServeOptions): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else if (inCluster(opts)) kc.loadFromCluster(); // the token file is re-read every minute (rotation)
  else kc.loadFromDefault();
  if (opts.context) kc.setCurrentContext(opts.context);
  // requests and watches on Deno's fetch (see checks/kube_transport.ts); the control plane is our own
  // cluster, so its responses (Secret lists) are bounded far more loosely than a workload cluster's
  return tuneTransport(kc, { maxResponseBytes: 1024 * 1024 * 1024, maxWatchLineBytes: 64 * 1024 * 1024 });
}

function watchedNamespace(opts: ServeOptions, kc: KubeConfig): string {
  if (opts.namespace) return opts.namespace;
  try {
    const ns = Deno.readTextFileSync(SA_NAMESPACE).trim();
    if (ns) return ns;
  } catch { /* not in a pod */ }
  return kc.getContextObject(kc.getCurrentContext())?.namespace || "default";
}

/** The dashboard (ui/) on its own address, fed by the controller's informers. */
async function startUi(
  addr: string,
  controller: Controller,
  kube: KubeClient,
  namespace: string,
  opts: ServeOptions,
  signal: AbortSignal,
  log: ReturnType<typeof jsonLogger>,
): Promise<{ finished: Promise<void> }> {
  const [{ Fleet }, { createUiApp, loopbackHosts }, { controllerSource }] = await Promise.all([
    import("../ui/fleet.ts"),
    import("../ui/app.ts"),
    import("./ui_source.ts"),
  ]);
  const fleet = new Fleet(
    controllerSource(controller, kube, { namespace, allNamespaces: !!opts.allNamespaces }),
  )
    .start();
  const { hostname, port } = parseAddr(addr, "--ui-addr");
  const loopback = hostname === "127.0.0.1" || hostname === "localhost" || hostname === "::1";
  let app: ReturnType<typeof createUiApp> | undefined;
  const server = Deno.serve({
    hostname,
    port,
    signal,
    onListen: (a) => {
      // a loopback bind (reached through kubectl port-forward) accepts only loopback Host headers
      app = createUiApp(fleet, loopback ? { allowHost: loopbackHosts() } : {});
      log.info("dashboard listening", { addr: `${a.hostname}:${a.port}`, path: "/ui/" });
    },
  }, (req, info) => app ? app.fetch(req, info) : new Response("starting\n", { status: 503 }));
  signal.addEventListener("abort", () => fleet.stop(), { once: true });
  return { finished: server.finished };
}

export async function runServe(opts: ServeOptions, signal?: AbortSignal): Promise<void> {
  const clock: Clock = systemClock;
  const identity = opts.identity ?? `${Deno.hostname()}_${crypto.randomUUID().slice(0, 8)}`;
  const log = jsonLogger(opts.logLevel).with({ component: "ksit-controller" });
  const kc = loadKubeConfig(opts);
  const namespace = watchedNamespace(opts, kc);
  const policy = serverPolicy({
    allowed: opts.allowedServers,
    denied: opts.deniedServers,
    inCluster: inCluster(opts),
  });
  const mode = opts.mode ?? "watch";
  const metrics = controllerMetrics();
  const global = new Semaphore(Math.max(16, opts.concurrency * 4));
  const kube = new KubeClient(kc, {
    target: "control-plane",
    timeoutMs: opts.requestTimeoutMs,
    metrics,
    global,
  });
  const events = kubeEventRecorder(kube, clock, log, identity);

  // a long-running controller logs a stray rejection from a library (e.g. a failing exec credential plugin)
  // instead of dying on it
  const onRejection = (e: PromiseRejectionEvent) => {
    e.preventDefault();
    log.error("unhandled rejection", {
      error: e.reason instanceof Error ? e.reason.message : String(e.reason),
    });
  };
  globalThis.addEventListener("unhandledrejection", onRejection);

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  signal?.addEventListener("abort", onSignal, { once: true });
  if (signal?.aborted) stop.abort();

  let elector: LeaderElector | undefined;
  const canWrite = () => !opts.leaderElect || (elector?.isLeader() ?? false);
  const controller = new Controller({ kube, clock, log, metrics, events, global }, {
    namespace,
    allNamespaces: opts.allNamespaces === true,
    concurrency: Math.max(1, opts.concurrency),
    requestTimeoutMs: opts.requestTimeoutMs,
    allowExecAuth: opts.allowExecAuth,
    mode,
    canWrite,
    serverPolicy: policy,
    ...(opts.secretSelector ? { secretSelector: opts.secretSelector } : {}),
  });
  let leaderLoop: Promise<void> = Promise.resolve();
  if (opts.leaderElect) {
    const leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    elector = new LeaderElector({
      kube,
      namespace,
      name: opts.leaseName ?? "ksit-controller",
      identity,
      leaseDurationMs,
      renewDeadlineMs: Math.round(leaseDurationMs * 2 / 3),
      retryPeriodMs: Math.max(200, Math.round(leaseDurationMs * 2 / 15)),
      clock,
      log,
      onStartedLeading: () => controller.enqueueAll(),
      onStoppedLeading: () => {},
    });
  }

  let heartbeat = clock.now();
  const ticker = setInterval(() => (heartbeat = clock.now()), 1000);
  const app = createApp({
    clock,
    metrics,
    heartbeat: () => heartbeat,
    synced: () => controller.hasSynced(),
    leader: () => canWrite(),
  });
  const { hostname, port } = parseAddr(opts.healthAddr);
  const server = Deno.serve({
    hostname,
    port,
    signal: stop.signal,
    onListen: (a) => log.info("health server listening", { addr: `${a.hostname}:${a.port}` }),
  }, app.fetch);

  const ui = opts.uiAddr
    ? await startUi(opts.uiAddr, controller, kube, namespace, opts, stop.signal, log)
    : undefined;

  log.info("starting", {
    namespace: opts.allNamespaces ? "*" : namespace,
    leaseNamespace: namespace,
    mode,
    identity,
    server: kube.server,
    leaderElect: opts.leaderElect,
    concurrency: opts.concurrency,
    requestTimeoutMs: opts.requestTimeoutMs,
    allowExecAuth: opts.allowExecAuth,
    allowedServers: opts.allowedServers ?? [],
    deniedServers: [...(opts.deniedServers ?? []), ...policy.defaults.map((d) => `${d.text} (default)`)],
  });
  controller.start();
  if (elector) leaderLoop = elector.run(stop.signal);

  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    else stop.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  log.info("shutting down");
  clearInterval(ticker);
  await controller.stop();
  await leaderLoop;
  await server.finished;
  await ui?.finished;
  for (const s of signals) Deno.removeSignalListener(s, onSignal);
  globalThis.removeEventListener("unhandledrejection", onRejection);
  log.info("stopped");
}
