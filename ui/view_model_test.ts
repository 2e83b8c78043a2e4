import { assert, assertEquals } from "../tests/support/assert.ts";
import { integration, syntheticFleet, target } from "../tests/support/fleet_fixtures.ts";
import type { SourceInfo } from "./view_model.ts";
import { buildView, clusterDetail, integrationDetail, recentEvents } from "./view_model.ts";

const source: SourceInfo = { kind: "serve", namespace: "ns", connected: true, synced: true };
const now = "2026-01-01T00:00:00.000Z";

Deno.test("view: rows are clusters, columns Integrations; cells by phase; totals; filter values", () => {
  const v = buildView({
    integrations: [
      integration("ns", "argo", "argocd", [
        { name: "c1", phase: "Running" },
        {
          name: "c2",
          phase: "Failed",
          reason: "ComponentUnhealthy",
          message: "c2: argocd-server: 0/1 available",
        },
      ]),
      integration("ns", "flux", "flux", [{ name: "c1", phase: "Degraded" }]),
    ],
    targets: [
      target("ns", "c1", { labels: { env: "prod" } }),
      target("ns", "c2", { labels: { env: "dev" } }),
      target("ns", "c3", { ready: "False", reason: "ClusterUnreachable", message: "connection refused" }),
    ],
    source,
    version: 7,
    now,
  });
  assertEquals(v.integrations.map((i) => [i.id, i.phase]), [["ns/argo", "Failed"], ["ns/flux", "Degraded"]]);
  assertEquals(v.clusters.map((c) => c.id), ["ns/c1", "ns/c2", "ns/c3"]);
  assertEquals(v.clusters[0]!.cells.map((c) => c?.phase ?? null), ["Running", "Degraded"]);
  assertEquals(v.clusters[1]!.cells[0], {
    phase: "Failed",
    reason: "ComponentUnhealthy",
    message: "c2: argocd-server: 0/1 available",
  });
  assertEquals(v.clusters[1]!.cells[1], null);
  assertEquals(v.clusters.map((c) => c.worst), ["Degraded", "Failed", "Unknown"]);
  assertEquals(v.totals.cellPhases, { Running: 1, Failed: 1, Degraded: 1 });
  assertEquals(v.totals.integrationPhases, { Failed: 1, Degraded: 1 });
  assertEquals(v.totals.unreachable, 1);
  assertEquals(v.filters.labels, { env: ["dev", "prod"] });
  assertEquals(v.version, 7);
});

Deno.test("view: targeted but not judged ⇒ Pending cells; unknown names become rows; object-name refs resolve", () => {
  const pending = integration("ns", "new", "istio", [], "Pending");
  pending.status = undefined;
  pending.spec.targetClusters = ["obj-name", "nowhere"];
  const t = target("ns", "real-cluster");
  t.metadata.name = "obj-name";
  const v = buildView({ integrations: [pending], targets: [t], source, version: 1, now });
  assertEquals(v.clusters.map((c) => [c.id, c.cells[0]?.phase, c.ready]), [
    ["ns/nowhere", "Pending", ""],
    ["ns/real-cluster", "Pending", "True"],
  ]);
});

Deno.test("view: no Secret, kubeconfig or annotation reaches the view; long strings are bounded", () => {
  const i = integration("ns", "argo", "argocd", [{
    name: "c1",
    phase: "Failed",
    message: "x".repeat(100_000),
  }]);
  i.metadata.annotations = { "kubectl.kubernetes.io/last-applied-configuration": "token: SECRET-ANNOTATION" };
  const t = target("ns", "c1");
  t.spec.kubeconfigSecretRef = { name: "c1-kubeconfig", key: "kubeconfig" };
  t.metadata.annotations = { note: "SECRET-ANNOTATION" };
  const v = buildView({ integrations: [i], targets: [t], source, version: 1, now });
  const json = JSON.stringify(v);
  assert(!json.includes("SECRET-ANNOTATION"));
  assert(!json.includes("c1-kubeconfig"));
  assert(json.length < 10_000, `view of one cell is ${json.length} bytes`);
});

Deno.test("view: 1,000 clusters × 4 tools builds quickly and stays compact", () => {
  const { integrations, targets } = syntheticFleet(1000);
  const t0 = performance.now();
  const v = buildView({ integrations, targets, source, version: 1, now });
  const ms = performance.now() - t0;
  const bytes = JSON.stringify(v).length;
  console.log(
    `view model, 1,000 clusters × 4 tools: built in ${ms.toFixed(1)} ms, ${Math.round(bytes / 1024)} KiB`,
  );
  assertEquals(v.clusters.length, 1000);
  assertEquals(
    v.totals.cellPhases.Failed! + v.totals.cellPhases.Degraded! + v.totals.cellPhases.Running!,
    4000,
  );
});

Deno.test("cluster detail: every tool on the cluster with components, full verdicts preferred", () => {
  const argo = integration("ns", "argo", "argocd", [{ name: "c1", phase: "Running", message: "healthy" }]);
  const flux = integration("ns", "flux", "flux", [{
    name: "c1",
    phase: "Failed",
    components: [{ name: "source-controller", kind: "Deployment", required: true, status: "Missing" }],
  }]);
  const v = buildView({ integrations: [argo, flux], targets: [target("ns", "c1")], source, version: 1, now });
  const full = [{
    name: "c1",
    phase: "Running" as const,
    components: [{
      name: "argocd-server",
      kind: "Deployment" as const,
      status: "Healthy" as const,
      ready: "2/2",
    }],
  }];
  const d = clusterDetail(v, [argo, flux], "ns/c1", (id) => (id === "ns/argo" ? full : undefined))!;
  assertEquals(d.tools.map((t) => [t.integration, t.phase, t.complete, t.components.map((c) => c.name)]), [
    ["ns/flux", "Failed", false, ["source-controller"]],
    ["ns/argo", "Running", true, ["argocd-server"]],
  ]);
  assertEquals(clusterDetail(v, [argo], "ns/none"), undefined);
});

Deno.test("integration detail and events: newest first, bounded", () => {
  const i = integration("ns", "argo", "argocd", [{ name: "c2", phase: "Running" }, {
    name: "c1",
    phase: "Failed",
  }]);
  const events = recentEvents(
    Array.from({ length: 30 }, (_, k) => ({
      type: "Warning",
      reason: "Failed",
      message: `m${k}`,
      lastTimestamp: new Date(Date.UTC(2026, 0, 1, 0, k)).toISOString(),
    })),
  );
  assertEquals(events.length, 20);
  assertEquals(events[0]!.message, "m29");
  const d = integrationDetail(i, [{ at: now, to: "Failed", message: "x" }], events);
  assertEquals(d.clusters.map((c) => c.name), ["c1", "c2"]);
  assertEquals(d.conditions[0]!.type, "Ready");
  assertEquals(d.timeline.length, 1);
});
