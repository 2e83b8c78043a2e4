/** The benchmark's tables: printed, and written into docs/benchmarks.md (which keeps its data for re-rendering). */
import { percentile } from "./measure.ts";
import type { ChangeResult, Conflicts, ReplicasResult } from "./replicas.ts";
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

/**
 * One section per N, kind of workload cluster and number of replicas: a live run does not replace a bare one,
 * nor a run of several replicas a run of one.
 */
export function runKey(r: RunResult): string {
  return `${r.n}${r.live ? "-live" : ""}${r.replicas ? `-r${r.replicas.count}` : ""}`;
}

/** What the bench prints for a run (its tables, without the doc's headings). */
export function runText(r: RunResult, runs: RunResult[] = []): string {
  if (r.replicas) {
    return `\nN = ${r.n}, ${r.replicas.count} replicas\n${workloadMode(r)}\n\n${replicasBody(r, runs)}\n`;
  }
  return `\nN = ${r.n}\n${workloadMode(r)}\n\n${runTable(r)}\n\n${verbTable(r)}\n`;
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
  const sorted = [...runs].sort((a, b) =>
    a.n - b.n || Number(!!a.live) - Number(!!b.live) || (a.replicas?.count ?? 1) - (b.replicas?.count ?? 1)
  );
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
    "  round-robin, each change sent 1.1 s after the previous one of its stream was seen: an Integration's status",
    "  is written at most once a second (flaps coalesce), so a change right after a write waits for the rest of",
    "  that second; without the wait a run measures mostly that limit (p50 ≈ 1 s at every N).",
    "  Because N targets share 3 servers, one write changes N/3 targets; the *every target* row is",
    "  the time until all of them show it.",
    "- *unreachable*: the third workload server gets SIGTERM; time until every one of its targets is `Unknown`",
    "  in all four Integrations; then it is started again.",
    "- *requests*: delta of `apiserver_request_total` on the 3 workload servers (admin client certificate) over the",
    "  steady window, minus the servers' own idle traffic measured before `serve` ran, per target per minute.",
    "  WATCH requests are counted when they end (re-watches). *open watches*: `apiserver_longrunning_requests`",
    "  (WATCH) minus idle.",
    "- *RSS*: `VmHWM` of the serve process; *CPU*: `utime + stime` from `/proc/<pid>/stat` over the window.",
    "- *CLI*: median of 3 runs, `deno run -A main.ts status` (not compiled) vs `kubectl get integrations`.",
    "- *replicas* (`--replicas R`, sections *N, R replicas*): after the one-replica modes, on the same servers and",
    "  targets (Integrations recreated, the targets' status cleared), R `serve` processes with `--leader-elect",
    "  --sharding=dynamic --identity=r-<i> --lease-duration=<d>` start at once. *Shares settled*: every target's",
    "  `status.judgedBy` is the replica rendezvous hashing (controller/sharding.ts) names over the live replicas,",
    "  with a result of every Integration's current generation, and the replicas' `/metrics` agree (each one's",
    "  `ksit_owned_targets` is the number of targets naming it, they add up to N, no target has a",
    "  `ksit_target_reachable` series in two replicas). Then the steady window and the detection above, then",
    "  membership changes, each until the shares settle again: SIGKILL of a replica that does not lead",
    "  (*takeover*: until every target it judged names a survivor and has a fresh result), a replacement starting,",
    "  one more replica, and SIGTERM of the two newest that do not lead (R → R-1 → R → R+1 → R-1). *Longest",
    "  unjudged*: over the targets the hash moves, the longest from the change (the signal sent, or the new",
    "  replica's Lease appearing) until the new owner's fresh result — an upper bound when a replica joins (the",
    "  old owner judges until it lets go). *HTTP 409*: the control-plane kube-apiserver's",
    '  `apiserver_request_total{code="409"}` (status: integrationtargets/status and integrations/status; Leases',
    "  apart); serve's own counter has no resource label and dies with a killed replica.",
    "",
  ];
  for (const r of sorted) {
    if (r.replicas) {
      parts.push(
        `## N = ${r.n}${
          r.live ? " (live workload clusters)" : ""
        }, ${r.replicas.count} replicas (\`--sharding=dynamic\`)`,
        "",
        workloadMode(r),
        "",
        ...(r.machine && r.machine !== env.machine ? [`Machine of this run: ${r.machine}.`, ""] : []),
        replicasBody(r, runs),
        "",
      );
      if (r.notes.length) parts.push("Notes:", "", ...r.notes.map((n) => `- ${n}`), "");
      continue;
    }
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
  const one = runs.filter((r) => !r.live && !r.replicas);
  const ids = [...new Set(one.filter((r) => r.runId).map((r) => r.runId!))].sort();
  const id = ids.reverse().find((i) => one.filter((r) => r.runId === i).length >= 2);
  if (!id) return undefined;
  const rows = one.filter((r) => r.runId === id).sort((a, b) => a.n - b.n)
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

/**
 * The one-replica watch run to compare a replicas run with: the one it carries (same invocation), else the
 * newest one-replica section of its N in the file.
 */
function oneReplicaOf(
  r: RunResult,
  runs: RunResult[],
): { run: Pick<RunResult, "runId" | "date">; m: ModeResult } | undefined {
  if (r.replicas?.baseline) return { run: r, m: r.replicas.baseline };
  const same = runs.filter((x) =>
    !x.replicas && x.n === r.n && !!x.live === !!r.live && x.modes.some((m) => m.mode === "watch")
  );
  const run = same.find((x) => x.runId && x.runId === r.runId) ??
    same.sort((a, b) => (a.date < b.date ? 1 : -1))[0];
  const m = run?.modes.find((m) => m.mode === "watch");
  return run && m ? { run, m } : undefined;
}

const COMPARED = ["readyz", "first", "judged", "p50", "p95", "p99", "samples", "allp99", "rss", "cpu"];

function conflictText(c: Conflicts | undefined): string {
  return c
    ? `${fmt(c.status)} on status writes (${fmt(c.targets)} IntegrationTarget, ${
      fmt(c.integrations)
    } Integration), ${fmt(c.lease)} on Leases`
    : "—";
}

/** A replicas run: beside one replica, who judges what, the membership changes, HTTP 409s. */
export function replicasBody(r: RunResult, runs: RunResult[]): string {
  const x = r.replicas as ReplicasResult;
  const R = x.count;
  const one = oneReplicaOf(r, runs);
  const lines: string[] = [
    `Run ${r.date}; code ${
      x.run.codeHash ?? "?"
    }; ${R} \`serve\` replicas, each \`--leader-elect --sharding=dynamic ` +
    `--identity=r-<i> --lease-duration=${x.leaseDurationS}s --mode=watch\`, on one control plane; ` +
    `healthCheckInterval ${r.intervalS}s; ${r.failures} failures + ${r.failures} recoveries; steady window ${r.steadyS} s; ` +
    `**lease duration ${x.leaseDurationS} s**.` +
    (x.loadavg
      ? ` Load average (1, 5, 15 min) at its start ${x.loadavg.start.map(fmt).join(", ")}${
        x.loadavg.end ? `, at its end ${x.loadavg.end.map(fmt).join(", ")}` : ""
      } (its own processes and any other work on the machine).`
      : ""),
    "",
    one === undefined
      ? `Beside one replica: no one-replica watch run of N = ${r.n} to compare with (run the bench with --modes watch).`
      : x.baseline
      ? "Beside one replica (`serve` alone in watch mode, the same bench invocation, just before):"
      : `Beside one replica (the watch column of *N = ${r.n}*, run ${one.run.date}):`,
    "",
    `| measure | 1 replica | ${R} replicas |`,
    "|---|---:|---:|",
  ];
  for (const key of COMPARED) {
    const m = MEASURES.find((m) => m.key === key)!;
    const label = key === "readyz"
      ? `${m.label.replace(" (s)", "")} (s; ${R} replicas: all of them)`
      : key === "rss"
      ? `${m.label} (${R} replicas: the largest)`
      : key === "cpu"
      ? `${m.label} (${R} replicas: together)`
      : m.label;
    lines.push(`| ${label} | ${cell(m, one?.m)} | ${cell(m, x.run)} |`);
  }
  lines.push(
    `| serve start → every target judged by the replica the hash names, fresh, metrics agree (s) | — | ${
      fmt(x.settledS)
    } |`,
  );
  lines.push("");
  const o = x.ownership;
  lines.push(
    `Who judges what when the start settled (per replica: targets whose \`status.judgedBy\` names it, its own ` +
      "`ksit_owned_targets{replica}`; peak RSS and CPU of its whole life):",
    "",
    "| replica | targets judged (status.judgedBy) | ksit_owned_targets | peak RSS (MiB) | CPU steady (s / min) | CPU total (s) | started (s) | stopped |",
    "|---|---:|---:|---:|---:|---:|---:|---|",
  );
  for (const p of x.replicas) {
    const stopped = p.stoppedBy === "end"
      ? "at the end"
      : p.stoppedBy
      ? `${p.stoppedBy} at ${fmt(p.stoppedS)} s`
      : "—";
    lines.push(
      `| ${p.id}${p.leader ? " (leader)" : ""} | ${fmt(p.judgedBy)} | ${fmt(p.ownedTargets)} | ${
        fmt(p.rssPeakMiB)
      } | ${fmt(p.cpuSPerMin)} | ${fmt(p.cpuTotalS)} | ${fmt(p.startedS)} | ${stopped} |`,
    );
  }
  if (o) {
    const judged = Object.entries(o.byJudgedBy).filter(([k]) => k !== "").reduce((a, [, v]) => a + v, 0);
    lines.push(`| all | ${judged} of ${o.targets} | ${o.ownedSum} | | | | | |`);
  }
  lines.push("");
  if (o) {
    const exact = o.targets === r.n && o.ownedSum === r.n && o.heldByTwo === 0 && o.notHeld === 0 &&
      o.unowned === 0 && o.hashAgrees === r.n;
    lines.push(
      `Every target judged by exactly one replica: **${exact ? "yes" : "no"}** — ${o.targets} targets, ` +
        `${o.unowned} without a live replica in judgedBy; ksit_owned_targets add up to ${o.ownedSum} (N = ${r.n}); ` +
        `targets held by two replicas (a ksit_target_reachable series in both) ${o.heldByTwo}, by none ${o.notHeld}; ` +
        `judgedBy is the rendezvous owner for ${o.hashAgrees} of ${o.targets}. Targets whose judgedBy named ` +
        `another replica first during the start: ${fmt(x.startOwnerChanges)}.`,
      "",
    );
  } else {lines.push(
      "Every target judged by exactly one replica: **not measured** (the start did not settle).",
      "",
    );}
  lines.push(
    `Membership changes, each until the shares settled again (lease duration ${x.leaseDurationS} s):`,
    "",
    "| change | replicas | targets the hash moves | longest a moved target went unjudged (s) | shares settled (s) | owner changes the hash did not ask for | HTTP 409 on status writes (IntegrationTarget + Integration) | HTTP 409 on Leases |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
    ...x.changes.map((c: ChangeResult) =>
      `| ${c.what} | ${c.from} → ${c.to} | ${c.moved} | ${
        c.longestUnjudgedS === undefined
          ? `timeout (${c.movedDone} of ${c.moved} reached)`
          : fmt(c.longestUnjudgedS)
      } | ${c.settledS === undefined ? "timeout" : fmt(c.settledS)} | ${c.strayOwnerChanges} | ${
        fmt(c.conflicts.status)
      } (${fmt(c.conflicts.targets)} + ${fmt(c.conflicts.integrations)}) | ${fmt(c.conflicts.lease)} |`
    ),
    "",
    `Takeover after SIGKILL of a replica that does not lead: **${
      x.takeoverS === undefined ? "not measured" : `${fmt(x.takeoverS)} s`
    }** (lease duration ${x.leaseDurationS} s; expected between two thirds of it and all of it — the survivors ` +
      "count from the last renewal they saw, renewals come every third — plus one check): until every " +
      "target it judged had `status.judgedBy` of a survivor and a fresh result of every Integration.",
    "",
    'HTTP 409 conflicts answered by the control-plane kube-apiserver (`apiserver_request_total{code="409"}`; ' +
      "status writes: integrationtargets/status and integrations/status): " +
      Object.entries(x.phaseConflicts).map(([k, c]) => `${k}: ${conflictText(c)}`).join("; ") +
      "; the changes: in their table.",
  );
  const errs = [
    ...(x.error ? [`- the run stopped early: ${x.error}`] : []),
    ...(x.run.detectTimeoutTargets?.length
      ? [`- detection timed out (target/tool/phase): ${x.run.detectTimeoutTargets.join(", ")}`]
      : []),
  ];
  if (errs.length) lines.push("", "Problems:", "", ...errs);
  return lines.join("\n");
}
