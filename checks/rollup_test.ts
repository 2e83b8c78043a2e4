import type { ClusterStatus, IntegrationStatus, Phase } from "../api/types.ts";
import { loadSnapshot, withAvailable } from "../tests/fixtures/load.ts";
import { assert, assertEquals } from "../tests/support/assert.ts";
import { judgeCluster, unknownCluster } from "./judge.ts";
import { boundStatus, MAX_DETAILED_CLUSTERS, rollUp } from "./rollup.ts";

const T0 = "2024-09-01T10:00:00Z";
const T1 = "2024-09-01T10:05:00Z";
const T2 = "2024-09-01T10:10:00Z";

const argocd = await loadSnapshot("tools/argocd/install.yaml");
const healthy = (name: string) => judgeCluster({ cluster: name, type: "argocd", snapshot: argocd });
const failed = (name: string) =>
  judgeCluster({ cluster: name, type: "argocd", snapshot: withAvailable(argocd, "argocd-repo-server", 0) });
const degraded = (name: string) =>
  judgeCluster({ cluster: name, type: "argocd", snapshot: withAvailable(argocd, "argocd-dex-server", 0) });
const unreachable = (name: string) =>
  unknownCluster(name, "ClusterUnreachable", "dial tcp 10.0.0.9:6443: connection refused");
const absent = (name: string) =>
  judgeCluster({
    cluster: name,
    type: "argocd",
    snapshot: { namespace: "argocd", deployments: [], statefulSets: [] },
  });

interface Case {
  name: string;
  enabled?: boolean;
  clusters: ClusterStatus[];
  phase: Phase;
  reason: string;
  message: string;
  summary: NonNullable<IntegrationStatus["summary"]>;
  /** Ready, Degraded, Reconciling, Stalled */
  conditions: string[];
}

const cases: Case[] = [
  {
    name: "disabled: no clusters, zero summary, even if clusters were passed",
    enabled: false,
    clusters: [failed("cluster-1")],
    phase: "Disabled",
    reason: "Disabled",
    message: "disabled (spec.enabled is false): no checks run",
    summary: { targets: 0, healthy: 0, degraded: 0, failed: 0, unknown: 0, notInstalled: 0 },
    conditions: ["False", "False", "False", "False"],
  },
  {
    name: "no targets: Pending",
    clusters: [],
    phase: "Pending",
    reason: "NoTargetsMatched",
    message: "no targets matched: check spec.targetClusters and spec.targetSelector",
    summary: { targets: 0, healthy: 0, degraded: 0, failed: 0, unknown: 0, notInstalled: 0 },
    conditions: ["False", "False", "True", "False"],
  },
  {
    name: "all healthy: Running",
    clusters: [healthy("cluster-2"), healthy("cluster-1")],
    phase: "Running",
    reason: "AllHealthy",
    message: "all 2 clusters healthy",
    summary: { targets: 2, healthy: 2, degraded: 0, failed: 0, unknown: 0, notInstalled: 0 },
    conditions: ["True", "False", "False", "False"],
  },
  {
    name: "one healthy cluster: its message",
    clusters: [healthy("cluster-1")],
    phase: "Running",
    reason: "AllHealthy",
    message: "cluster-1: 4/4 required components healthy",
    summary: { targets: 1, healthy: 1, degraded: 0, failed: 0, unknown: 0, notInstalled: 0 },
    conditions: ["True", "False", "False", "False"],
  },
  {
    name: "one degraded: Degraded",
    clusters: [healthy("cluster-1"), degraded("cluster-2")],
    phase: "Degraded",
    reason: "ComponentsDegraded",
    message: "cluster-2: argocd-dex-server: 0/1 available",
    summary: { targets: 2, healthy: 1, degraded: 1, failed: 0, unknown: 0, notInstalled: 0 },
    conditions: ["False", "True", "False", "False"],
  },
  {
    name: "one failed: Failed, worst cluster and component named",
    clusters: [healthy("cluster-1"), failed("cluster-2"), healthy("cluster-3")],
    phase: "Failed",
    reason: "ComponentsFailed",
    message: "cluster-2: argocd-repo-server: 0/2 available",
    summary: { targets: 3, healthy: 2, degraded: 0, failed: 1, unknown: 0, notInstalled: 0 },
    conditions: ["False", "True", "False", "True"],
  },
  {
    name: "failed beats unknown and degraded; the others are counted",
    clusters: [degraded("cluster-1"), unreachable("cluster-2"), failed("cluster-3"), healthy("cluster-4")],
    phase: "Failed",
    reason: "ComponentsFailed",
    message: "cluster-3: argocd-repo-server: 0/2 available (+2 more clusters)",
    summary: { targets: 4, healthy: 1, degraded: 1, failed: 1, unknown: 1, notInstalled: 0 },
    conditions: ["False", "True", "False", "True"],
  },
  {
    name: "two failed: the first by name is named",
    clusters: [failed("cluster-b"), failed("cluster-a")],
    phase: "Failed",
    reason: "ComponentsFailed",
    message: "cluster-a: argocd-repo-server: 0/2 available (+1 more cluster)",
    summary: { targets: 2, healthy: 0, degraded: 0, failed: 2, unknown: 0, notInstalled: 0 },
    conditions: ["False", "True", "False", "True"],
  },
  {
    name: "no failure but a cluster unreachable: Unknown",
    clusters: [healthy("cluster-1"), unreachable("cluster-2"), degraded("cluster-3")],
    phase: "Unknown",
    reason: "ClustersUnreachable",
    message: "cluster-2: dial tcp 10.0.0.9:6443: connection refused (+1 more cluster)",
    summary: { targets: 3, healthy: 1, degraded: 1, failed: 0, unknown: 1, notInstalled: 0 },
    conditions: ["Unknown", "False", "False", "False"],
  },
  {
    name: "not installed anywhere: NotInstalled, Ready False with ToolNotInstalled",
    clusters: [absent("cluster-1")],
    phase: "NotInstalled",
    reason: "ToolNotInstalled",
    message: "cluster-1: argocd: not installed (no Argo CD workload in namespace argocd)",
    summary: { targets: 1, healthy: 0, degraded: 0, failed: 0, unknown: 0, notInstalled: 1 },
    conditions: ["False", "False", "False", "False"],
  },
  {
    name: "not installed on several: NotInstalled, the first named",
    clusters: [absent("cluster-2"), absent("cluster-1")],
    phase: "NotInstalled",
    reason: "ToolNotInstalled",
    message: "not installed on any of the 2 clusters " +
      "(cluster-1: argocd: not installed (no Argo CD workload in namespace argocd))",
    summary: { targets: 2, healthy: 0, degraded: 0, failed: 0, unknown: 0, notInstalled: 2 },
    conditions: ["False", "False", "False", "False"],
  },
  {
    name: "healthy where installed: Running, the others named, HEALTHY counts installed ones only",
    clusters: [healthy("cluster-1"), absent("cluster-3"), healthy("cluster-2")],
    phase: "Running",
    reason: "AllHealthy",
    message: "all 2 clusters healthy; not installed on cluster-3",
    summary: { targets: 3, healthy: 2, degraded: 0, failed: 0, unknown: 0, notInstalled: 1 },
    conditions: ["True", "False", "False", "False"],
  },
  {
    name: "one healthy, one without the tool: the healthy one's message",
    clusters: [absent("cluster-2"), healthy("cluster-1")],
    phase: "Running",
    reason: "AllHealthy",
    message: "cluster-1: 4/4 required components healthy; not installed on cluster-2",
    summary: { targets: 2, healthy: 1, degraded: 0, failed: 0, unknown: 0, notInstalled: 1 },
    conditions: ["True", "False", "False", "False"],
  },
  {
    name: "not installed never makes it worse: Failed decided by the others",
    clusters: [failed("cluster-1"), absent("cluster-2")],
    phase: "Failed",
    reason: "ComponentsFailed",
    message: "cluster-1: argocd-repo-server: 0/2 available; not installed on cluster-2",
    summary: { targets: 2, healthy: 0, degraded: 0, failed: 1, unknown: 0, notInstalled: 1 },
    conditions: ["False", "True", "False", "True"],
  },
  {
    name: "many without the tool: five named, the rest counted",
    clusters: [healthy("a"), ...["b", "c", "d", "e", "f", "g", "h"].map(absent)],
    phase: "Running",
    reason: "AllHealthy",
    message: "a: 4/4 required components healthy; not installed on b, c, d, e, f (+2 more)",
    summary: { targets: 8, healthy: 1, degraded: 0, failed: 0, unknown: 0, notInstalled: 7 },
    conditions: ["True", "False", "False", "False"],
  },
];

for (const c of cases) {
  Deno.test(`rollUp: ${c.name}`, () => {
    const s = rollUp({ generation: 3, enabled: c.enabled ?? true, clusters: c.clusters, now: T0 });
    assertEquals(
      {
        phase: s.phase,
        message: s.message,
        summary: s.summary,
        healthy: s.healthy,
        observedGeneration: s.observedGeneration,
      },
      {
        phase: c.phase,
        message: c.message,
        summary: c.summary,
        healthy: `${c.summary.healthy}/${(c.summary.targets ?? 0) - (c.summary.notInstalled ?? 0)}`,
        observedGeneration: 3,
      },
    );
    assertEquals(
      s.conditions,
      ["Ready", "Degraded", "Reconciling", "Stalled"].map((type, i) => ({
        type,
        status: c.conditions[i] as "True" | "False" | "Unknown",
        observedGeneration: 3,
        lastTransitionTime: T0,
        reason: c.reason,
        message: c.message,
      })),
    );
  });
}

Deno.test("rollUp: clusters sorted by name, verdicts kept as given", () => {
  const clusters = [healthy("c"), failed("a"), unreachable("b")];
  const s = rollUp({ generation: 1, enabled: true, clusters, now: T0 });
  assertEquals(s.clusters?.map((c) => c.name), ["a", "b", "c"]);
  assertEquals(s.clusters?.[0], clusters[1]);
});

Deno.test("rollUp: deterministic — same inputs in any order give deep-equal status", () => {
  const clusters = [
    healthy("cluster-1"),
    failed("cluster-2"),
    unreachable("cluster-3"),
    degraded("cluster-4"),
  ];
  const a = rollUp({ generation: 2, enabled: true, clusters, now: T0 });
  const b = rollUp({ generation: 2, enabled: true, clusters: [...clusters].reverse(), now: T0 });
  assertEquals(a, b);
});

Deno.test("rollUp: an unchanged verdict at a later time is deep-equal to the previous status", () => {
  const clusters = [healthy("cluster-1"), failed("cluster-2")];
  const first = rollUp({ generation: 2, enabled: true, clusters, now: T0 });
  const again = rollUp({ generation: 2, enabled: true, clusters, previous: first, now: T2 });
  assertEquals(again, first);
});

Deno.test("rollUp: lastTransitionTime moves only for conditions whose status changed", () => {
  const running = rollUp({ generation: 1, enabled: true, clusters: [healthy("c1")], now: T0 });
  const degradedNow = rollUp({
    generation: 1,
    enabled: true,
    clusters: [degraded("c1")],
    previous: running,
    now: T1,
  });
  const times = (s: IntegrationStatus) =>
    Object.fromEntries((s.conditions ?? []).map((c) => [c.type, c.lastTransitionTime]));
  // Ready True→False and Degraded False→True move; Reconciling and Stalled stay False.
  assertEquals(times(degradedNow), { Ready: T1, Degraded: T1, Reconciling: T0, Stalled: T0 });
  // Degraded → Failed: Ready stays False, Degraded stays True (reason/message change only), Stalled moves.
  const failedNow = rollUp({
    generation: 2,
    enabled: true,
    clusters: [failed("c1")],
    previous: degradedNow,
    now: T2,
  });
  assertEquals(times(failedNow), { Ready: T1, Degraded: T1, Reconciling: T0, Stalled: T2 });
  const ready = failedNow.conditions?.find((c) => c.type === "Ready");
  assertEquals([ready?.reason, ready?.message, ready?.observedGeneration], [
    "ComponentsFailed",
    "c1: argocd-repo-server: 0/2 available",
    2,
  ]);
});

Deno.test("rollUp: Disabled after Running moves Ready only", () => {
  const running = rollUp({ generation: 1, enabled: true, clusters: [healthy("c1")], now: T0 });
  const disabled = rollUp({ generation: 2, enabled: false, clusters: [], previous: running, now: T1 });
  assertEquals(disabled.clusters, []);
  assertEquals(disabled.conditions?.map((c) => [c.type, c.status, c.lastTransitionTime]), [
    ["Ready", "False", T1],
    ["Degraded", "False", T0],
    ["Reconciling", "False", T0],
    ["Stalled", "False", T0],
  ]);
});

Deno.test("rollUp: components only where something is wrong; a Running cluster keeps name, phase, reason, message", () => {
  const s = rollUp({
    generation: 1,
    enabled: true,
    clusters: [healthy("ok"), degraded("meh"), failed("bad")],
    now: T0,
  });
  const byName = new Map(s.clusters?.map((c) => [c.name, c]));
  const ok = healthy("ok");
  assertEquals(byName.get("ok"), { name: "ok", phase: "Running", reason: ok.reason, message: ok.message });
  assertEquals(byName.get("meh")?.components?.length, degraded("meh").components?.length);
  assertEquals(byName.get("bad"), failed("bad"));
});

Deno.test("rollUp: a fleet of failures lists components for the worst MAX_DETAILED_CLUSTERS clusters only", () => {
  const clusters = [
    ...Array.from(
      { length: MAX_DETAILED_CLUSTERS + 20 },
      (_, i) => degraded(`d-${String(i).padStart(3, "0")}`),
    ),
    ...Array.from({ length: 10 }, (_, i) => failed(`f-${i}`)),
  ];
  const s = rollUp({ generation: 1, enabled: true, clusters, now: T0 });
  const detailed = s.clusters?.filter((c) => c.components) ?? [];
  assertEquals(detailed.length, MAX_DETAILED_CLUSTERS);
  // the Failed ones come first, then Degraded by name
  assertEquals(detailed.filter((c) => c.phase === "Failed").length, 10);
  assertEquals(s.clusters?.length, clusters.length);
  assertEquals(s.summary?.degraded, MAX_DETAILED_CLUSTERS + 20);
  for (const c of s.clusters ?? []) {
    assertEquals(
      c.message?.startsWith(c.phase === "Failed" ? "argocd-repo-server" : "argocd-dex-server"),
      true,
    );
  }
});

Deno.test("boundStatus: a status over budget lists the worst clusters first and counts the rest", () => {
  const clusters: ClusterStatus[] = [];
  for (let i = 0; i < 5000; i++) {
    clusters.push({
      name: `cluster-${String(i).padStart(4, "0")}-${"x".repeat(200)}`,
      phase: i === 4321 ? "Failed" : "Unknown",
      reason: "TargetNotFound",
      message: `no IntegrationTarget with clusterName or name cluster-${i} in namespace ns`,
    });
  }
  const status = rollUp({ generation: 1, enabled: true, clusters, now: "2026-01-01T00:00:00Z" });
  const bounded = boundStatus(status, 64 * 1024);
  const size = new TextEncoder().encode(JSON.stringify(bounded)).length;
  assert(size <= 64 * 1024, `${size} bytes`);
  assertEquals(bounded.phase, "Failed");
  assertEquals(bounded.summary, status.summary, "the summary counts every cluster");
  assert(bounded.clusters!.some((c) => c.phase === "Failed"), "the worst cluster is listed");
  assertEquals(bounded.clusters!.length + bounded.clustersOmitted!, 5000);
  assert(bounded.clustersOmitted! > 4000);
  // listed in name order, like an unbounded status
  const names = bounded.clusters!.map((c) => c.name);
  assertEquals(names, [...names].sort());
  // under budget: unchanged
  assertEquals(boundStatus(status, 100 * 1024 * 1024), status);
});
