import { assertEquals } from "../tests/support/assert.ts";
import type { Integration, IntegrationTarget, TargetResult } from "../api/types.ts";
import { verdictOn } from "./integration_reconciler.ts";

const integration = (uid: string | undefined, generation: number) =>
  ({
    apiVersion: "ksit.io/v1alpha1",
    kind: "Integration",
    metadata: { name: "argocd", namespace: "n", generation, ...(uid ? { uid } : {}) },
    spec: { type: "argocd" },
  }) as Integration;

const target = (results: TargetResult[]) =>
  ({
    apiVersion: "ksit.io/v1alpha1",
    kind: "IntegrationTarget",
    metadata: { name: "t", namespace: "n", generation: 1 },
    spec: { clusterName: "c1" },
    status: { judgedBy: "r-a", results },
  }) as IntegrationTarget;

const running = (extra: Partial<TargetResult>): TargetResult => ({
  integration: "argocd",
  observedGeneration: 1,
  phase: "Running",
  reason: "AllHealthy",
  message: "all healthy",
  ...extra,
});

Deno.test("verdictOn: a target's result counts for the Integration of its name, generation and uid", () => {
  const now = integration("uid-new", 1);
  // judged for this Integration
  assertEquals(verdictOn(target([running({ integrationUID: "uid-new" })]), now, "c1", 1)?.phase, "Running");
  // judged for a deleted Integration of the same name and generation: not taken, waited for
  assertEquals(verdictOn(target([running({ integrationUID: "uid-old" })]), now, "c1", 1), undefined);
  // another generation
  assertEquals(
    verdictOn(target([running({ integrationUID: "uid-new", observedGeneration: 2 })]), now, "c1", 1),
    undefined,
  );
  // written before results carried the uid (or an Integration read without one): generation alone
  assertEquals(verdictOn(target([running({})]), now, "c1", 1)?.phase, "Running");
  assertEquals(
    verdictOn(target([running({ integrationUID: "uid-old" })]), integration(undefined, 1), "c1", 1)?.phase,
    "Running",
  );
  // the uid is not part of the verdict
  assertEquals(
    verdictOn(target([running({ integrationUID: "uid-new" })]), now, "c1", 1),
    { name: "c1", phase: "Running", reason: "AllHealthy", message: "all healthy" },
  );
});
