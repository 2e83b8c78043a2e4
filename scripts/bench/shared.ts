/**
 * What the bench's run (run.ts) and its replicas run (replicas.ts) share: the namespace, the workload servers,
 * the tools, the options and a mode's result, and two small helpers. Its own module so that neither of the two
 * imports the other back.
 */
import type { ProfileSummary } from "./profile.ts";

export const NS = "ksit-bench";
export const WORKLOAD = ["w1", "w2", "w3"] as const;

/** The four tools: the fixture seeded on every server and the required Deployment a failure breaks. */
export const TOOLS = [
  { type: "argocd", ns: "argocd", fixture: "tools/argocd/install.yaml", breaks: "argocd-repo-server" },
  { type: "flux", ns: "flux-system", fixture: "tools/flux/install.yaml", breaks: "source-controller" },
  {
    type: "prometheus",
    ns: "monitoring",
    fixture: "tools/prometheus/kps-prometheus.yaml",
    breaks: "prometheus-kube-prometheus-operator",
  },
  { type: "istio", ns: "istio-system", fixture: "tools/istio/default.yaml", breaks: "istiod" },
] as const;

export interface BenchOptions {
  n: number;
  failures: number;
  steadyMs: number;
  intervalS: number;
  modes: ("watch" | "poll")[];
  judgeTimeoutMs: number;
  /** Extra `deno run` flags for serve (e.g. --v8-flags=…); for profiling. */
  serveDenoFlags: string[];
  serveArgs: string[];
  /** Another main.ts to run as serve (a patched copy, to measure a proposed fix). */
  serveEntry?: string;
  /** Take CPU profiles of serve (start until judged; detection) through the V8 inspector. */
  profile?: boolean;
  /** Every kubeconfig says https://localhost:<port> (no tls-server-name; one address): a variant. */
  viaLocalhost?: boolean;
  /** Live workload clusters (real controllers, kwok nodes; failures are rollouts): N ≤ 100. */
  live?: boolean;
  /**
   * After the modes: this many `serve` replicas with `--sharding=dynamic` on the same servers (replicas.ts), a
   * run of its own in the results.
   */
  replicas?: number;
  /** The replicas' `--lease-duration` (ms). */
  leaseDurationMs?: number;
  logDir: string;
  log: (s: string) => void;
}

export interface ModeResult {
  mode: "watch" | "poll";
  /** serve rejected the mode or died; what happened. */
  error?: string;
  readyzS?: number;
  /** Every Integration has a non-Pending status. */
  firstStatusS?: number;
  /** Every Integration Running with healthy = N (every target judged). */
  judgedS?: number;
  judgedCount?: string;
  /** ms from Deployment /status write (request sent) to the chosen target's entry in the Integration. */
  detectMs: number[];
  /** ms until every target on the broken server shows it. */
  detectAllMs: number[];
  detectTimeouts: number;
  detectAllTimeouts: number;
  /** Which samples timed out: target/tool/phase. */
  detectTimeoutTargets?: string[];
  unreachableS?: number;
  unreachableReasons?: string[];
  reconnectS?: number;
  reqWindowS?: number;
  /** Steady state per target per minute (idle API-server traffic subtracted), by "VERB resource". */
  reqByVerb?: Record<string, number>;
  reqWatchPerTargetMin?: number;
  reqNonWatchPerTargetMin?: number;
  /** The same window as serve counts it (ksit_api_requests_total, workload targets), per target per minute. */
  ctlByVerb?: Record<string, number>;
  ctlNonWatchPerTargetMin?: number;
  /** Seconds from SIGTERM until the stopped API server process had exited. */
  stopExitS?: number;
  openWatches?: number;
  /** serve's own count of its open watch requests (ksit_watch_streams) at the end of the window. */
  watchStreams?: number;
  /** Watches serve opened in the window (re-watches once all are open), per target per minute. */
  rewatchPerTargetMin?: number;
  /** V8 heap used and memory outside it (ArrayBuffers, streams) at the end of the window, MiB. */
  heapUsedMiB?: number;
  externalMiB?: number;
  /** Min and max of the open watches sampled every 10 s in the window. */
  openWatchesRange?: [number, number];
  rssPeakMiB?: number;
  rssSteadyMiB?: number;
  cpuSPerMin?: number;
  cpuTotalS?: number;
  fds?: number;
  threads?: number;
  statusCliS?: number;
  getIntegrationsS?: number;
  statusWrites?: number;
  serveLog?: string;
  /** sha256 (12 hex) of controller/, checks/, kube/, util/ and cli/serve.ts when serve started: the code measured. */
  codeHash?: string;
  profileStartup?: ProfileSummary;
  profileDetection?: ProfileSummary;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const secs = (ms: number) => Math.round(ms) / 1000;
