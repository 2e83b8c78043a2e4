import { assertEquals } from "../tests/support/assert.ts";
import type { Integration, IntegrationTarget } from "../api/types.ts";
import { eventFor, selectTargets } from "./integrations.ts";

const target = (name: string, clusterName: string, labels: Record<string, string> = {}, specLabels = {}) =>
  ({
    apiVersion: "ksit.io/v1alpha1",
    kind: "IntegrationTarget",
    metadata: { name, namespace: "n", labels },
    spec: { clusterName, labels: specLabels },
  }) as IntegrationTarget;

const integ = (spec: Partial<Integration["spec"]>) =>
  ({
    apiVersion: "ksit.io/v1alpha1",
    kind: "Integration",
    metadata: { name: "i", namespace: "n" },
    spec: { type: "argocd", ...spec },
  }) as Integration;

Deno.test("selectTargets: by clusterName or object name; unresolved kept; selector over merged labels", () => {
  const ts = [
    target("t1", "cluster-1", { env: "prod" }),
    target("t2", "cluster-2", {}, { env: "prod" }),
    target("t3", "cluster-3", { env: "dev" }, { env: "prod" }),
  ];
  assertEquals(
    selectTargets(integ({ targetClusters: ["cluster-1", "t2", "nope"] }), ts).map((
      s,
    ) => [s.name, !!s.target]),
    [
      ["cluster-1", true],
      ["cluster-2", true],
      ["nope", false],
    ],
  );
  // metadata.labels win over spec.labels: t3 is dev
  assertEquals(
    selectTargets(integ({ targetSelector: { matchLabels: { env: "prod" } } }), ts).map((s) => s.name),
    ["cluster-1", "cluster-2"],
  );
  // union, each once
  assertEquals(
    selectTargets(
      integ({ targetClusters: ["cluster-1"], targetSelector: { matchLabels: { env: "prod" } } }),
      ts,
    ).map((
      s,
    ) => s.name),
    ["cluster-1", "cluster-2"],
  );
});

Deno.test("eventFor: only on transitions; Warning into bad phases, Normal on recovery", () => {
  assertEquals(eventFor("Running", "Running"), undefined);
  assertEquals(eventFor("Running", "Failed"), { type: "Warning", reason: "Failed" });
  assertEquals(eventFor("Failed", "Unknown"), { type: "Warning", reason: "Unknown" });
  assertEquals(eventFor("Failed", "Running"), { type: "Normal", reason: "Recovered" });
  assertEquals(eventFor(undefined, "Running"), undefined, "the first healthy judgement is not news");
  assertEquals(eventFor("Pending", "Running"), undefined);
  assertEquals(eventFor(undefined, "Failed"), { type: "Warning", reason: "Failed" });
  assertEquals(eventFor("Running", "Disabled"), undefined);
  assertEquals(eventFor("Running", "NotInstalled"), { type: "Normal", reason: "NotInstalled" });
  assertEquals(eventFor("NotInstalled", "NotInstalled"), undefined);
});
