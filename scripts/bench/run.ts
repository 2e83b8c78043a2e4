/**
 * One benchmark run at one N: a control plane and 3 workload API servers, N IntegrationTargets reaching those
 * servers through distinct loopback addresses, the four tools on every server, one Integration per tool
 * selecting all targets by label; then, per mode (watch, then the poll baseline), `serve` is started and
 * measured. Every wait has a deadline, so a run always ends.
 *
 * Workload servers are bare API servers (tools seeded with a written status; failures written to /status) or,
 * with `live` (N ≤ 100), live clusters (tests/support/live.ts: the tools are real Deployments/StatefulSets rolled
 * out by kube-controller-manager, kube-scheduler and kwok; a failure is a rollout to an image tag that never
 * pulls, the recovery a rollback of the image, and every status is the controllers').
 */
import { Harness, pidAlive, type TestCluster } from "../../tests/support/harness.ts";
import { installCrds } from "../../tests/support/crds.ts";
import { freePort } from "../../tests/support/ports.ts";
import { V8_FLAGS_ARG } from "../v8_flags.ts";
import { seedFixture } from "../../tests/support/serve.ts";
import { imageWithTag } from "../../tests/support/faults.ts";
import { NEVER_READY_TAG } from "../../tests/support/kwok_stages.ts";
import { installTool } from "../../tests/support/live_workloads.ts";
import { Inspector } from "./profile.ts";
import { STATUS_WRITE_INTERVAL_MS } from "../../controller/status_writer.ts";
import { type ReplicasResult, runReplicas } from "./replicas.ts";
import { type BenchOptions, type ModeResult, NS, secs, sleep, TOOLS, WORKLOAD } from "./shared.ts";
import { Api, parallel, type WatchedObject, Watcher } from "./api.ts";
import {
  addInto,
  delta,
  median,
  parseProm,
  percentile,
  procStat,
  requestTotals,
  type Sample,
  sumMetric,
} from "./measure.ts";

const root = new URL("../../", import.meta.url).pathname;
const LABEL = { "bench.ksit.io/fleet": "all" };

export { type BenchOptions, type ModeResult, NS, secs, sleep, TOOLS, WORKLOAD };

/** Live workload clusters can host this many targets in a run (they share 3 clusters; CPU, not memory). */
export const MAX_LIVE_TARGETS = 100;

export interface RunResult {
  n: number;
  /** The bench invocation (its start time): runs of one invocation share the machine's conditions. */
  runId?: string;
  /** The machine of this run, when the bench recorded it (the doc's header names one machine). */
  machine?: string;
  /** Workload clusters were live (real controllers), not bare API servers. */
  live?: boolean;
  /** Live: seconds the controllers and nodes took after the API servers; RSS (MiB) of each kind of process. */
  liveStartupS?: number;
  liveRssMiB?: Record<string, number>;
  date: string;
  setupS: number;
  intervalS: number;
  failures: number;
  steadyS: number;
  idlePerMin: Record<string, number>;
  modes: ModeResult[];
  notes: string[];
  /** A run of several replicas (`--replicas`): its measures; `modes` is then empty. */
  replicas?: ReplicasResult;
}

/** 127.0.0.2, 127.0.0.3, … : target i's own loopback address. */
export function loopback(i: number): string {
  const n = i + 2;
  return `127.0.${Math.floor(n / 256)}.${n % 256}`;
}

export function targetName(i: number): string {
  return `t${String(i).padStart(4, "0")}`;
}

type Scrape = { at: number; samples: Sample[] };

export async function scrape(apis: Api[]): Promise<Scrape> {
  const texts = await Promise.all(apis.map((a) => a.text("/metrics")));
  return { at: performance.now(), samples: texts.flatMap(parseProm) };
}

const verbKey = (l: Record<string, string>) => {
  const res = l.resource ? `${l.resource}${l.subresource ? "/" + l.subresource : ""}` : "(non-resource)";
  return `${l.verb} ${res}`;
};

function clusterEntry(o: WatchedObject | undefined, name: string) {
  return (o?.status?.clusters as { name: string; phase: string; reason?: string }[] | undefined)?.find(
    (c) => c.name === name,
  );
}

/**
 * The run at one N: the one-replica modes (`o.modes`, possibly none) in the first result and, with
 * `o.replicas`, the replicas' run in a second one (same servers and targets, same invocation).
 */
export async function runBench(o: BenchOptions): Promise<RunResult[]> {
  const log = o.log;
  const t0 = performance.now();
  if (o.live && o.n > MAX_LIVE_TARGETS) throw new Error(`--live: at most ${MAX_LIVE_TARGETS} targets`);
  const result: RunResult = {
    n: o.n,
    ...(o.live ? { live: true } : {}),
    date: new Date().toISOString(),
    setupS: 0,
    intervalS: o.intervalS,
    failures: o.failures,
    steadyS: o.steadyMs / 1000,
    idlePerMin: {},
    modes: [],
    notes: [],
  };
  log(
    `N=${o.n}: starting etcd + 4 API servers (cp, ${WORKLOAD.join(", ")}) on 0.0.0.0` +
      (o.live ? "; the workload clusters live (kube-controller-manager, kube-scheduler, kwok)" : ""),
  );
  const h = await Harness.start({
    clusters: ["cp", ...WORKLOAD],
    bindAddress: "0.0.0.0",
    ...(o.live ? { live: [...WORKLOAD] } : {}),
  });
  if (o.live) result.liveStartupS = secs(h.liveStartupMs);
  const cp = h.cluster("cp");
  const cpApi = Api.of(cp, h);
  const wApis = WORKLOAD.map((w) => Api.of(h.cluster(w), h));
  try {
    // ------------------------------------------------------------------ setup
    await Promise.all([
      installCrds(cp),
      ...WORKLOAD.map(async (w) => {
        const c = h.cluster(w);
        for (const t of TOOLS) {
          const fixture = new URL(`../../tests/fixtures/${t.fixture}`, import.meta.url).href;
          if (o.live) await installTool(c, fixture, t.ns);
          else await seedFixture(c.kc(), fixture, t.ns);
        }
      }),
    ]);
    if (o.live) {
      // memory of the controllers, per kind of process (mean of the 3 clusters), after the tools rolled out
      const per = await Promise.all(WORKLOAD.map((w) => h.cluster(w).live!.rssKiB()));
      result.liveRssMiB = {};
      for (const name of Object.keys(per[0] ?? {})) {
        result.liveRssMiB[name] = Math.round(per.reduce((a, p) => a + (p[name] ?? 0), 0) / per.length / 1024);
      }
      log(`N=${o.n}: live controllers RSS (MiB, mean of 3): ${JSON.stringify(result.liveRssMiB)}`);
    }
    // idle traffic of the workload servers (their own loopback clients, our scrapes) while we build targets
    const idleBefore = await scrape(wApis);
    await cpApi.request("POST", "/api/v1/namespaces", { metadata: { name: NS } });
    const idx = Array.from({ length: o.n }, (_, i) => i);
    const server = (i: number) => h.cluster(WORKLOAD[i % WORKLOAD.length]!);
    await parallel(idx, 24, async (i) => {
      const name = targetName(i);
      const c = server(i);
      const kubeconfig = c.kubeconfigFor(
        { certPem: h.pki.admin.certPem, keyPem: h.pki.admin.keyPem },
        // the serving certificate names 127.0.0.1–127.0.3.255 (tests/support/pki.ts), so every target's address
        // is verified as it is, on KSIT's main transport (Deno's fetch; no tls-server-name needed)
        o.viaLocalhost
          ? { server: `https://localhost:${c.port}`, contextName: name }
          : { server: `https://${loopback(i)}:${c.port}`, contextName: name },
      );
      await cpApi.request("POST", `/api/v1/namespaces/${NS}/secrets`, {
        metadata: { name: `${name}-kubeconfig`, namespace: NS },
        stringData: { kubeconfig },
      });
      await cpApi.request("POST", `/apis/ksit.io/v1alpha1/namespaces/${NS}/integrationtargets`, {
        apiVersion: "ksit.io/v1alpha1",
        kind: "IntegrationTarget",
        metadata: { name, namespace: NS, labels: LABEL },
        spec: { clusterName: name },
      });
    });
    const idleMin = Math.min(15_000, o.steadyMs);
    const waitIdle = idleMin - (performance.now() - idleBefore.at);
    if (waitIdle > 0) await sleep(waitIdle);
    const idleAfter = await scrape(wApis);
    const idleMs = idleAfter.at - idleBefore.at;
    const idleDelta = delta(
      requestTotals(idleBefore.samples, verbKey),
      requestTotals(idleAfter.samples, verbKey),
    );
    for (const [k, v] of idleDelta) if (v > 0) result.idlePerMin[k] = (v / idleMs) * 60_000;
    const idleWatches = sumMetric(
      idleAfter.samples,
      "apiserver_longrunning_requests",
      (l) => l.verb === "WATCH",
    );
    result.setupS = secs(performance.now() - t0);
    log(`N=${o.n}: setup done in ${result.setupS}s (${o.n} targets)`);

    const integrations = new Watcher(cpApi, `/apis/ksit.io/v1alpha1/namespaces/${NS}/integrations`);

    /**
     * Fresh Integrations (no status), and IntegrationTargets without the status an earlier serve wrote: judged
     * time starts from nothing (a target's status holds its results per Integration name and generation, which a
     * recreated Integration of the same name would take for its own).
     */
    const freshState = async () => {
      for (const t of TOOLS) {
        await cpApi.request(
          "DELETE",
          `/apis/ksit.io/v1alpha1/namespaces/${NS}/integrations/${t.type}`,
          undefined,
          {
            ok404: true,
          },
        );
      }
      await integrations.until((m) => m.size === 0, 30_000);
      const targetsPath = `/apis/ksit.io/v1alpha1/namespaces/${NS}/integrationtargets`;
      const list = await cpApi.request<{ items: WatchedObject[] }>("GET", targetsPath);
      const withStatus = list.items.filter((t) => t.status !== undefined).map((t) => t.metadata.name);
      await parallel(withStatus, 24, async (name) => {
        const after = await cpApi.request<WatchedObject>("PATCH", `${targetsPath}/${name}/status`, {
          status: null,
        }, { contentType: "application/merge-patch+json" });
        if (after.status !== undefined) throw new Error(`${name}: status not cleared`);
      });
      for (const t of TOOLS) {
        await cpApi.request("POST", `/apis/ksit.io/v1alpha1/namespaces/${NS}/integrations`, {
          apiVersion: "ksit.io/v1alpha1",
          kind: "Integration",
          metadata: { name: t.type, namespace: NS },
          spec: {
            type: t.type,
            targetSelector: { matchLabels: LABEL },
            config: { namespace: t.ns, healthCheckInterval: `${o.intervalS}s` },
          },
        });
      }
      await integrations.until((m) => m.size === TOOLS.length, 30_000);
    };

    // ------------------------------------------------------------------ one mode
    const runMode = async (mode: "watch" | "poll"): Promise<ModeResult> => {
      const r: ModeResult = {
        mode,
        detectMs: [],
        detectAllMs: [],
        detectTimeouts: 0,
        detectAllTimeouts: 0,
      };
      await freshState();

      const judged = (m: Map<string, WatchedObject>) =>
        TOOLS.every((t) => {
          const i = m.get(t.type);
          return i?.status?.phase === "Running" && i.status.summary?.healthy === o.n &&
            i.status.observedGeneration === i.metadata.generation;
        });
      const anyStatus = (m: Map<string, WatchedObject>) =>
        TOOLS.every((t) => {
          const p = m.get(t.type)?.status?.phase;
          return p !== undefined && p !== "Pending";
        });

      // ---------------------------------------------------------------- start serve
      const port = freePort();
      const logPath = `${o.logDir}/serve-n${o.n}-${mode}.log`;
      r.serveLog = logPath;
      const inspectPort = o.profile ? freePort() : undefined;
      r.codeHash = await codeHash(o.serveEntry ? new URL(".", `file://${o.serveEntry}`).pathname : root);
      const start = performance.now();
      const child = spawnServe(o, h, {
        kubeconfig: cp.kubeconfigPath,
        port,
        logPath,
        denoFlags: inspectPort ? [`--inspect=127.0.0.1:${inspectPort}`] : [],
        args: ["--mode", mode],
      });
      let inspector: Inspector | undefined;
      if (inspectPort) {
        try {
          inspector = new Inspector(inspectPort);
          await inspector.connect();
          await inspector.start();
        } catch (e) {
          result.notes.push(`${mode}: no CPU profile: ${(e as Error).message}`);
          inspector = undefined;
        }
      }
      const profile = async () => {
        try {
          const p = await inspector?.stop(20);
          if (p) {
            log(
              `N=${o.n} ${mode}: CPU profile ${p.seconds}s: ${
                p.top.map(([f, s]) => `${s}% ${f}`).join("; ")
              }`,
            );
          }
          return p;
        } catch (e) {
          result.notes.push(`${mode}: CPU profile failed: ${(e as Error).message}`);
          return undefined;
        }
      };
      let exit: Deno.CommandStatus | undefined;
      const status = child.status.then((s) => (exit = s));
      const alive = () => exit === undefined && pidAlive(child.pid);
      const died = async () => {
        const tail = (await Deno.readTextFile(logPath).catch(() => "")).split("\n").slice(-8).join("\n");
        return `serve exited (code ${exit?.code}, signal ${exit?.signal}): ${tail}`;
      };
      const firstP = integrations.until(anyStatus, o.judgeTimeoutMs);
      const judgedP = integrations.until(judged, o.judgeTimeoutMs);
      try {
        // readyz
        const readyDeadline = performance.now() + 60_000;
        while (performance.now() < readyDeadline && alive()) {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
            await res.body?.cancel();
            if (res.ok) {
              r.readyzS = secs(performance.now() - start);
              break;
            }
          } catch { /* not listening yet */ }
          await sleep(100);
        }
        if (!alive()) {
          r.error = await died();
          return r;
        }
        const first = await firstP;
        if (first !== undefined) r.firstStatusS = secs(first - start);
        const j = await Promise.race([judgedP, status.then(() => undefined)]);
        if (j !== undefined) r.judgedS = secs(j - start);
        r.profileStartup = await profile();
        if (inspector) {
          try {
            const heap = await inspector.heapTop(25);
            result.notes.push(
              `N=${o.n} ${mode}: heap after judging ${heap.totalMiB} MiB; largest by self size (MiB): ` +
                heap.top.map(([k, v]) => `${k} ${v}`).join(", "),
            );
            log(
              `N=${o.n} ${mode}: heap ${heap.totalMiB} MiB: ${
                heap.top.map(([k, v]) => `${k} ${v}`).join(", ")
              }`,
            );
          } catch (e) {
            result.notes.push(`${mode}: heap snapshot failed: ${(e as Error).message}`);
          }
        }
        r.judgedCount = TOOLS.map((t) => {
          const s = integrations.objects.get(t.type)?.status;
          return `${t.type} ${s?.phase ?? "-"} ${s?.healthy ?? "-"}`;
        }).join(", ");
        log(
          `N=${o.n} ${mode}: readyz ${r.readyzS}s, first status ${r.firstStatusS ?? "-"}s, all judged ${
            r.judgedS ?? `not within ${o.judgeTimeoutMs / 1000}s (${r.judgedCount})`
          }`,
        );
        if (!alive()) {
          r.error = await died();
          return r;
        }

        // ---------------------------------------------------------------- CLI wall time
        r.statusCliS = await timed(
          3,
          () =>
            run(Deno.execPath(), [
              "run",
              "-A",
              `${root}main.ts`,
              "--kubeconfig",
              cp.kubeconfigPath,
              "status",
              "-n",
              NS,
            ]),
        );
        r.getIntegrationsS = await timed(
          3,
          () => run(h.bin.kubectl, ["--kubeconfig", cp.kubeconfigPath, "get", "integrations", "-n", NS]),
        );
        log(
          `N=${o.n} ${mode}: ksit status ${r.statusCliS}s, kubectl get integrations ${r.getIntegrationsS}s`,
        );

        // ---------------------------------------------------------------- steady state
        await sleep(3000); // let the start settle
        const before = await scrape(wApis);
        const c0 = await serveCounts(port);
        const p0 = procStat(child.pid);
        const statsDuring: number[] = [];
        const until = performance.now() + o.steadyMs;
        const watchesDuring: number[] = [];
        while (performance.now() < until && alive()) {
          await sleep(Math.min(10_000, until - performance.now()));
          const s = procStat(child.pid);
          if (s) statsDuring.push(s.rssKiB);
          if (until - performance.now() > 2000) {
            const sc = await scrape(wApis);
            watchesDuring.push(
              sumMetric(sc.samples, "apiserver_longrunning_requests", (l) => l.verb === "WATCH") -
                idleWatches,
            );
          }
        }
        r.openWatchesRange = watchesDuring.length
          ? [Math.min(...watchesDuring), Math.max(...watchesDuring)]
          : undefined;
        const after = await scrape(wApis);
        const c1 = await serveCounts(port);
        const p1 = procStat(child.pid);
        const winMs = after.at - before.at;
        r.reqWindowS = secs(winMs);
        const d = delta(requestTotals(before.samples, verbKey), requestTotals(after.samples, verbKey));
        const idle = new Map(Object.entries(result.idlePerMin));
        addInto(d, idle, -winMs / 60_000);
        const per: Record<string, number> = {};
        let watch = 0;
        let nonWatch = 0;
        for (const [k, v] of d) {
          if (!/ (deployments|statefulsets|endpointslices|\(non-resource\))$/.test(k)) continue; // not serve's
          const x = (v / o.n) / (winMs / 60_000);
          if (Math.abs(x) < 0.005) continue;
          per[k] = round3(x);
          if (k.startsWith("WATCH")) watch += x;
          else nonWatch += x;
        }
        r.reqByVerb = per;
        if (c0 && c1) {
          const ctl: Record<string, number> = {};
          let ctlNonWatch = 0;
          for (const [k, v] of delta(c0, c1)) {
            const x = (v / o.n) / (winMs / 60_000);
            if (Math.abs(x) < 0.005) continue;
            ctl[k] = round3(x);
            if (!k.startsWith("watch")) ctlNonWatch += x;
          }
          r.ctlByVerb = ctl;
          r.ctlNonWatchPerTargetMin = round3(ctlNonWatch);
          r.rewatchPerTargetMin = round3(
            [...delta(c0, c1)].filter(([k]) => k.startsWith("watch")).reduce((a, [, v]) => a + v, 0) / o.n /
              (winMs / 60_000),
          );
        }
        const g = await serveGauges(port);
        if (g) {
          r.watchStreams = g.watchStreams;
          r.heapUsedMiB = g.heapUsedMiB;
          r.externalMiB = g.externalMiB;
        }
        r.reqWatchPerTargetMin = round3(watch);
        r.reqNonWatchPerTargetMin = round3(nonWatch);
        r.openWatches = sumMetric(after.samples, "apiserver_longrunning_requests", (l) =>
          l.verb === "WATCH") -
          idleWatches;
        if (p0 && p1) {
          r.cpuSPerMin = round3((p1.cpuS - p0.cpuS) / (winMs / 60_000));
          r.fds = p1.fds;
          r.threads = p1.threads;
        }
        r.rssSteadyMiB = statsDuring.length ? Math.round(median(statsDuring)! / 1024) : undefined;
        log(
          `N=${o.n} ${mode}: steady ${r.reqWindowS}s: ${r.reqNonWatchPerTargetMin} req/target/min beyond watches, ${r.reqWatchPerTargetMin} watch req/target/min, ${r.openWatches} open watches (${
            r.openWatchesRange?.join("–")
          } during), CPU ${r.cpuSPerMin} s/min, fds ${r.fds}`,
        );
        if (!alive()) {
          r.error = await died();
          return r;
        }

        // ---------------------------------------------------------------- detection (after the quiet window,
        // as real failures come: long after the watches were opened)
        if (inspector) await inspector.start().catch(() => {});
        await detection(r, mode);
        r.profileDetection = await profile();
        if (!alive()) {
          r.error = await died();
          return r;
        }
        log(
          `N=${o.n} ${mode}: detection ${r.detectMs.length} samples p50 ${percentile(r.detectMs, 50)} p95 ${
            percentile(r.detectMs, 95)
          } p99 ${percentile(r.detectMs, 99)} ms (${r.detectTimeouts} timed out); all-targets p99 ${
            percentile(r.detectAllMs, 99)
          } ms`,
        );

        // ---------------------------------------------------------------- unreachable
        await unreachable(r, mode, alive);
        if (!alive()) r.error = await died();
        return r;
      } finally {
        const s = procStat(child.pid);
        if (s) {
          r.rssPeakMiB = Math.round(s.hwmKiB / 1024);
          r.cpuTotalS = round3(s.cpuS);
        }
        try {
          const m = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
          const samples = parseProm(await m.text());
          r.statusWrites = sumMetric(samples, "ksit_status_writes_total", (l) => l.kind === "Integration");
        } catch { /* gone */ }
        inspector?.close();
        if (alive()) {
          try {
            child.kill("SIGTERM");
          } catch { /* gone */ }
          const timer = setTimeout(() => {
            try {
              child.kill("SIGKILL");
            } catch { /* gone */ }
          }, 15_000);
          await status;
          clearTimeout(timer);
        }
        log(
          `N=${o.n} ${mode}: serve peak RSS ${r.rssPeakMiB} MiB, CPU total ${r.cpuTotalS}s${
            r.error ? `; ${r.error}` : ""
          }`,
        );
      }
    };

    const detection = async (r: ModeResult, mode: "watch" | "poll") => {
      const timeoutMs = mode === "watch" ? 30_000 : 2 * o.intervalS * 1000 + 30_000;
      let consecutiveTimeouts = 0;
      // one stream per tool (independent Integrations), failures dealt round-robin
      await Promise.all(TOOLS.map(async (tool, k) => {
        for (let f = k; f < o.failures; f += TOOLS.length) {
          if (consecutiveTimeouts >= 4) return;
          const i = Math.floor(Math.random() * o.n);
          const srv = i % WORKLOAD.length;
          const api = wApis[srv]!;
          // bare: availableReplicas 0 written to /status (Failed), then the old values back (Running); live: the
          // image of every container gets a tag that never pulls (a stuck rollout: Degraded), then the old images
          // back (the Deployment controller rolls back: Running) — what `kubectl set image` / `rollout undo` do
          const steps = o.live
            ? await liveSteps(api, tool.ns, tool.breaks)
            : await bareSteps(api, tool.ns, tool.breaks);
          const name = targetName(i);
          const sameServer = Array.from({ length: o.n }, (_, j) => j).filter((j) =>
            j % WORKLOAD.length === srv
          )
            .map(targetName);
          let seenOne = true;
          let seenAll = true;
          for (const step of steps) {
            const phase = step.phase;
            // a change within a second of the Integration's last status write waits for the rest of that second
            // (one write per object per second: coalescing flaps, controller/status_writer.ts); the samples are
            // changes after a quiet second, as failures come, not the write rate limit measured again and again
            await sleep(STATUS_WRITE_INTERVAL_MS + 100);
            const sent = performance.now();
            const one = integrations.until(
              (m) => clusterEntry(m.get(tool.type), name)?.phase === phase,
              timeoutMs,
            );
            const all = integrations.until((m) => {
              const cl = m.get(tool.type)?.status?.clusters as { name: string; phase: string }[] | undefined;
              if (!cl) return false;
              const byName = new Map(cl.map((c) => [c.name, c.phase]));
              return sameServer.every((t) => byName.get(t) === phase);
            }, timeoutMs);
            await step.send();
            // a failure that was never seen: put the status back and move on (nothing to time)
            const [t1, t2] = seenOne || seenAll ? await Promise.all([one, all]) : [undefined, undefined];
            // a recovery counts only when its failure was seen (else "Running" was never left)
            if (seenOne) {
              if (t1 === undefined) {
                r.detectTimeouts++;
                (r.detectTimeoutTargets ??= []).push(`${name}/${tool.type}/${phase}`);
                consecutiveTimeouts++;
                seenOne = false;
              } else {
                r.detectMs.push(Math.round(t1 - sent));
                consecutiveTimeouts = 0;
              }
            }
            if (seenAll) {
              if (t2 === undefined) {
                r.detectAllTimeouts++;
                seenAll = false;
              } else r.detectAllMs.push(Math.round(t2 - sent));
            }
          }
        }
      }));
    };

    const unreachable = async (r: ModeResult, mode: "watch" | "poll", alive: () => boolean) => {
      const victim = h.cluster(WORKLOAD[WORKLOAD.length - 1]!);
      const srv = WORKLOAD.length - 1;
      const names = Array.from({ length: o.n }, (_, j) => j).filter((j) => j % WORKLOAD.length === srv).map(
        targetName,
      );
      const timeoutMs = mode === "watch" ? 120_000 : 2 * o.intervalS * 1000 + 90_000;
      const down = integrations.until(
        (m) =>
          TOOLS.every((t) => {
            const cl = m.get(t.type)?.status?.clusters as { name: string; phase: string }[] | undefined;
            if (!cl) return false;
            const byName = new Map(cl.map((c) => [c.name, c.phase]));
            return names.every((n) => byName.get(n) === "Unknown");
          }),
        timeoutMs,
      );
      const t0 = performance.now();
      await victim.stop(); // SIGTERM: the API server shuts down (its etcd data stays)
      r.stopExitS = secs(performance.now() - t0);
      const tDown = await down;
      if (tDown !== undefined) {
        r.unreachableS = secs(tDown - t0);
        const reasons = new Set<string>();
        for (const t of TOOLS) {
          for (const n of names) {
            const c = clusterEntry(integrations.objects.get(t.type), n);
            if (c?.reason) reasons.add(c.reason);
          }
        }
        r.unreachableReasons = [...reasons];
      }
      log(
        `N=${o.n} ${mode}: ${victim.name} stopped; its ${names.length} targets Unknown after ${
          r.unreachableS ?? "(timeout)"
        }s (${r.unreachableReasons?.join(",") ?? "-"})`,
      );
      if (!alive()) return;
      const back = performance.now();
      await victim.start();
      const ok = await integrations.until(judged, timeoutMs);
      if (ok !== undefined) r.reconnectS = secs(ok - back);
      log(
        `N=${o.n} ${mode}: ${victim.name} restarted; all Running again after ${r.reconnectS ?? "(timeout)"}s`,
      );
    };

    const judged = (m: Map<string, WatchedObject>) => {
      return TOOLS.every((t) => {
        const i = m.get(t.type);
        return i?.status?.phase === "Running" && i.status.summary?.healthy === o.n;
      });
    };

    const run = async (cmd: string, args: string[]) => {
      const out = await new Deno.Command(cmd, {
        args,
        cwd: root,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      if (!out.success) {
        throw new Error(
          `${cmd} ${args.join(" ")}: exit ${out.code}: ${new TextDecoder().decode(out.stderr)}`,
        );
      }
    };

    const timed = async (times: number, fn: () => Promise<void>): Promise<number | undefined> => {
      const xs: number[] = [];
      for (let k = 0; k < times; k++) {
        const s = performance.now();
        try {
          await fn();
        } catch (e) {
          result.notes.push(`CLI timing failed: ${(e as Error).message.slice(0, 300)}`);
          return undefined;
        }
        xs.push(performance.now() - s);
      }
      return secs(median(xs)!);
    };
    await integrations.start();
    const results: RunResult[] = [];
    try {
      for (const mode of o.modes) {
        const r = await runMode(mode);
        result.modes.push(r);
      }
      if (o.modes.length) results.push(result);
      if (o.replicas) {
        const { notes: _, ...shared } = result;
        const rep: RunResult = { ...shared, date: new Date().toISOString(), modes: [], notes: [] };
        await freshState();
        rep.replicas = await runReplicas({
          o,
          count: o.replicas,
          h,
          cpApi,
          integrations,
          spawn: (port, logPath, args) =>
            spawnServe(o, h, { kubeconfig: cp.kubeconfigPath, port, logPath, denoFlags: [], args }),
          detection: (r) => detection(r, "watch"),
          judged: (m) =>
            TOOLS.every((t) => {
              const i = m.get(t.type);
              return i?.status?.phase === "Running" && i.status.summary?.healthy === o.n &&
                i.status.observedGeneration === i.metadata.generation;
            }),
          codeHash: () => codeHash(o.serveEntry ? new URL(".", `file://${o.serveEntry}`).pathname : root),
          baseline: result.modes.find((m) => m.mode === "watch"),
        });
        results.push(rep);
      }
    } finally {
      await integrations.stop();
    }
    return results;
  } finally {
    cpApi.close();
    for (const a of wApis) a.close();
    await h.stop();
  }
}

interface Step {
  /** The phase the chosen target's entry must show. */
  phase: string;
  /** Sends the change (one request). */
  send: () => Promise<unknown>;
}

/** Bare servers: the Deployment's status loses its available replicas, then gets them back. */
async function bareSteps(api: Api, ns: string, name: string): Promise<Step[]> {
  const path = `/apis/apps/v1/namespaces/${ns}/deployments/${name}/status`;
  const cur = await api.request<{ status: { availableReplicas?: number; readyReplicas?: number } }>(
    "GET",
    path,
  );
  const healthy = {
    availableReplicas: cur.status.availableReplicas,
    readyReplicas: cur.status.readyReplicas,
  };
  const merge = { contentType: "application/merge-patch+json" };
  return [
    {
      phase: "Failed",
      send: () => api.request("PATCH", path, { status: { availableReplicas: 0, readyReplicas: 0 } }, merge),
    },
    { phase: "Running", send: () => api.request("PATCH", path, { status: healthy }, merge) },
  ];
}

/** Live clusters: a rollout to an image that never pulls (a stuck rollout), then the images as they were. */
async function liveSteps(api: Api, ns: string, name: string): Promise<Step[]> {
  const path = `/apis/apps/v1/namespaces/${ns}/deployments/${name}`;
  const cur = await api.request<
    { spec: { template: { spec: { containers: { name: string; image: string }[] } } } }
  >(
    "GET",
    path,
  );
  const images = (tag?: string) => ({
    spec: {
      template: {
        spec: {
          containers: cur.spec.template.spec.containers.map((c) => ({
            name: c.name,
            image: tag ? imageWithTag(c.image, tag) : c.image,
          })),
        },
      },
    },
  });
  const strategic = { contentType: "application/strategic-merge-patch+json" };
  return [
    { phase: "Degraded", send: () => api.request("PATCH", path, images(NEVER_READY_TAG), strategic) },
    { phase: "Running", send: () => api.request("PATCH", path, images(), strategic) },
  ];
}

/**
 * `serve` (or `o.serveEntry`) against the control plane in the bench's namespace, its output straight into
 * `logPath` (no pipe for serve to block on while the bench is busy); the harness reaps it if the bench dies.
 */
export function spawnServe(
  o: BenchOptions,
  h: Harness,
  s: { kubeconfig: string; port: number; logPath: string; denoFlags: string[]; args: string[] },
): Deno.ChildProcess {
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      'exec "$0" "$@" >"$KSIT_BENCH_LOG" 2>&1',
      Deno.execPath(),
      "run",
      "-A",
      V8_FLAGS_ARG,
      ...o.serveDenoFlags,
      ...s.denoFlags,
      o.serveEntry ?? `${root}main.ts`,
      "serve",
      "--kubeconfig",
      s.kubeconfig,
      "--namespace",
      NS,
      "--health-addr",
      `127.0.0.1:${s.port}`,
      ...s.args,
      ...o.serveArgs,
    ],
    cwd: root,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env: { NO_COLOR: "1", KSIT_BENCH_LOG: s.logPath },
  }).spawn();
  h.track(child.pid);
  return child;
}

/**
 * A digest of the code `serve` runs (the controller was changing while the bench was written). Folders and files
 * a tree does not have are left out (`--serve-entry` of a commit from before kube/ existed).
 */
async function codeHash(dir: string): Promise<string> {
  const exists = (p: string) => {
    try {
      Deno.statSync(p);
      return true;
    } catch {
      return false;
    }
  };
  const files: string[] = [];
  for (const sub of ["controller", "checks", "kube", "util"]) {
    if (!exists(`${dir}${sub}`)) continue;
    for (const e of Deno.readDirSync(`${dir}${sub}`)) {
      if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        files.push(`${dir}${sub}/${e.name}`);
      }
    }
  }
  if (exists(`${dir}cli/serve.ts`)) files.push(`${dir}cli/serve.ts`);
  const text = files.sort().map((f) => Deno.readTextFileSync(f)).join("\0");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].slice(0, 6).map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** serve's own request counter for workload clusters, by verb. */
async function serveCounts(port: number): Promise<Map<string, number> | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const m = new Map<string, number>();
    for (const s of parseProm(await res.text())) {
      if (s.name !== "ksit_api_requests_total" || s.labels.target === "control-plane") continue;
      const k = `${s.labels.verb} ${s.labels.code}`;
      m.set(k, (m.get(k) ?? 0) + s.value);
    }
    return m;
  } catch {
    return undefined;
  }
}

/** serve's gauges of its own watches and memory. */
async function serveGauges(
  port: number,
): Promise<{ watchStreams?: number; heapUsedMiB?: number; externalMiB?: number } | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const samples = parseProm(await res.text());
    const one = (name: string, kind?: string) =>
      samples.find((s) => s.name === name && (kind === undefined || s.labels.kind === kind))?.value;
    const mib = (x: number | undefined) => x === undefined ? undefined : Math.round(x / 2 ** 20);
    return {
      watchStreams: one("ksit_watch_streams"),
      heapUsedMiB: mib(one("ksit_process_heap_bytes", "heapUsed")),
      externalMiB: mib(one("ksit_process_heap_bytes", "external")),
    };
  } catch {
    return undefined;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export type { TestCluster };
