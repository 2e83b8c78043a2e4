/**
 * The tool tables and judges against the corpus of real installs (tests/fixtures/corpus/): every workload is
 * a component or deliberately ignored; each install is found as its index says and judged Running when
 * healthy; every breakage of every component (as the real controllers would write it) gives the phase its
 * required-ness calls for, naming the workload. The same cases run on a real API server in
 * tests/corpus_test.ts.
 */
import { CORPUS } from "../tests/fixtures/corpus/index.ts";
import {
  breakagesOf,
  keyOf,
  loadCorpus,
  type LoadedInstall,
  snapshotOf,
  withStatuses,
} from "../tests/fixtures/corpus.ts";
import { assert, assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import { resolveComponents } from "./components.ts";
import { judgeCluster } from "./judge.ts";
import { assignWorkloads, unaccountedWorkloads } from "./match.ts";
import { projectSnapshot } from "./projection.ts";
import { TOOL_TABLES } from "./tools.ts";

const loaded = new Map<string, LoadedInstall>(
  await Promise.all(CORPUS.map(async (c) => [c.id, await loadCorpus(c.id)] as const)),
);

/** Component → workloads as `Kind/name`, for the components that found something. */
function found(l: LoadedInstall): Record<string, string[]> {
  const specs = resolveComponents(l.install.tool);
  const assigned = assignWorkloads(specs, snapshotOf(l, withStatuses(l)));
  return Object.fromEntries(
    [...assigned].filter(([, ws]) => ws.length).map((
      [name, ws],
    ) => [name, ws.map((w) => `${w.kind}/${w.name}`).sort()]),
  );
}

for (const c of CORPUS) {
  const l = loaded.get(c.id)!;

  Deno.test(`corpus ${c.id}: every workload is a component or ignored on purpose`, () => {
    const snapshot = snapshotOf(l, withStatuses(l));
    const left = unaccountedWorkloads(c.tool, resolveComponents(c.tool), snapshot).map((w) =>
      `${w.kind}/${w.name}`
    );
    assertEquals(left, [], `add them to TOOL_TABLES.${c.tool} (components or ignored, with the reason)`);
    const workloads = snapshot.deployments.length + snapshot.statefulSets.length +
      (snapshot.daemonSets?.length ?? 0);
    assert(workloads > 0, "no workloads rendered");
  });

  Deno.test(`corpus ${c.id}: found as the index says`, () => {
    const expected = Object.fromEntries(Object.entries(c.expect).map(([k, v]) => [k, [...v].sort()]));
    assertEquals(found(l), expected);
  });

  Deno.test(`corpus ${c.id}: healthy ⇒ Running`, () => {
    const snapshot = snapshotOf(l, withStatuses(l));
    const verdict = judgeCluster({ cluster: "c", type: c.tool, snapshot });
    assertEquals(verdict.phase, "Running", JSON.stringify(verdict, null, 1));
    assertEquals(judgeCluster({ cluster: "c", type: c.tool, snapshot: projectSnapshot(snapshot) }), verdict);
    assertEquals(verdict.reason, "RequiredComponentsHealthy");
  });

  Deno.test(`corpus ${c.id}: every breakage of every component names it, with the phase its role calls for`, () => {
    const healthy = judgeCluster({ cluster: "c", type: c.tool, snapshot: snapshotOf(l, withStatuses(l)) });
    const required = new Map((healthy.components ?? []).map((x) => [x.name, x.required ?? false]));
    let cases = 0;
    for (const [component, workloads] of Object.entries(c.expect)) {
      for (const key of workloads) {
        const name = key.split("/")[1] ?? "";
        const obj = l.objects.find((o) => keyOf(o) === key);
        assert(obj, `${key} not in the install`);
        for (const [breakage, health] of breakagesOf(obj)) {
          cases++;
          const what = `${key} ${breakage}`;
          const snapshot = snapshotOf(l, withStatuses(l, new Map([[key, breakage]])));
          const v = judgeCluster({ cluster: "c", type: c.tool, snapshot });
          // serve judges projections (checks/projection.ts): they must give the very same verdict
          const projected = judgeCluster({ cluster: "c", type: c.tool, snapshot: projectSnapshot(snapshot) });
          assertEquals(projected, v, `${what}: judged on the projection`);
          const phase = required.get(component)
            ? (health === "Unhealthy" ? "Failed" : "Degraded")
            : "Degraded";
          assertEquals(v.phase, phase, `${what}: ${v.message}`);
          assertStringIncludes(v.message ?? "", name, what);
          const comp = v.components?.find((x) => x.name === component);
          assertEquals(comp?.status, health, `${what}: ${comp?.message}`);
        }
      }
    }
    assert(cases > 0);
  });
}

Deno.test("corpus: every tool, and each of its table's components, appears in some install", () => {
  const seen = new Set<string>();
  for (const c of CORPUS) for (const name of Object.keys(c.expect)) seen.add(`${c.tool}/${name}`);
  const absent = Object.values(TOOL_TABLES).flatMap((t) =>
    t.components.map((x) => `${t.type}/${x.name}`).filter((k) => !seen.has(k))
  );
  // components no corpus install renders: kept for installs outside the corpus, each with its reason
  assertEquals(absent, ["prometheus/windows-exporter"]);
});
