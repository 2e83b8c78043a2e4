/** The benchmark's tables: printed, and written into docs/benchmarks.md (which keeps its data for re-rendering). */
import { percentile } from "./measure.ts";
import type { ModeResult, RunResult } from "./run.ts";

export interface Measure {
  key: string;
  label: string;
  get: (m: ModeResult) => number | undefined;
  /** The issue's target at N = 1000 (value must be ≤ this). */
  target?: number;
  targetText?: string;
}

/** Detection samples with the timed-out ones as +Infinity (a timeout is a miss, not a missing sample). */
const withTimeouts = (xs: number[], timeouts: number) => [...xs, ...Array(timeouts).fill(Infinity)];

export const MEASURES: Measure[] = [
  { key: "readyz", label: "serve start → /readyz (s)", get: (m) => m.readyzS },
  { key: "first", label: "serve start → every Integration has a status (s)", get: (m) => m.firstStatusS },
  {
    key: "judged",
    label: "serve start → every Integration judged, all targets (s)",
    get: (m) => m.judgedS,
    target: 60,
    targetText: "≤ 60 s",
  },
  {
    key: "p50",
    label: "detection p50 (ms)",
    get: (m) => percentile(withTimeouts(m.detectMs, m.detectTimeouts), 50),
  },
  {
    key: "p95",
    label: "detection p95 (ms)",
    get: (m) => percentile(withTimeouts(m.detectMs, m.detectTimeouts), 95),
  },
  {
    key: "p99",
    label: "detection p99 (ms)",
    get: (m) => percentile(withTimeouts(m.detectMs, m.detectTimeouts), 99),
    target: 2000,
    targetText: "≤ 2000 ms",
  },
  {
    key: "samples",
    label: "detection samples (failures + recoveries) / timed out",
    get: (m) => m.detectMs.length,
  },
  {
    key: "allp99",
    label: "detection p99, every target of the broken server (ms)",
    get: (m) => percentile(withTimeouts(m.detectAllMs, m.detectAllTimeouts), 99),
  },
  { key: "unreach", label: "server SIGTERM → all its targets Unknown (s)", get: (m) => m.unreachableS },
  {
    key: "stopexit",
    label: "… the API server process itself took to exit after SIGTERM (s)",
    get: (m) => m.stopExitS,
  },
  { key: "reconnect", label: "server restarted → all Running again (s)", get: (m) => m.reconnectS },
  {
    key: "ctlnonwatch",
    label: "API requests / target / min beyond watches (as serve counts them, incl. GET /version)",
    get: (m) => m.ctlNonWatchPerTargetMin,
    target: 1,
    targetText: "≤ 1",
  },
  {
    key: "nonwatch",
    label: "… as the workload kube-apiservers count them (apiserver_request_total has no /version)",
    get: (m) => m.reqNonWatchPerTargetMin,
  },
  { key: "watch", label: "watch requests / target / min", get: (m) => m.reqWatchPerTargetMin },
  {
    key: "rewatch",
    label: "… watches serve opened in the window (re-watches), per target per minute",
    get: (m) => m.rewatchPerTargetMin,
  },
  { key: "open", label: "open watches on the workload servers", get: (m) => m.openWatches },
  {
    key: "streams",
    label: "… serve's own open watch requests (ksit_watch_streams; all clusters)",
    get: (m) => m.watchStreams,
  },
  {
    key: "rss",
    label: "serve peak RSS, VmHWM (MiB)",
    get: (m) => m.rssPeakMiB,
    target: 512,
    targetText: "≤ 512 MiB",
  },
  { key: "heap", label: "… V8 heap used, end of the steady window (MiB)", get: (m) => m.heapUsedMiB },
  {
    key: "external",
    label: "… memory outside the V8 heap (ArrayBuffers, streams) (MiB)",
    get: (m) => m.externalMiB,
  },
  { key: "cpu", label: "serve CPU, steady state (s / min)", get: (m) => m.cpuSPerMin },
  { key: "cputotal", label: "serve CPU, whole mode (s)", get: (m) => m.cpuTotalS },
  { key: "fds", label: "serve open file descriptors (steady)", get: (m) => m.fds },
  { key: "writes", label: "Integration status writes (whole mode)", get: (m) => m.statusWrites },
  { key: "status", label: "`kubectl ksit status` wall time (s)", get: (m) => m.statusCliS },
  { key: "get", label: "`kubectl get integrations` wall time (s)", get: (m) => m.getIntegrationsS },
];

function fmt(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return "—";
  if (x === Infinity) return "timeout";
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 100
    ? x.toFixed(0)
    : Math.abs(x) >= 10
    ? x.toFixed(1)
    : x.toFixed(3).replace(/0+$/, "");
}

function cell(m: Measure, r: ModeResult | undefined): string {
  if (!r) return "—";
  const v = m.get(r);
  if (m.key === "samples") return `${fmt(v)} / ${r.detectTimeouts}`;
  if (m.key === "judged" && v === undefined && r.judgedCount) return `> timeout (${r.judgedCount})`;
  return fmt(v);
}

/** The table for one N: watch, poll, poll/watch ratio, the N = 1000 target and whether watch meets it. */
export function runTable(run: RunResult): string {
  const watch = run.modes.find((m) => m.mode === "watch");
  const poll = run.modes.find((m) => m.mode === "poll");
  const lines = [
    "| measure | watch | poll (baseline) | poll / watch | target (N = 1000) | watch meets it |",
    "|---|---:|---:|---:|---|---|",
  ];
  for (const m of MEASURES) {
    const w = watch ? m.get(watch) : undefined;
    const p = poll ? m.get(poll) : undefined;
    const ratio = w !== undefined && p !== undefined && w !== 0 && Number.isFinite(w) && Number.isFinite(p) &&
        m.key !== "samples"
      ? fmt(p / w)
      : "—";
    const met = m.target === undefined
      ? ""
      : w === undefined
      ? "**no** (not reached)"
      : w <= m.target
      ? "yes"
      : "**no**";
    lines.push(
      `| ${m.label} | ${cell(m, watch)} | ${cell(m, poll)} | ${ratio} | ${m.targetText ?? ""} | ${met} |`,
    );
  }
  return lines.join("\n");
}

/** Steady-state requests per target per minute by verb and resource. */
export function verbTable(run: RunResult): string {
  const lines = ["| seen by | verb resource (or verb code) | watch | poll |", "|---|---|---:|---:|"];
  for (
    const [by, get] of [
      ["workload kube-apiservers", (m: ModeResult) => m.reqByVerb],
      ["serve (ksit_api_requests_total)", (m: ModeResult) => m.ctlByVerb],
    ] as const
  ) {
    const keys = new Set<string>();
    for (const m of run.modes) for (const k of Object.keys(get(m) ?? {})) keys.add(k);
    for (const k of [...keys].sort()) {
      const v = (mode: string) => {
        const m = run.modes.find((m) => m.mode === mode);
        return fmt(m ? get(m)?.[k] : undefined);
      };
      lines.push(`| ${by} | ${k} | ${v("watch")} | ${v("poll")} |`);
    }
  }
  return lines.join("\n");
}

export interface Environment {
  machine: string;
  versions: string;
}

/** One section per N and kind of workload cluster: a live run does not replace a bare one. */
export function runKey(r: RunResult): string {
  return `${r.n}${r.live ? "-live" : ""}`;
}

/** Which kind of workload cluster a run used, for its section. */
export function workloadMode(r: RunResult): string {
  if (!r.live) {
    return "Workload clusters: **bare API servers** (tools seeded with a written status; failures written to `/status`).";
  }
  const rss = r.liveRssMiB
    ? `; RSS per cluster (MiB): ${Object.entries(r.liveRssMiB).map(([k, v]) => `${k} ${v}`).join(", ")}`
    : "";
  return "Workload clusters: **live** (kube-controller-manager, kube-scheduler, kwok with 3 nodes; tools rolled out " +
    "by the controllers; failures are rollouts to an image that never pulls ⇒ `Degraded`, recoveries roll the " +
    `image back ⇒ \`Running\`); controllers ready ${r.liveStartupS ?? "?"} s after the API servers${rss}.`;
}

export function renderDoc(runs: RunResult[], env: Environment, analysis: string): string {
  const sorted = [...runs].sort((a, b) => a.n - b.n || Number(!!a.live) - Number(!!b.live));
  const parts = [
    "# KSIT benchmarks",
    "",
    "Written by `deno task bench` (scripts/bench.ts); do not edit the tables by hand. Each N is one run of the",
    "bench: a control plane and 3 workload kube-apiservers (one etcd), N IntegrationTargets whose kubeconfigs",
    "reach those servers through distinct loopback addresses (127.0.0.2, 127.0.0.3, …, named in the serving",
    "certificate, so each target has its own connection pool), Argo CD, Flux,",
    "kube-prometheus-stack and Istio seeded on every server, one Integration per tool",
    "selecting all targets by label. `serve` runs first in watch mode, then as the baseline `--mode=poll`, against",
    "the same servers. Each section says which workload clusters it used: bare API servers (the tools' status",
    "written by the bench) or, with `--live` (N ≤ 100), live clusters whose kube-controller-manager,",
    "kube-scheduler and kwok nodes write every status (tests/support/live.ts).",
    "",
    `- machine: ${env.machine}`,
    `- versions: ${env.versions}`,
    "",
    "## How each number is taken",
    "",
    "- *judged*: from spawning `serve` until every Integration is `Running` with `healthy = N/N` (the bench",
    "  watches Integrations; Integrations are recreated and the IntegrationTargets' status is cleared before each",
    "  mode, so nothing is left from the previous one: a target's status holds its results per Integration name",
    "  and generation, which a recreated Integration of the same name would take for its own).",
    "- order per mode: start `serve` → judged → CLI timing → steady window → detection → unreachable, so",
    "  failures are injected minutes after the watches were opened (as real failures come).",
    "- *detection*: a required Deployment of one tool (argocd-repo-server, source-controller, the",
    "  prometheus-operator, istiod) on the server of a random target gets `availableReplicas: 0` through",
    "  `/status` (then its old values back); latency is from sending that write until the bench's watch on",
    "  Integrations shows the chosen target's entry `Failed` (then `Running`). With live workload clusters",
    "  (`--live`, N ≤ 100, sections marked *live*) the change is a rollout instead — every container's image gets",
    "  the tag `ksit-never-ready` (as `kubectl set image`), then its old image back — and the entry must show",
    "  `Degraded` (then `Running`): the latency includes the Deployment controller's own reaction. A sample that does not show within",
    "  30 s (poll: 2 intervals + 30 s) counts as a timeout, i.e. +∞ in the percentiles. One stream per tool, failures dealt",
    "  round-robin. Because N targets share 3 servers, one write changes N/3 targets; the *every target* row is",
    "  the time until all of them show it.",
    "- *unreachable*: the third workload server gets SIGTERM; time until every one of its targets is `Unknown`",
    "  in all four Integrations; then it is started again.",
    "- *requests*: delta of `apiserver_request_total` on the 3 workload servers (admin client certificate) over the",
    "  steady window, minus the servers' own idle traffic measured before `serve` ran, per target per minute.",
    "  WATCH requests are counted when they end (re-watches). *open watches*: `apiserver_longrunning_requests`",
    "  (WATCH) minus idle.",
    "- *RSS*: `VmHWM` of the serve process; *CPU*: `utime + stime` from `/proc/<pid>/stat` over the window.",
    "- *CLI*: median of 3 runs, `deno run -A main.ts status` (not compiled) vs `kubectl get integrations`.",
    "",
  ];
  for (const r of sorted) {
    parts.push(
      `## N = ${r.n}${r.live ? " (live workload clusters)" : ""}`,
      "",
      workloadMode(r),
      "",
      ...(r.machine && r.machine !== env.machine ? [`Machine of this run: ${r.machine}.`, ""] : []),
      `Run ${r.date}; code ${
        r.modes.map((m) => `${m.mode} ${m.codeHash ?? "?"}`).join(", ")
      }; setup ${r.setupS} s; healthCheckInterval ${r.intervalS}s; ${r.failures} failures + ${r.failures} recoveries; steady window ${r.steadyS} s.`,
      "",
      runTable(r),
      "",
      "Steady-state requests per target per minute, by verb:",
      "",
      verbTable(r),
      "",
    );
    for (const m of r.modes) {
      for (
        const [what, prof] of [["start until judged", m.profileStartup], [
          "detection",
          m.profileDetection,
        ]] as const
      ) {
        if (!prof) continue;
        parts.push(
          `CPU profile of serve (${m.mode}, ${what}, ${prof.seconds} s), self time:`,
          "",
          "| function | % of samples |",
          "|---|---:|",
          ...prof.top.map(([f, pct]) => `| \`${f.replaceAll("|", "\\|")}\` | ${pct} |`),
          "",
        );
      }
    }
    const errs = r.modes.filter((m) => m.error).map((m) => `- ${m.mode}: ${m.error}`);
    for (const m of r.modes) {
      if (m.detectTimeoutTargets?.length) {
        errs.push(
          `- ${m.mode}: detection timed out (target/tool/phase): ${m.detectTimeoutTargets.join(", ")}`,
        );
      }
    }
    if (errs.length || r.notes.length) parts.push("Notes:", "", ...errs, ...r.notes.map((n) => `- ${n}`), "");
  }
  const cost = costTable(runs);
  if (cost) parts.push(cost, "");
  if (analysis.trim()) parts.push(analysis.trim(), "");
  parts.push(
    `<!-- ksit-bench-data\n${JSON.stringify({ runs: sorted, env }).replaceAll("--", "\\u002d\\u002d")}\n-->`,
    "",
  );
  return parts.join("\n");
}

/** Results kept in an earlier docs/benchmarks.md. */
export function readDocData(text: string): { runs: RunResult[]; env?: Environment } {
  const m = /<!-- ksit-bench-data\n([\s\S]*?)\n-->/.exec(text);
  if (!m) return { runs: [] };
  try {
    return JSON.parse(m[1]!);
  } catch {
    return { runs: [] };
  }
}

/** Hand-written analysis between the markers survives re-rendering. */
export function readAnalysis(text: string): string {
  const m = /<!-- analysis -->([\s\S]*?)<!-- \/analysis -->/.exec(text);
  return m ? `<!-- analysis -->${m[1]}<!-- /analysis -->` : "";
}

/**
 * The per-target cost of watch mode from the newest bench invocation that measured several N on bare API
 * servers: each N's totals divided by N, the marginal cost between consecutive N (what one more target
 * costs, without the fixed part), and 10,000 targets projected from the largest N with the last marginal cost.
 */
export function costTable(runs: RunResult[]): string | undefined {
  const ids = [...new Set(runs.filter((r) => r.runId && !r.live).map((r) => r.runId!))].sort();
  const id = ids.reverse().find((i) => runs.filter((r) => r.runId === i && !r.live).length >= 2);
  if (!id) return undefined;
  const rows = runs.filter((r) => r.runId === id && !r.live).sort((a, b) => a.n - b.n)
    .map((r) => ({ n: r.n, m: r.modes.find((m) => m.mode === "watch") }))
    .filter((x): x is { n: number; m: ModeResult } => x.m !== undefined);
  if (rows.length < 2) return undefined;
  const cols: [string, (m: ModeResult) => number | undefined, number][] = [
    // label, value, factor of the per-target cell (KiB for MiB totals)
    ["steady RSS (KiB)", (m) => m.rssSteadyMiB, 1024],
    ["peak RSS (KiB)", (m) => m.rssPeakMiB, 1024],
    ["V8 heap used (KiB)", (m) => m.heapUsedMiB, 1024],
    ["outside the heap (KiB)", (m) => m.externalMiB, 1024],
    ["open watches", (m) => m.openWatches, 1],
    ["file descriptors (connections)", (m) => m.fds, 1],
    ["CPU, steady (ms / min)", (m) => m.cpuSPerMin, 1000],
    ["re-watches / min", (m) => m.rewatchPerTargetMin === undefined ? undefined : m.rewatchPerTargetMin, 0],
  ];
  const head = [
    "| per target | " + rows.map((r) => `N = ${r.n}`).join(" | ") + " | " +
    rows.slice(1).map((r, i) => `marginal ${rows[i]!.n}→${r.n}`).join(" | ") +
    " | projected total at 10,000 |",
    "|---|" + "---:|".repeat(rows.length * 2),
  ];
  const lines = cols.map(([label, get, factor]) => {
    const per = rows.map((r) => {
      const v = get(r.m);
      if (v === undefined) return undefined;
      return factor === 0 ? v : v * factor / r.n;
    });
    const marginal = rows.slice(1).map((r, i) => {
      const a = get(rows[i]!.m);
      const b = get(r.m);
      if (a === undefined || b === undefined || factor === 0) return undefined;
      return (b - a) * factor / (r.n - rows[i]!.n);
    });
    const last = rows[rows.length - 1]!;
    const lastTotal = get(last.m);
    const lastMarginal = marginal[marginal.length - 1];
    const projected = factor === 0
      ? lastTotal
      : lastTotal === undefined || lastMarginal === undefined
      ? undefined
      : (lastTotal * factor + lastMarginal * (10_000 - last.n)) / factor;
    const unit = factor === 1024 ? " MiB" : factor === 1000 ? " s / min" : factor === 0 ? " / target" : "";
    return `| ${label} | ${per.map(fmt).join(" | ")} | ${marginal.map(fmt).join(" | ")} | ${
      projected === undefined ? "—" : `${fmt(projected)}${unit}`
    } |`;
  });
  return [
    `## Per-target cost (watch mode, bench run ${id})`,
    "",
    "Each N's total divided by N; *marginal*: the difference between two N divided by the difference in targets",
    "(one more target's cost, without the fixed part); *projected*: the largest N's total plus the last marginal",
    "cost for every further target up to 10,000 (re-watches: the rate per target stays).",
    "",
    ...head,
    ...lines,
  ].join("\n");
}
