/**
 * `deno task bench`: detection latency, API load and scale of `kubectl-ksit serve`, watch mode against the
 * `--mode=poll` baseline in the same run (issue 8). Prints a table per N and writes docs/benchmarks.md (results
 * of other N already in that file are kept, so N = 10, 100, 1000 can run one at a time).
 *
 *   deno task bench --targets 10,100,1000
 *   deno task bench --targets 10 --failures 3 --steady 20s --interval 5s --out /tmp/b.md   (the smoke test)
 *
 * Flags: --targets N[,N…] (10) · --failures F injected failures, each followed by a recovery (20) ·
 * --steady D window of the request/CPU measurement (2m) · --interval D Integration healthCheckInterval (30s) ·
 * --modes watch,poll · --judge-timeout D (180s) · --out PATH (docs/benchmarks.md) · --json PATH ·
 * --serve-deno-flag F (repeatable; e.g. --serve-deno-flag=--cpu-prof) · --serve-arg A (repeatable) ·
 * --render (only re-render --out from the results it holds) ·
 * --via-localhost (a variant: every kubeconfig names https://localhost:<port>, no tls-server-name) ·
 * --profile (CPU profiles of serve through the V8 inspector: start until judged, and detection; with an inspector
 * attached Deno 2.9 also reports every fetch to it and keeps a copy of each response body, so memory measured
 * in such a run is not serve's: 3,010 MiB peak at N = 1000) ·
 * --serve-entry PATH (another main.ts, e.g. a patched copy, to measure a proposed controller fix) ·
 * --live (N ≤ 100: the workload clusters run kube-controller-manager, kube-scheduler and kwok; tools are rolled
 * out for real and failures are rollouts of an image that never pulls; its tables are marked "live") ·
 * --replicas R (after the modes, R serve replicas with --sharding=dynamic on the same servers: shares, detection,
 * RSS and CPU per replica, takeover after SIGKILL, R-1 → R → R+1 → R-1; a section "N, R replicas"; bench/replicas.ts) ·
 * --lease-duration D (the replicas' --lease-duration, 15s) · --modes none (with --replicas: no one-replica run).
 *
 *   deno task bench --targets 1000 --modes watch --replicas 3
 * Everything runs on 127.0.0.0/8; every wait has a deadline; all processes are stopped at the end.
 */
import { parseDuration } from "./bench/measure.ts";
import {
  type Environment,
  MEASURES,
  readAnalysis,
  readDocData,
  renderDoc,
  runKey,
  runText,
} from "./bench/report.ts";
import { MAX_LIVE_TARGETS, runBench, type RunResult } from "./bench/run.ts";
import type { BenchOptions } from "./bench/shared.ts";
import { testbin } from "../tests/support/testbin.ts";

const root = new URL("../", import.meta.url).pathname;

/** The command line: the options of each run (scripts/bench/shared.ts) and what the bench does with them. */
interface Flags extends
  Pick<
    BenchOptions,
    | "failures"
    | "steadyMs"
    | "intervalS"
    | "modes"
    | "judgeTimeoutMs"
    | "serveDenoFlags"
    | "serveArgs"
    | "serveEntry"
    | "profile"
    | "viaLocalhost"
    | "live"
    | "replicas"
  > {
  targets: number[];
  out: string;
  json?: string;
  /** Only re-render --out from the results it holds (after a change of the tables). */
  render?: boolean;
  leaseDurationMs: number;
}

export function parseFlags(args: string[]): Flags {
  const f: Flags = {
    targets: [10],
    failures: 20,
    steadyMs: 120_000,
    intervalS: 30,
    modes: ["watch", "poll"],
    judgeTimeoutMs: 180_000,
    out: `${root}docs/benchmarks.md`,
    serveDenoFlags: [],
    serveArgs: [],
    leaseDurationMs: 15_000,
  };
  for (let i = 0; i < args.length; i++) {
    let a = args[i]!;
    let v: string | undefined;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = () => {
      if (v !== undefined) return v;
      const next = args[++i];
      if (next === undefined) throw new Error(`${a} needs a value`);
      return next;
    };
    switch (a) {
      case "--targets":
        f.targets = val().split(",").map((s) => {
          const n = Number(s);
          if (!Number.isInteger(n) || n < 1 || n > 4000) throw new Error(`--targets: bad count ${s}`);
          return n;
        });
        break;
      case "--failures":
        f.failures = Number(val());
        if (!Number.isInteger(f.failures) || f.failures < 1) {
          throw new Error("--failures: a positive integer");
        }
        break;
      case "--steady":
        f.steadyMs = parseDuration(val());
        break;
      case "--interval":
        f.intervalS = Math.round(parseDuration(val()) / 1000);
        if (f.intervalS < 5) throw new Error("--interval: at least 5s (the CRD minimum)");
        break;
      case "--modes": {
        const v = val();
        f.modes = v === "none" ? [] : v.split(",").map((m) => {
          if (m !== "watch" && m !== "poll") throw new Error(`--modes: watch, poll or none, not ${m}`);
          return m;
        });
        break;
      }
      case "--replicas":
        f.replicas = Number(val());
        if (!Number.isInteger(f.replicas) || f.replicas < 2 || f.replicas > 8) {
          throw new Error("--replicas: 2 … 8");
        }
        break;
      case "--lease-duration":
        f.leaseDurationMs = parseDuration(val());
        if (f.leaseDurationMs < 2000) throw new Error("--lease-duration: at least 2s");
        break;
      case "--judge-timeout":
        f.judgeTimeoutMs = parseDuration(val());
        break;
      case "--out":
        f.out = val();
        break;
      case "--json":
        f.json = val();
        break;
      case "--serve-deno-flag":
        f.serveDenoFlags.push(val());
        break;
      case "--render":
        f.render = true;
        break;
      case "--via-localhost":
        f.viaLocalhost = true;
        break;
      case "--profile":
        f.profile = true;
        break;
      case "--serve-entry":
        f.serveEntry = val();
        break;
      case "--serve-arg":
        f.serveArgs.push(val());
        break;
      case "--live":
        f.live = true;
        break;
      default:
        throw new Error(`unknown flag ${a}`);
    }
  }
  if (f.modes.length === 0 && !f.replicas) throw new Error("--modes none: only with --replicas");
  if (f.live && f.targets.some((n) => n > MAX_LIVE_TARGETS)) {
    throw new Error(`--live: at most ${MAX_LIVE_TARGETS} targets (3 live clusters host them all)`);
  }
  return f;
}

async function environment(): Promise<Environment> {
  const cpu =
    (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(/model name\s*:\s*(.*)/)?.[1] ??
      "unknown CPU";
  const cores = navigator.hardwareConcurrency;
  const memGiB = Math.round(Deno.systemMemoryInfo().total / 2 ** 30);
  const bin = await testbin();
  const k8s = /k8s-(v[\d.]+)/.exec(bin.dir)?.[1] ?? "?";
  const etcd = /etcd-(v[\d.]+)/.exec(bin.dir)?.[1] ?? "?";
  const kwok = /kwok-(v[\d.]+)/.exec(bin.dir)?.[1] ?? "?";
  return {
    machine: `${cpu}, ${cores} cores, ${memGiB} GiB, Linux ${Deno.osRelease()}`,
    versions:
      `deno ${Deno.version.deno} (V8 ${Deno.version.v8}), kube-apiserver ${k8s}, etcd ${etcd}, @kubernetes/client-node 2.0.1` +
      ` (live runs: kube-controller-manager and kube-scheduler ${k8s}, kwok ${kwok})`,
  };
}

async function main() {
  let flags: Flags;
  try {
    flags = parseFlags(Deno.args);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    Deno.exit(2);
  }
  if (flags.render) {
    const old = await Deno.readTextFile(flags.out);
    const data = readDocData(old);
    if (!data.env) throw new Error(`${flags.out} holds no bench results`);
    await Deno.writeTextFile(flags.out, renderDoc(data.runs, data.env, readAnalysis(old)));
    for (const r of data.runs) console.log(runText(r, data.runs));
    return;
  }
  const started = performance.now();
  const logDir = await Deno.makeTempDir({ prefix: "ksit-bench-" });
  const log = (s: string) =>
    console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${s}`);
  log(`serve logs in ${logDir}`);
  const env = await environment();
  const runs: RunResult[] = [];
  const runId = new Date().toISOString();
  for (const n of flags.targets) {
    const results = await runBench({
      n,
      failures: flags.failures,
      steadyMs: flags.steadyMs,
      intervalS: flags.intervalS,
      modes: flags.modes,
      judgeTimeoutMs: flags.judgeTimeoutMs,
      serveDenoFlags: flags.serveDenoFlags,
      serveArgs: flags.serveArgs,
      serveEntry: flags.serveEntry,
      profile: flags.profile,
      viaLocalhost: flags.viaLocalhost,
      live: flags.live,
      replicas: flags.replicas,
      leaseDurationMs: flags.leaseDurationMs,
      logDir,
      log,
    });
    for (const r of results) {
      r.machine = env.machine;
      r.runId = runId;
      runs.push(r);
    }
    for (const r of results) console.log(runText(r, runs));
    // write after every N, so a long run keeps what it measured
    const old = await Deno.readTextFile(flags.out).catch(() => "");
    const data = readDocData(old);
    const kept = data.runs.filter((x) => !runs.some((y) => runKey(y) === runKey(x)));
    // the header keeps the machine of the runs already in the file (older runs did not record theirs); a new
    // run on another machine says so in its section
    const header = kept.length && data.env ? data.env : env;
    await Deno.mkdir(flags.out.slice(0, flags.out.lastIndexOf("/")) || ".", { recursive: true });
    await Deno.writeTextFile(flags.out, renderDoc([...kept, ...runs], header, readAnalysis(old)));
    if (flags.json) await Deno.writeTextFile(flags.json, JSON.stringify({ env, runs }, null, 2));
  }
  log(
    `wrote ${flags.out}; measures: ${MEASURES.length}; done in ${
      ((performance.now() - started) / 1000).toFixed(0)
    }s`,
  );
}

if (import.meta.main) {
  await main();
  Deno.exit(0);
}
