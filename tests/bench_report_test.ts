/**
 * docs/benchmarks.md's rendering of a replicas run (scripts/bench/report.ts), from made-up results: its own
 * section beside the one-replica run of the same N, compared with that run's watch column, kept apart from it
 * (its own key) and read back from the file.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { readDocData, renderDoc, runKey } from "../scripts/bench/report.ts";
import type { ModeResult, RunResult } from "../scripts/bench/run.ts";
import type { ReplicasResult } from "../scripts/bench/replicas.ts";

const env = { machine: "test machine", versions: "test versions" };

function mode(judgedS: number, detectMs: number[]): ModeResult {
  return {
    mode: "watch",
    judgedS,
    detectMs,
    detectAllMs: detectMs,
    detectTimeouts: 0,
    detectAllTimeouts: 0,
    rssPeakMiB: 150,
    cpuSPerMin: 0.2,
    codeHash: "abc",
  };
}

function run(extra: Partial<RunResult>): RunResult {
  return {
    n: 30,
    runId: "inv-1",
    date: "2026-12-01T00:00:00.000Z",
    setupS: 1,
    intervalS: 30,
    failures: 2,
    steadyS: 10,
    idlePerMin: {},
    modes: [],
    notes: [],
    ...extra,
  };
}

const replicas: ReplicasResult = {
  count: 3,
  leaseDurationS: 15,
  run: mode(4.5, [300, 400, 500, 600]),
  settledS: 4.6,
  startOwnerChanges: 2,
  ownership: {
    targets: 30,
    byJudgedBy: { "r-0": 11, "r-1": 9, "r-2": 10 },
    ownedTargets: { "r-0": 11, "r-1": 9, "r-2": 10 },
    ownedSum: 30,
    heldByTwo: 0,
    notHeld: 0,
    unowned: 0,
    hashAgrees: 30,
  },
  replicas: [
    { id: "r-0", startedS: 0.1, leader: true, judgedBy: 11, ownedTargets: 11, stoppedBy: "end", log: "" },
    { id: "r-1", startedS: 0.1, judgedBy: 9, ownedTargets: 9, stoppedBy: "SIGKILL", stoppedS: 40, log: "" },
    { id: "r-2", startedS: 0.1, judgedBy: 10, ownedTargets: 10, stoppedBy: "end", log: "" },
  ],
  phaseConflicts: { start: { status: 3, targets: 2, integrations: 1, lease: 0 } },
  changes: [{
    what: "SIGKILL r-1 (not the leader)",
    from: 3,
    to: 2,
    moved: 9,
    movedDone: 9,
    longestUnjudgedS: 16.24,
    settledS: 16.3,
    strayOwnerChanges: 0,
    conflicts: { status: 1, targets: 1, integrations: 0, lease: 0 },
  }],
  takeoverS: 16.24,
};

Deno.test("bench report: a replicas run is a section of its own, beside the one-replica run it is compared with", () => {
  const one = run({ modes: [mode(2.5, [100, 120, 140, 160])] });
  const three = run({ replicas });
  assert(runKey(one) !== runKey(three), "a replicas run does not replace the one-replica run of its N");
  const doc = renderDoc([three, one], env, "");
  const lines = doc.split("\n");
  const oneAt = lines.indexOf("## N = 30");
  const threeAt = lines.indexOf("## N = 30, 3 replicas (`--sharding=dynamic`)");
  assert(oneAt >= 0 && threeAt > oneAt, "the 3-replica section follows the one-replica section");
  assert(doc.includes("Beside one replica (the watch column of *N = 30*, run 2026-12-01T00:00:00.000Z):"));
  assertEquals(
    lines.slice(threeAt).find((l) =>
      l.startsWith("| serve start → every Integration judged, all targets (s) |")
    ),
    "| serve start → every Integration judged, all targets (s) | 2.5 | 4.5 |",
  );
  assert(lines.some((l) => l.startsWith("| r-0 (leader) | 11 | 11 |")), "the leader's row");
  assert(lines.includes("| all | 30 of 30 | 30 | | | | | |"), "the shares add up");
  assert(doc.includes("Every target judged by exactly one replica: **yes**"));
  assert(lines.some((l) => l.startsWith("| SIGKILL r-1 (not the leader) | 3 → 2 | 9 | 16.2 |")));
  assert(
    doc.includes("Takeover after SIGKILL of a replica that does not lead: **16.2 s** (lease duration 15 s"),
  );
  assert(doc.includes("start: 3 on status writes (2 IntegrationTarget, 1 Integration), 0 on Leases"));
  assert(lines.some((l) => l.endsWith("| 0 | 1 (1 + 0) | 0 |")), "the takeover's 409s");

  // read back from the file: both runs, the replicas' result whole
  const back = readDocData(doc);
  assertEquals(back.runs.length, 2);
  assertEquals(back.runs.find((r) => r.replicas)?.replicas, replicas);
});

Deno.test("bench report: a target judged by two replicas shows as 'no'", () => {
  const bad = run({
    replicas: { ...replicas, ownership: { ...replicas.ownership!, heldByTwo: 1, ownedSum: 31 } },
  });
  assert(renderDoc([bad], env, "").includes("Every target judged by exactly one replica: **no**"));
});

Deno.test("bench report: a replicas run compares with the one-replica run it carries, not an older section", () => {
  const older = run({ runId: "inv-0", modes: [mode(9.9, [900])] });
  const three = run({ replicas: { ...replicas, baseline: mode(2.5, [100]) } });
  const doc = renderDoc([older, three], env, "");
  const lines = doc.split("\n");
  const threeAt = lines.indexOf("## N = 30, 3 replicas (`--sharding=dynamic`)");
  assertEquals(
    lines.slice(threeAt).find((l) =>
      l.startsWith("| serve start → every Integration judged, all targets (s) |")
    ),
    "| serve start → every Integration judged, all targets (s) | 2.5 | 4.5 |",
  );
  assert(
    doc.includes("Beside one replica (`serve` alone in watch mode, the same bench invocation, just before):"),
  );
});
