/**
 * Keeps `deno task bench` working: runs it at N = 10 with short durations (both modes, real API servers; once
 * with live workload clusters, watch mode; once with 3 replicas, `--replicas 3`) and checks that the table has
 * every measure with a number. Not a timed assertion: the numbers themselves are the benchmark's business
 * (docs/benchmarks.md); what is asserted of the replicas is who judges what, and that each change was seen
 * through to its end.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { MEASURES } from "../scripts/bench/report.ts";
import type { RunResult } from "../scripts/bench/run.ts";

const root = new URL("../", import.meta.url).pathname;

/** Runs `name` (under scripts/) with `args`; fails the test with its output unless it exits 0. */
async function script(name: string, args: string[]): Promise<string> {
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}scripts/${name}`, ...args],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(res.stdout);
  const stderr = new TextDecoder().decode(res.stderr);
  assertEquals(res.code, 0, `${name} failed:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);
  return stdout;
}

async function bench(dir: string, extra: string[]) {
  const out = `${dir}/benchmarks.md`;
  const json = `${dir}/bench.json`;
  const stdout = await script("bench.ts", ["--targets", "10", "--out", out, "--json", json, ...extra]);
  const { runs } = JSON.parse(await Deno.readTextFile(json)) as { runs: RunResult[] };
  return { runs, stdout, doc: await Deno.readTextFile(out) };
}

Deno.test("bench --live: N = 10 on live workload clusters (rollouts as failures), watch mode", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ksit-bench-live-smoke-" });
  try {
    const { runs, doc } = await bench(dir, [
      "--live",
      "--modes",
      "watch",
      "--failures",
      "2",
      "--steady",
      "10s",
      "--interval",
      "5s",
    ]);
    const run = runs[0]!;
    assertEquals(run.live, true);
    const watch = run.modes[0]!;
    assertEquals(watch.error, undefined, watch.error);
    assertEquals(watch.detectMs.length, 4, `2 rollouts + 2 rollbacks detected (${watch.detectMs})`);
    for (const m of MEASURES) {
      const v = m.get(watch);
      assert(typeof v === "number" && Number.isFinite(v), `live watch: "${m.label}" has no number (${v})`);
    }
    assert(doc.includes("## N = 10 (live workload clusters)"), "the section says the clusters were live");
    assert(doc.includes("Workload clusters: **live**"), "and what that means");
    assert(
      Object.keys(run.liveRssMiB ?? {}).length === 3,
      `controllers' RSS recorded: ${JSON.stringify(run)}`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("bench: N = 10, watch and poll, every measure has a number", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ksit-bench-smoke-" });
  try {
    const out = `${dir}/benchmarks.md`;
    const json = `${dir}/bench.json`;
    const stdout = await script("bench.ts", [
      "--targets",
      "10",
      "--failures",
      "3",
      "--steady",
      "20s",
      "--interval",
      "5s",
      "--out",
      out,
      "--json",
      json,
    ]);

    const { runs } = JSON.parse(await Deno.readTextFile(json)) as { runs: RunResult[] };
    assertEquals(runs.length, 1);
    const run = runs[0]!;
    assertEquals(run.n, 10);
    assertEquals(run.modes.map((m) => m.mode), ["watch", "poll"]);
    for (const mode of run.modes) {
      assertEquals(mode.error, undefined, `${mode.mode}: ${mode.error}`);
      assert(
        mode.detectMs.length === 6,
        `${mode.mode}: 3 failures + 3 recoveries detected (${mode.detectMs})`,
      );
      for (const m of MEASURES) {
        const v = m.get(mode);
        assert(
          typeof v === "number" && Number.isFinite(v),
          `${mode.mode}: "${m.label}" has no number (${v})`,
        );
      }
    }

    // the printed and written table: one row per measure, a number in the watch and poll columns
    const doc = await Deno.readTextFile(out);
    for (const text of [stdout, doc]) {
      for (const m of MEASURES) {
        const row = text.split("\n").find((l) => l.startsWith(`| ${m.label} |`));
        assert(row, `no row for "${m.label}"`);
        const [watch, poll] = row.split("|").slice(2, 4).map((c) => c.trim());
        assert(/^-?\d/.test(watch ?? "") && /^-?\d/.test(poll ?? ""), `"${m.label}": ${row}`);
      }
    }
    assert(doc.includes("## N = 10"), "docs section for N = 10");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("bench --replicas 3: N = 10, every target judged by exactly one replica, takeover and scaling measured", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ksit-bench-replicas-smoke-" });
  const leaseS = 5;
  try {
    const { runs, doc, stdout } = await bench(dir, [
      "--modes",
      "none",
      "--replicas",
      "3",
      "--lease-duration",
      `${leaseS}s`,
      "--failures",
      "2",
      "--steady",
      "5s",
      "--interval",
      "5s",
      "--judge-timeout",
      "90s",
    ]);
    assertEquals(runs.length, 1, "only the replicas' run (--modes none)");
    const run = runs[0]!;
    const x = run.replicas;
    assert(x, `no replicas result: ${JSON.stringify(run).slice(0, 2000)}`);
    assertEquals(x.error, undefined, x.error);
    assertEquals(x.count, 3);
    assertEquals(x.leaseDurationS, leaseS);

    // every target judged by exactly one replica, the one rendezvous hashing names, and the replicas agree
    const o = x.ownership;
    assert(o, "the start settled");
    assertEquals(
      {
        targets: o.targets,
        ownedSum: o.ownedSum,
        unowned: o.unowned,
        heldByTwo: o.heldByTwo,
        notHeld: o.notHeld,
      },
      { targets: 10, ownedSum: 10, unowned: 0, heldByTwo: 0, notHeld: 0 },
    );
    assertEquals(o.hashAgrees, 10);
    assertEquals(Object.keys(o.byJudgedBy).sort(), ["r-0", "r-1", "r-2"], JSON.stringify(o.byJudgedBy));
    const first = x.replicas.filter((r) => ["r-0", "r-1", "r-2"].includes(r.id));
    for (const r of first) assertEquals(r.ownedTargets, o.byJudgedBy[r.id], `${r.id}: ksit_owned_targets`);
    assert(typeof x.settledS === "number" && typeof x.run.judgedS === "number", "start times measured");
    assertEquals(x.run.detectMs.length, 4, `2 failures + 2 recoveries detected (${x.run.detectMs})`);
    for (const r of x.replicas) {
      assert(typeof r.rssPeakMiB === "number" && r.rssPeakMiB > 0, `${r.id}: peak RSS ${r.rssPeakMiB}`);
      assert(typeof r.cpuTotalS === "number", `${r.id}: CPU ${r.cpuTotalS}`);
    }

    // takeover after SIGKILL, a replacement, one more, two leave: each seen through, every moved target judged
    // by its new owner, and no target moved that the hash did not move
    assertEquals(x.changes.map((c) => [c.from, c.to]), [[3, 2], [2, 3], [3, 4], [4, 2]]);
    assert(x.changes[0]!.what.startsWith("SIGKILL r-"), x.changes[0]!.what);
    for (const c of x.changes) {
      assert(c.moved > 0 && c.movedDone === c.moved, `${c.what}: ${c.movedDone} of ${c.moved} moved`);
      assert(typeof c.longestUnjudgedS === "number" && typeof c.settledS === "number", JSON.stringify(c));
      assertEquals(c.strayOwnerChanges, 0, `${c.what}: targets that changed owner though the hash kept it`);
      assertEquals(c.ownership?.ownedSum, 10, `${c.what}: ${JSON.stringify(c.ownership)}`);
      assertEquals(c.ownership?.heldByTwo, 0, `${c.what}: ${JSON.stringify(c.ownership)}`);
    }
    // the dead replica's targets wait for its Lease to expire (renewed every third of the lease): a takeover
    // faster than two thirds of the lease duration would mean the bench saw something else
    assert(
      typeof x.takeoverS === "number" && x.takeoverS >= (leaseS * 2) / 3 - 0.5,
      `takeover ${x.takeoverS} s with a ${leaseS} s lease`,
    );

    // the section, printed and written
    for (const text of [stdout, doc]) {
      assert(text.includes("Every target judged by exactly one replica: **yes**"), "ownership line");
      const row = text.split("\n").find((l) => l.startsWith("| SIGKILL r-"));
      assert(row && /^\d/.test(row.split("|")[4]!.trim()), `takeover row: ${row}`);
      assert(
        /Takeover after SIGKILL of a replica that does not lead: \*\*\d+(\.\d+)? s\*\*/.test(text),
        "the takeover time",
      );
      for (const id of ["r-0", "r-1", "r-2", "r-3", "r-4"]) {
        assert(text.split("\n").some((l) => l.startsWith(`| ${id}`)), `a row for ${id}`);
      }
    }
    assert(doc.includes("## N = 10, 3 replicas (`--sharding=dynamic`)"), "docs section for 3 replicas");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("bench:cost: both ladders at 20 targets × 2 watches, every step measured, the tables printed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ksit-bench-cost-smoke-" });
  try {
    const json = `${dir}/cost.json`;
    const stdout = await script("bench_cost.ts", ["--targets", "20", "--watches", "2", "--json", json]);
    type Step = { step: string; rss: number; heap: number; external: number };
    const { results } = JSON.parse(await Deno.readTextFile(json)) as { results: Record<string, Step[]> };
    assertEquals(Object.keys(results), ["raw", "ksit"]);
    assertEquals(results.raw!.length, 6, JSON.stringify(results.raw));
    assertEquals(results.ksit!.length, 5, JSON.stringify(results.ksit));
    for (const [name, steps] of Object.entries(results)) {
      for (const s of steps) {
        assert(s.rss > 0 && s.heap > 0 && s.external >= 0, `${name}: ${JSON.stringify(s)}`);
      }
      // loading the code and holding 20 targets' connections and watches cost something
      assert(steps.at(-1)!.rss > steps[0]!.rss, `${name}: RSS did not grow: ${JSON.stringify(steps)}`);
      assert(stdout.includes(`| ${name}: step |`), `${name}: no table printed`);
      assert(
        new RegExp(`${name}: [\\d.]+ KiB per target with 2 watches`).test(stdout),
        `${name}: no summary`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
