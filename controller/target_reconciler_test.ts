import type { TargetResult } from "../api/types.ts";
import { assertEquals } from "../tests/support/assert.ts";
import { statusResults } from "./target_reconciler.ts";

const component = (name: string, status: "Healthy" | "Unhealthy") => ({
  name,
  kind: "Deployment",
  workload: name,
  required: true,
  status,
  reason: status === "Healthy" ? "Available" : "Unavailable",
  ready: status === "Healthy" ? "1/1" : "0/1",
  message: `${name}: ${status}`,
});

Deno.test("statusResults: a Running result loses its components, the others keep every one", () => {
  const running = {
    integration: "argocd",
    observedGeneration: 1,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: "2/2 required components healthy",
    components: [component("a", "Healthy"), component("b", "Healthy")],
  } as unknown as TargetResult;
  const failed = {
    integration: "flux",
    observedGeneration: 3,
    phase: "Failed",
    reason: "RequiredComponentUnhealthy",
    message: "b: Unhealthy",
    components: [component("a", "Healthy"), component("b", "Unhealthy")],
  } as unknown as TargetResult;
  const out = statusResults([running, failed]);
  assertEquals(out[0]!.components, undefined);
  assertEquals("components" in out[0]!, false);
  assertEquals(out[0]!.message, "2/2 required components healthy");
  assertEquals(out[1], failed);
});

Deno.test("statusResults: beyond the budget no result keeps components", () => {
  const many = Array.from({ length: 3000 }, (_, i) => component(`c-${i}-${"x".repeat(40)}`, "Unhealthy"));
  const failed = {
    integration: "istio",
    observedGeneration: 1,
    phase: "Failed",
    reason: "RequiredComponentUnhealthy",
    message: "many",
    components: many,
  } as unknown as TargetResult;
  const out = statusResults([failed]);
  assertEquals(out[0]!.components, undefined);
  assertEquals(out[0]!.phase, "Failed");
});
