/**
 * `deno task bench --replicas R` (issue 16): R `serve` processes with `--leader-elect --sharding=dynamic
 * --identity=r-<i> --lease-duration=<d>` on the bench's control plane, workload servers and N targets. Measured:
 *
 * - the start: /readyz of all, every Integration judged, and the shares settled — every target's
 *   `status.judgedBy` is the replica rendezvous hashing names over the live replicas, with a fresh result for
 *   every Integration, and the replicas' own metrics agree (each one's `ksit_owned_targets` is the number of
 *   targets naming it, they add up to N, and no target has a `ksit_target_reachable` series in two replicas);
 * - the steady window (CPU per replica) and detection (the one-replica bench's own code: a failure on a random
 *   target until the Integration shows it, now through the owner's target status and the leader's roll-up);
 * - changes, each until the shares settle again: SIGKILL of a replica that is not the leader (takeover: until
 *   every target it judged names a survivor and has a fresh result), a replacement starting (R-1 → R), one more
 *   (R → R+1), and SIGTERM of the two newest replicas that do not lead (R+1 → R-1). For each: the targets the
 *   hash moves, the longest any of them went unjudged (from the change — the signal, or the new replica's Lease
 *   appearing — until its new owner's fresh result: an upper bound when a replica joins, as the old owner
 *   judges until it lets go), targets that changed owner though the hash did not move them, and HTTP 409s;
 * - HTTP 409 conflicts per phase, from the control plane kube-apiserver's `apiserver_request_total{code="409"}`
 *   (status writes: integrationtargets/status and integrations/status; Lease writes apart); serve's own request
 *   counter has no resource label and dies with a killed replica.
 *
 * Every wait has a deadline (`judgeTimeoutMs`); every replica is stopped at the end.
 */
import { rendezvousOwner } from "../../controller/sharding.ts";
import { type Harness, pidAlive } from "../../tests/support/harness.ts";
import { freePort } from "../../tests/support/ports.ts";
import { type Api, type WatchedObject, Watcher } from "./api.ts";
import { parseProm, type ProcStat, procStat, type Sample } from "./measure.ts";
import { type BenchOptions, type ModeResult, NS, secs, sleep, TOOLS } from "./shared.ts";

/** The leader-election Lease (serve's default --lease-name); replica Leases are labelled after it. */
const LEADER_LEASE = "ksit-controller";
const REPLICA_OF = "ksit.io/replica-of";

export interface ReplicaResult {
  id: string;
  /** Seconds after the start of the replicas' run when it was started / stopped. */
  startedS: number;
  stoppedS?: number;
  stoppedBy?: "SIGKILL" | "SIGTERM" | "end";
  /** Held the leader Lease when the changes began. */
  leader?: boolean;
  /** Targets naming it in status.judgedBy, and its ksit_owned_targets, when the start settled. */
  judgedBy?: number;
  ownedTargets?: number;
  rssPeakMiB?: number;
  /** CPU over the steady window (s / min), and in total until it stopped (s). */
  cpuSPerMin?: number;
  cpuTotalS?: number;
  log: string;
}

/** Who judges what when the shares settled. */
export interface Ownership {
  targets: number;
  /** Targets per status.judgedBy value ("" = none). */
  byJudgedBy: Record<string, number>;
  /** ksit_owned_targets of each live replica, and their sum. */
  ownedTargets: Record<string, number>;
  ownedSum: number;
  /** Targets with a ksit_target_reachable series in two or more replicas / in none. */
  heldByTwo: number;
  notHeld: number;
  /** Targets whose judgedBy is not a live replica. */
  unowned: number;
  /** Targets whose judgedBy is the replica rendezvous hashing names over the live replicas. */
  hashAgrees: number;
}

export interface ChangeResult {
  what: string;
  from: number;
  to: number;
  /** Targets whose owner the hash changes, and how many of them reached their new owner. */
  moved: number;
  movedDone: number;
  /** Longest a moved target went without a live owner's fresh result (s); undefined: some never did. */
  longestUnjudgedS?: number;
  /** Until every target is judged by its owner with a fresh result (s after the change). */
  settledS?: number;
  /** Targets that changed owner though the hash did not move them (should be 0). */
  strayOwnerChanges: number;
  conflicts: Conflicts;
  ownership?: Ownership;
}

export interface Conflicts {
  /** HTTP 409 on integrationtargets/status and integrations/status, and each apart. */
  status: number;
  targets: number;
  integrations: number;
  /** HTTP 409 on Leases (replica and leader Leases). */
  lease: number;
}

export interface ReplicasResult {
  count: number;
  leaseDurationS: number;
  /** The start and detection, in the one-replica bench's terms (RSS: the largest replica; CPU: their sum). */
  run: ModeResult;
  /** The one-replica watch run of the same invocation, when there was one: what `run` is compared with. */
  baseline?: ModeResult;
  /** Start → the shares settled (s). */
  settledS?: number;
  /** Targets whose judgedBy named another replica than its final owner at some time during the start. */
  startOwnerChanges?: number;
  ownership?: Ownership;
  replicas: ReplicaResult[];
  /** HTTP 409 by phase: start, steady + detection. */
  phaseConflicts: Record<string, Conflicts>;
  changes: ChangeResult[];
  /** The takeover after SIGKILL (s): the first change's longest unjudged time. */
  takeoverS?: number;
  /** The machine's load average (1, 5, 15 min) when the run started and ended: other work on the machine. */
  loadavg?: { start: number[]; end?: number[] };
  error?: string;
}

export interface ReplicasContext {
  o: BenchOptions;
  count: number;
  h: Harness;
  cpApi: Api;
  /** The bench's watch on Integrations (started). */
  integrations: Watcher;
  spawn: (port: number, logPath: string, args: string[]) => Deno.ChildProcess;
  /** The one-replica bench's detection, into `r`. */
  detection: (r: ModeResult) => Promise<void>;
  /** Every Integration Running, healthy N/N, of its current generation. */
  judged: (m: Map<string, WatchedObject>) => boolean;
  codeHash: () => Promise<string>;
  /** The one-replica watch run just before, if any. */
  baseline?: ModeResult;
}

/** One serve replica of the run. */
class Replica {
  readonly port = freePort();
  readonly child: Deno.ChildProcess;
  readonly result: ReplicaResult;
  private exited = false;
  readonly status: Promise<Deno.CommandStatus>;
  /** The newest /proc sample while it ran. */
  last: ProcStat | undefined;

  constructor(readonly id: string, c: ReplicasContext, runStart: number) {
    const log = `${c.o.logDir}/serve-n${c.o.n}-replica-${id}.log`;
    this.child = c.spawn(this.port, log, [
      "--mode",
      "watch",
      "--leader-elect",
      "--sharding=dynamic",
      `--identity=${id}`,
      `--lease-duration=${Math.round((c.o.leaseDurationMs ?? 15_000) / 1000)}s`,
    ]);
    this.status = this.child.status.then((s) => {
      this.exited = true;
      return s;
    });
    this.result = { id, startedS: secs(performance.now() - runStart), log };
  }

  alive(): boolean {
    return !this.exited && pidAlive(this.child.pid);
  }

  sample(): ProcStat | undefined {
    const s = procStat(this.child.pid);
    if (s) this.last = s;
    return s;
  }

  async metrics(): Promise<Sample[] | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/metrics`, {
        signal: AbortSignal.timeout(10_000),
      });
      return parseProm(await res.text());
    } catch {
      return undefined;
    }
  }

  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  /** Sends `signal`, its /proc figures taken first (`exit()` waits for it). */
  stop(signal: "SIGKILL" | "SIGTERM" | "end", runStart: number): void {
    this.sample();
    if (this.last) {
      this.result.rssPeakMiB = Math.round(this.last.hwmKiB / 1024);
      this.result.cpuTotalS = Math.round(this.last.cpuS * 1000) / 1000;
    }
    this.result.stoppedS = secs(performance.now() - runStart);
    this.result.stoppedBy = signal;
    if (this.alive()) {
      try {
        this.child.kill(signal === "end" ? "SIGTERM" : signal);
      } catch { /* gone */ }
    }
  }

  /** Waits for the exit (SIGKILL after 15 s). */
  async exit(): Promise<void> {
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 15_000);
    await this.status;
    clearTimeout(timer);
  }
}

/** HTTP 409 answered by the control plane's kube-apiserver so far. */
async function conflicts(cpApi: Api): Promise<Conflicts> {
  const samples = parseProm(await cpApi.text("/metrics"));
  const out: Conflicts = { status: 0, targets: 0, integrations: 0, lease: 0 };
  for (const s of samples) {
    if (s.name !== "apiserver_request_total" || s.labels.code !== "409") continue;
    const res = s.labels.resource ?? "";
    if (res === "integrationtargets" && s.labels.subresource === "status") out.targets += s.value;
    else if (res === "integrations" && s.labels.subresource === "status") out.integrations += s.value;
    else if (res === "leases") out.lease += s.value;
  }
  out.status = out.targets + out.integrations;
  return out;
}

function minus(a: Conflicts, b: Conflicts): Conflicts {
  return {
    status: a.status - b.status,
    targets: a.targets - b.targets,
    integrations: a.integrations - b.integrations,
    lease: a.lease - b.lease,
  };
}

/** Waits until `fn` is true (polled every `intervalMs`) or the deadline passes; returns whether it was. */
async function pollUntil(fn: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return true;
    if (performance.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

const targetKey = (name: string) => `${NS}/${name}`;

export async function runReplicas(c: ReplicasContext): Promise<ReplicasResult> {
  const { o, cpApi, integrations } = c;
  const timeoutMs = o.judgeTimeoutMs;
  const log = o.log;
  const targets = new Watcher(cpApi, `/apis/ksit.io/v1alpha1/namespaces/${NS}/integrationtargets`);
  const leases = new Watcher(cpApi, `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`);
  await targets.start();
  await leases.start();
  const run: ModeResult = {
    mode: "watch",
    detectMs: [],
    detectAllMs: [],
    detectTimeouts: 0,
    detectAllTimeouts: 0,
    codeHash: await c.codeHash(),
    serveLog: `${o.logDir}/serve-n${o.n}-replica-*.log`,
  };
  const result: ReplicasResult = {
    count: c.count,
    leaseDurationS: Math.round((o.leaseDurationMs ?? 15_000) / 1000),
    run,
    ...(c.baseline ? { baseline: c.baseline } : {}),
    replicas: [],
    phaseConflicts: {},
    changes: [],
    loadavg: { start: Deno.loadavg() },
  };
  const all: Replica[] = [];
  const live = () => all.filter((r) => r.result.stoppedS === undefined);
  const ids = () => live().map((r) => r.id).sort();

  /** Every Integration's generation, by name (results must be of it). */
  const generations = () =>
    new Map(TOOLS.map((t) => [t.type as string, integrations.objects.get(t.type)?.metadata.generation ?? 1]));
  /** The target has a result of every Integration's current generation. */
  const fresh = (t: WatchedObject, gens: Map<string, number>) => {
    const results = (t.status?.results ?? []) as { integration: string; observedGeneration?: number }[];
    for (const [name, gen] of gens) {
      if (!results.some((r) => r.integration === name && (r.observedGeneration ?? 0) === gen)) return false;
    }
    return true;
  };
  const owners = (members: string[]) =>
    new Map([...targets.objects.keys()].map((n) => [n, rendezvousOwner(targetKey(n), members)]));
  /** Every target judged by the replica the hash names over `members`, with a fresh result. */
  const settledOn = (members: string[]) => {
    const gens = generations();
    return (m: Map<string, WatchedObject>) => {
      if (m.size !== o.n) return false;
      for (const [name, t] of m) {
        if (t.status?.judgedBy !== rendezvousOwner(targetKey(name), members) || !fresh(t, gens)) return false;
      }
      return true;
    };
  };

  /** The shares as the targets' status and the replicas' metrics say; `ok` when they agree exactly. */
  const ownership = async (): Promise<{ ok: boolean; o: Ownership }> => {
    const members = ids();
    const byJudgedBy: Record<string, number> = {};
    let unowned = 0;
    let hashAgrees = 0;
    for (const [name, t] of targets.objects) {
      const j = (t.status?.judgedBy as string | undefined) ?? "";
      byJudgedBy[j] = (byJudgedBy[j] ?? 0) + 1;
      if (!members.includes(j)) unowned++;
      if (j === rendezvousOwner(targetKey(name), members)) hashAgrees++;
    }
    const ownedTargets: Record<string, number> = {};
    const held = new Map<string, number>();
    let scraped = true;
    for (const r of live()) {
      const samples = await r.metrics();
      if (!samples) {
        scraped = false;
        continue;
      }
      ownedTargets[r.id] = samples.find((s) => s.name === "ksit_owned_targets" && s.labels.replica === r.id)
        ?.value ?? 0;
      const mine = new Set(
        samples.filter((s) => s.name === "ksit_target_reachable" && s.labels.namespace === NS)
          .map((s) => s.labels.name ?? ""),
      );
      for (const n of mine) held.set(n, (held.get(n) ?? 0) + 1);
    }
    const ownedSum = Object.values(ownedTargets).reduce((a, b) => a + b, 0);
    const heldByTwo = [...held.values()].filter((v) => v > 1).length;
    const notHeld = [...targets.objects.keys()].filter((n) => !held.has(n)).length;
    const own: Ownership = {
      targets: targets.objects.size,
      byJudgedBy,
      ownedTargets,
      ownedSum,
      heldByTwo,
      notHeld,
      unowned,
      hashAgrees,
    };
    const ok = scraped && own.targets === o.n && ownedSum === o.n && heldByTwo === 0 && notHeld === 0 &&
      unowned === 0 && hashAgrees === o.n &&
      members.every((m) => (ownedTargets[m] ?? 0) === (byJudgedBy[m] ?? 0));
    return { ok, o: own };
  };

  /** Waits for the shares over the live replicas to settle; seconds after `t0`, and the ownership seen. */
  const settle = async (t0: number): Promise<{ settledS?: number; ownership?: Ownership }> => {
    const members = ids();
    const at = await targets.until(settledOn(members), timeoutMs);
    if (at === undefined) {
      const last = await ownership();
      return { ownership: last.o };
    }
    let last: Ownership | undefined;
    const agreed = await pollUntil(
      async () => {
        const x = await ownership();
        last = x.o;
        return x.ok;
      },
      timeoutMs,
      1000,
    );
    return { ...(agreed ? { settledS: secs(performance.now() - t0) } : {}), ownership: last };
  };

  const leader = async (): Promise<string | undefined> => {
    const l = await cpApi.request<{ spec?: { holderIdentity?: string } } | undefined>(
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${LEADER_LEASE}`,
      undefined,
      { ok404: true },
    );
    return l?.spec?.holderIdentity || undefined;
  };

  /**
   * One membership change: `act` makes it and returns its instant; measured until the shares over the new live
   * set settle.
   */
  const change = async (
    what: string,
    after: () => string[],
    act: () => Promise<number | undefined>,
  ): Promise<ChangeResult> => {
    const before = ids();
    const c0 = await conflicts(cpApi);
    const ownerBefore = owners(before);
    const judgedBefore = new Map([...targets.objects].map(([n, t]) => [n, t.status?.judgedBy as string]));
    // the moved set is known once `after` is (a new replica's name is known before it starts)
    let ownerAfter: Map<string, string | undefined> | undefined;
    const done = new Map<string, number>();
    const stray = new Set<string>();
    let gens = generations();
    const off = targets.listen((t, type, at) => {
      if (type === "DELETED" || !ownerAfter) return;
      const name = t.metadata.name;
      const j = t.status?.judgedBy as string | undefined;
      const target = ownerAfter.get(name);
      if (target !== ownerBefore.get(name)) {
        if (!done.has(name) && j === target && fresh(t, gens)) done.set(name, at);
      } else if (j !== undefined && j !== judgedBefore.get(name)) stray.add(name);
    });
    try {
      const members = after();
      ownerAfter = owners(members);
      gens = generations();
      const moved = [...ownerAfter].filter(([n, w]) => w !== ownerBefore.get(n)).map(([n]) => n);
      log(
        `N=${o.n} replicas: ${what} (${before.length} → ${members.length}; the hash moves ${moved.length})`,
      );
      const t0 = await act();
      if (t0 === undefined) throw new Error(`${what}: the change did not happen within ${timeoutMs / 1000}s`);
      const s = await settle(t0);
      const times = moved.map((n) => done.get(n));
      const all = times.every((t) => t !== undefined);
      const r: ChangeResult = {
        what,
        from: before.length,
        to: members.length,
        moved: moved.length,
        movedDone: times.filter((t) => t !== undefined).length,
        ...(all ? { longestUnjudgedS: moved.length ? secs(Math.max(...(times as number[])) - t0) : 0 } : {}),
        ...(s.settledS !== undefined ? { settledS: s.settledS } : {}),
        strayOwnerChanges: stray.size,
        conflicts: minus(await conflicts(cpApi), c0),
        ...(s.ownership ? { ownership: s.ownership } : {}),
      };
      log(
        `N=${o.n} replicas: ${what}: ${r.movedDone}/${r.moved} moved targets judged by their new owner, longest ` +
          `unjudged ${r.longestUnjudgedS ?? "(timeout)"}s, settled ${r.settledS ?? "(timeout)"}s, ` +
          `${r.strayOwnerChanges} stray owner changes, 409: ${r.conflicts.targets} target status, ` +
          `${r.conflicts.integrations} Integration status, ${r.conflicts.lease} Lease`,
      );
      return r;
    } finally {
      off();
    }
  };

  const startReplica = (id: string, runStart: number) => {
    const r = new Replica(id, c, runStart);
    all.push(r);
    result.replicas.push(r.result);
    return r;
  };
  /** Starts replica `id` and returns when its Lease appeared (the change the others see). */
  const join = async (id: string, runStart: number) => {
    startReplica(id, runStart);
    return await leases.until(
      (m) => [...m.values()].some((l) => l.spec?.holderIdentity === id && l.metadata.labels?.[REPLICA_OF]),
      timeoutMs,
    );
  };

  const runStart = performance.now();
  try {
    // ------------------------------------------------------------------ start
    const c0 = await conflicts(cpApi);
    const firstOwner = new Map<string, Set<string>>();
    const offStart = targets.listen((t) => {
      const j = t.status?.judgedBy as string | undefined;
      if (!j) return;
      let seen = firstOwner.get(t.metadata.name);
      if (!seen) firstOwner.set(t.metadata.name, seen = new Set());
      seen.add(j);
    });
    const anyStatus = (m: Map<string, WatchedObject>) =>
      TOOLS.every((t) => {
        const p = m.get(t.type)?.status?.phase;
        return p !== undefined && p !== "Pending";
      });
    const firstP = integrations.until(anyStatus, timeoutMs);
    const judgedP = integrations.until(c.judged, timeoutMs);
    for (let i = 0; i < c.count; i++) startReplica(`r-${i}`, runStart);
    log(`N=${o.n} replicas: started ${ids().join(", ")} (lease ${result.leaseDurationS}s)`);
    if (
      await pollUntil(async () => (await Promise.all(all.map((r) => r.ready()))).every(Boolean), 60_000, 100)
    ) {
      run.readyzS = secs(performance.now() - runStart);
    }
    const first = await firstP;
    if (first !== undefined) run.firstStatusS = secs(first - runStart);
    const judged = await judgedP;
    if (judged !== undefined) run.judgedS = secs(judged - runStart);
    const s = await settle(runStart);
    offStart();
    result.settledS = s.settledS;
    result.ownership = s.ownership;
    result.startOwnerChanges = [...targets.objects].filter(([n, t]) =>
      [...(firstOwner.get(n) ?? [])].some((j) =>
        j !== t.status?.judgedBy
      )
    ).length;
    result.phaseConflicts.start = minus(await conflicts(cpApi), c0);
    for (const r of all) {
      r.result.judgedBy = s.ownership?.byJudgedBy[r.id];
      r.result.ownedTargets = s.ownership?.ownedTargets[r.id];
    }
    log(
      `N=${o.n} replicas: readyz ${run.readyzS}s, first status ${run.firstStatusS}s, judged ${run.judgedS}s, ` +
        `shares settled ${result.settledS ?? "(timeout)"}s: ${JSON.stringify(s.ownership?.byJudgedBy)}, ` +
        `owned ${JSON.stringify(s.ownership?.ownedTargets)}, held by two ${s.ownership?.heldByTwo}, ` +
        `${result.startOwnerChanges} targets changed owner during the start`,
    );
    if (live().some((r) => !r.alive())) throw new Error("a replica exited during the start");

    // ------------------------------------------------------------------ steady window, detection
    await sleep(3000); // let the start settle, as the one-replica run does before its window
    const c1 = await conflicts(cpApi);
    const p0 = new Map(all.map((r) => [r.id, r.sample()]));
    const t1 = performance.now();
    await sleep(o.steadyMs);
    const minutes = (performance.now() - t1) / 60_000;
    for (const r of all) {
      const a = p0.get(r.id);
      const b = r.sample();
      if (a && b) r.result.cpuSPerMin = Math.round(((b.cpuS - a.cpuS) / minutes) * 1000) / 1000;
    }
    run.cpuSPerMin = Math.round(all.reduce((x, r) => x + (r.result.cpuSPerMin ?? 0), 0) * 1000) / 1000;
    await c.detection(run);
    result.phaseConflicts["steady + detection"] = minus(await conflicts(cpApi), c1);
    for (const r of all) r.sample();
    run.rssPeakMiB = Math.max(...all.map((r) => Math.round((r.last?.hwmKiB ?? 0) / 1024)));
    run.cpuTotalS = Math.round(all.reduce((x, r) => x + (r.last?.cpuS ?? 0), 0) * 1000) / 1000;
    log(
      `N=${o.n} replicas: CPU steady ${run.cpuSPerMin} s/min (all), detection ${run.detectMs.length} samples, ` +
        `${run.detectTimeouts} timed out`,
    );
    if (live().some((r) => !r.alive())) throw new Error("a replica exited during detection");

    // ------------------------------------------------------------------ changes
    const lead = await leader();
    for (const r of all) r.result.leader = r.id === lead;
    const victim = live().find((r) => r.id !== lead)!;
    let next = c.count;
    const takeover = await change(
      `SIGKILL ${victim.id} (not the leader)`,
      () => ids().filter((id) => id !== victim.id),
      async () => {
        victim.sample();
        const t = performance.now();
        victim.stop("SIGKILL", runStart);
        await victim.exit();
        return t;
      },
    );
    result.changes.push(takeover);
    result.takeoverS = takeover.longestUnjudgedS;
    const replacement = `r-${next++}`;
    result.changes.push(
      await change(`${replacement} starts (a replacement)`, () =>
        [...ids(), replacement].sort(), () =>
        join(replacement, runStart)),
    );
    const extra = `r-${next++}`;
    result.changes.push(
      await change(`${extra} starts`, () =>
        [...ids(), extra].sort(), () => join(extra, runStart)),
    );
    const leaving = live().filter((r) => r.id !== lead).sort((a, b) => b.result.startedS - a.result.startedS)
      .slice(0, 2);
    const names = leaving.map((r) => r.id);
    result.changes.push(
      await change(
        `SIGTERM ${names.join(", ")} (the newest that do not lead)`,
        () => ids().filter((id) => !names.includes(id)),
        () => {
          const t = performance.now();
          for (const r of leaving) r.stop("SIGTERM", runStart);
          return Promise.resolve(t);
        },
      ),
    );
    await Promise.all(leaving.map((r) => r.exit()));
  } catch (e) {
    result.error = (e as Error).message;
    log(`N=${o.n} replicas: ${result.error}`);
  } finally {
    for (const r of live()) r.stop("end", runStart);
    await Promise.all(all.map((r) => r.exit()));
    log(`N=${o.n} replicas: every replica stopped`);
    result.loadavg!.end = Deno.loadavg();
    await targets.stop();
    await leases.stop();
  }
  return result;
}
