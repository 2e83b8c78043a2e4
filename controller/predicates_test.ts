import { assertEquals } from "../tests/support/assert.ts";
import { SpecOrLabelsChanged } from "./predicates.ts";

const obj = (generation: number, labels?: Record<string, string>, status?: unknown) => ({
  metadata: { namespace: "ns", name: "a", generation, labels },
  status,
});

Deno.test("predicate: a status-only update (our own write) is not worth a reconcile; spec and labels are", () => {
  const p = new SpecOrLabelsChanged();
  assertEquals(p.worth("add", obj(1)), true);
  assertEquals(p.worth("update", obj(1, undefined, { phase: "Running" })), false, "status only");
  assertEquals(p.worth("update", obj(2)), true, "spec changed");
  assertEquals(p.worth("update", obj(2, { env: "prod" })), true, "labels changed");
  assertEquals(p.worth("update", obj(2, { env: "prod" }, { phase: "Failed" })), false);
  assertEquals(p.worth("delete", obj(2, { env: "prod" })), true);
  // after a delete the object starts afresh
  assertEquals(p.worth("update", obj(2, { env: "prod" })), true);
});
