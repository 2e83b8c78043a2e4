/**
 * `kubectl-ksit serve`: the in-cluster controller. Builds the dependencies, starts the controller, leader
 * election, the Hono health/metrics server and, with `--ui-addr`, the dashboard (ui/), and resolves once
 * stopped (SIGTERM/SIGINT or `signal`): watches stopped, Lease released, servers closed.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { tuneTransport } from "../kube/transport.ts";
import { createApp } from "./app.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { Controller, TARGET_WORKERS_PER_CONCURRENCY } from "./controller.ts";
import { kubeEventRecorder } from "./events.ts";
import { ClusterClient } from "../kube/client.ts";
import { LeaderElector } from "./leader.ts";
import { jsonLogger, type Logger, type LogLevel } from "../util/log.ts";
import { type ControllerMetrics, controllerMetrics } from "./metrics.ts";
import { Semaphore } from "../util/semaphore.ts";
import { serverPolicy } from "./server_policy.ts";
import type { InventoryOptions } from "./inventory_caches.ts";
import { Membership } from "./membership.ts";
import { dynamicOwnership, fixedOwnership, shardLabels, singleOwnership } from "./sharding.ts";

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
  /** `--lease-duration`, ms. */
  leaseDuration?: number;
  concurrency: number;
  /** `--request-timeout`, ms: the deadline of each API call. */
  requestTimeout: number;
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
  /**
   * `--inventory` / `--credentials-from`: per inventory source, the namespaces to read and whether to maintain
   * targets from them (controller/inventory_caches.ts, inventory_sync.ts).
   */
  inventories?: InventoryOptions;
  /** `--ui-addr`: serve the dashboard (ui/) on this address; unset: no dashboard. */
  uiAddr?: string;
  /**
   * `--sharding`: off (the leader, or the only replica, judges every target), dynamic (the live replicas share
   * them by their Leases), fixed (`shard` of `shards`). Not off needs leaderElect (one replica rolls up).
   */
  sharding?: "off" | "dynamic" | "fixed";
  shard?: number;
  shards?: number;
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
  // requests and watches on Deno's fetch (see kube/transport.ts); the control plane is our own
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

/**
 * `serve`'s steps: dependencies, controller, leader election, health server, dashboard; then run until stopped
 * and shut down in order. Over 60 lines because it is the one place where the process is wired, top to bottom;
 * each step is a call (stopOnSignals, leaderElector, startHealthServer, startUiServer, the Controller).
 */
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
  // the target reconciles (4 per unit of concurrency, controller.ts) each make a request or two at once
  const global = new Semaphore(Math.max(32, opts.concurrency * 8));
  // the control plane gets its own bound, as wide as the target workers: every judged target writes its status
  // there, and a bound of a workload cluster's (4) made a fleet-wide change wait on 4 writes at a time
  const cpSlots = Math.max(16, opts.concurrency * TARGET_WORKERS_PER_CONCURRENCY + 4);
  const kube = new ClusterClient(kc, {
    target: "control-plane",
    timeoutMs: opts.requestTimeout,
    countRequest: (verb, code) => metrics.apiRequests.inc({ target: "control-plane", verb, code }),
    global: new Semaphore(cpSlots),
    perCluster: cpSlots,
  });
  const events = kubeEventRecorder(kube, clock, log, identity);
  const lifetime = stopOnSignals(log, signal);

  let elector: LeaderElector | undefined;
  let membership: Membership | undefined;
  const canWrite = () => !opts.leaderElect || (elector?.isLeader() ?? false);
  const ownership = opts.sharding === "dynamic"
    ? dynamicOwnership(identity, () => membership?.members() ?? [])
    : opts.sharding === "fixed"
    ? fixedOwnership(identity, opts.shard ?? 0, opts.shards ?? 1)
    : singleOwnership(identity, canWrite);
  metrics.shardInfo.set(shardLabels(identity, ownership.mode), 1);
  const controller = new Controller({ kube, clock, log, metrics, events, global }, {
    namespace,
    allNamespaces: opts.allNamespaces === true,
    concurrency: Math.max(1, opts.concurrency),
    requestTimeoutMs: opts.requestTimeout,
    allowExecAuth: opts.allowExecAuth,
    mode,
    canWrite,
    ownership,
    identity,
    serverPolicy: policy,
    ...(opts.secretSelector ? { secretSelector: opts.secretSelector } : {}),
    ...(opts.inventories ? { inventories: opts.inventories } : {}),
  });
  if (opts.leaderElect) {
    elector = leaderElector(opts, { kube, namespace, identity, clock, log }, () => controller.enqueueAll());
  }
  if (opts.sharding === "dynamic") {
    membership = new Membership({
      kube,
      namespace,
      group: opts.leaseName ?? "ksit-controller",
      identity,
      leaseDurationMs: opts.leaseDuration ?? 15_000,
      clock,
      log,
      onChange: (members) => {
        metrics.replicas.set({ replica: identity }, members.length);
        controller.enqueueAll(); // each replica takes up or lets go of its share
      },
    });
  }
  const health = startHealthServer(opts.healthAddr, lifetime.signal, {
    clock,
    metrics,
    log,
    synced: () => controller.listedOnce(),
    leader: canWrite,
  });
  const ui = opts.uiAddr
    ? await startUiServer(opts.uiAddr, lifetime.signal, {
      controller,
      kube,
      scope: { namespace, allNamespaces: opts.allNamespaces === true },
      log,
    })
    : undefined;

  log.info("starting", {
    namespace: opts.allNamespaces ? "*" : namespace,
    leaseNamespace: namespace,
    mode,
    identity,
    server: kube.server,
    leaderElect: opts.leaderElect,
    sharding: ownership.mode,
    concurrency: opts.concurrency,
    requestTimeoutMs: opts.requestTimeout,
    allowExecAuth: opts.allowExecAuth,
    allowedServers: opts.allowedServers ?? [],
    deniedServers: [...(opts.deniedServers ?? []), ...policy.defaults.map((d) => `${d.text} (default)`)],
    inventories: opts.inventories ?? {},
  });
  controller.start();
  const leaderLoop = elector ? elector.run(lifetime.signal) : Promise.resolve();
  const membershipLoop = membership ? membership.run(lifetime.signal) : Promise.resolve();

  await lifetime.stopped;
  log.info("shutting down");
  await controller.stop();
  await Promise.all([leaderLoop, membershipLoop]);
  await health.stop();
  await ui?.stop();
  lifetime.release();
  log.info("stopped");
}

/**
 * Aborts on SIGTERM, SIGINT or `signal`; meanwhile a stray rejection from a library (e.g. a failing exec
 * credential plugin) is logged instead of killing a long-running controller.
 */
function stopOnSignals(log: Logger, signal?: AbortSignal) {
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
  return {
    signal: stop.signal,
    stopped: new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      else stop.signal.addEventListener("abort", () => resolve(), { once: true });
    }),
    release() {
      for (const s of signals) Deno.removeSignalListener(s, onSignal);
      globalThis.removeEventListener("unhandledrejection", onRejection);
    },
  };
}

/** Leader election on the Lease `--lease-name` (renew deadline 2/3 and retry period 2/15 of the duration). */
function leaderElector(
  opts: ServeOptions,
  d: { kube: ClusterClient; namespace: string; identity: string; clock: Clock; log: Logger },
  onLeadershipChange: () => void,
): LeaderElector {
  const leaseDurationMs = opts.leaseDuration ?? 15_000;
  return new LeaderElector({
    ...d,
    name: opts.leaseName ?? "ksit-controller",
    leaseDurationMs,
    renewDeadlineMs: Math.round(leaseDurationMs * 2 / 3),
    retryPeriodMs: Math.max(200, Math.round(leaseDurationMs * 2 / 15)),
    onStartedLeading: onLeadershipChange,
    // without sharding the leader judges every target: a replica that stops leading lets them go
    onStoppedLeading: onLeadershipChange,
  });
}

/** /healthz, /readyz, /metrics (controller/app.ts) on `addr`, with the loop's heartbeat ticking each second. */
function startHealthServer(
  addr: string,
  signal: AbortSignal,
  s: { clock: Clock; metrics: ControllerMetrics; log: Logger; synced: () => boolean; leader: () => boolean },
) {
  let heartbeat = s.clock.now();
  const ticker = setInterval(() => (heartbeat = s.clock.now()), 1000);
  const app = createApp({
    clock: s.clock,
    metrics: s.metrics,
    heartbeat: () => heartbeat,
    synced: s.synced,
    leader: s.leader,
  });
  const { hostname, port } = parseAddr(addr);
  const server = Deno.serve({
    hostname,
    port,
    signal,
    onListen: (a) => s.log.info("health server listening", { addr: `${a.hostname}:${a.port}` }),
  }, app.fetch);
  return {
    async stop() {
      clearInterval(ticker);
      await server.finished;
    },
  };
}

/**
 * The dashboard (ui/) on `--ui-addr`, fed by the controller's informers and verdicts (controller/ui_source.ts).
 * A loopback bind (reached through kubectl port-forward) accepts only loopback Host headers. ui/ and Hono are
 * imported only when the flag is given.
 */
async function startUiServer(
  addr: string,
  signal: AbortSignal,
  s: {
    controller: Controller;
    kube: ClusterClient;
    scope: { namespace: string; allNamespaces: boolean };
    log: Logger;
  },
) {
  const [{ Fleet }, { createUiApp, loopbackHosts }, { controllerSource }] = await Promise.all([
    import("../ui/fleet.ts"),
    import("../ui/app.ts"),
    import("./ui_source.ts"),
  ]);
  const fleet = new Fleet(controllerSource(s.controller, s.kube, s.scope)).start();
  const { hostname, port } = parseAddr(addr, "--ui-addr");
  const loopback = hostname === "127.0.0.1" || hostname === "localhost" || hostname === "::1";
  let app: ReturnType<typeof createUiApp> | undefined;
  const server = Deno.serve({
    hostname,
    port,
    signal,
    onListen: (a) => {
      app = createUiApp(fleet, loopback ? { allowHost: loopbackHosts() } : {});
      s.log.info("dashboard listening", { addr: `${a.hostname}:${a.port}`, path: "/ui/" });
    },
  }, (req, info) => app ? app.fetch(req, info) : new Response("starting\n", { status: 503 }));
  // the dashboard's open event streams end at once, so the server can shut down
  signal.addEventListener("abort", () => fleet.stop(), { once: true });
  return {
    async stop() {
      fleet.stop(); // also when the signal was aborted before the listener above was added
      await server.finished;
    },
  };
}
