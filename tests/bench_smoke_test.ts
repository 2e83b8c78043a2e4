/**
 * Keeps `deno task bench` working: runs it at N = 10 with short durations (both modes, real API servers; and
 * once with live workload clusters, watch mode) and checks that the table has every measure with a number. Not
 * a timed assertion: the numbers themselves are the benchmark's business (docs/benchmarks.md).
 */
import { assert, assertEquals } from "./support/assert.ts";
import { MEASURES } from "../scripts/bench/report.ts";
import type { RunResult } from "../scripts/bench/run.ts";

const root = new URL("../", import.meta.url).pathname;

async function bench(dir: string, extra: string[]) {
  const out = `${dir}/benchmarks.md`;
  const json = `${dir}/bench.json`;
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}scripts/bench.ts`, "--targets", "10", "--out", out, "--json", json, ...extra],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(res.stdout);
  const stderr = new TextDecoder().decode(res.stderr);
  assertEquals(res.code, 0, `bench failed:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);
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
    const res = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${root}scripts/bench.ts`,
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
      ],
      cwd: root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stdout = new TextDecoder().decode(res.stdout);
    const stderr = new TextDecoder().decode(res.stderr);
    assertEquals(res.code, 0, `bench failed:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);

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
