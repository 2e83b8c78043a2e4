import type { Condition } from "../api/types.ts";
import { assertEquals } from "../tests/support/assert.ts";
import { type DesiredCondition, mergeConditions } from "./conditions.ts";

const T0 = "2024-09-01T10:00:00Z";
const T1 = "2024-09-01T10:05:00Z";

const ready = (
  status: Condition["status"],
  reason: string,
  message: string,
  observedGeneration = 1,
): DesiredCondition => ({
  type: "Ready",
  status,
  observedGeneration,
  reason,
  message,
});

const cases: {
  name: string;
  previous?: Condition[];
  desired: DesiredCondition[];
  expected: Condition[];
}[] = [
  {
    name: "no previous status: every condition transitions now",
    desired: [ready("True", "AllHealthy", "all 2 clusters healthy")],
    expected: [{ ...ready("True", "AllHealthy", "all 2 clusters healthy"), lastTransitionTime: T1 }],
  },
  {
    name: "same status: lastTransitionTime kept",
    previous: [{ ...ready("True", "AllHealthy", "ok"), lastTransitionTime: T0 }],
    desired: [ready("True", "AllHealthy", "ok")],
    expected: [{ ...ready("True", "AllHealthy", "ok"), lastTransitionTime: T0 }],
  },
  {
    name: "same status, new reason, message and generation: those update, the time does not",
    previous: [{ ...ready("False", "ComponentsDegraded", "c1: a: 1/2 available"), lastTransitionTime: T0 }],
    desired: [ready("False", "ComponentsFailed", "c1: a: 0/2 available", 2)],
    expected: [{ ...ready("False", "ComponentsFailed", "c1: a: 0/2 available", 2), lastTransitionTime: T0 }],
  },
  {
    name: "status changed: lastTransitionTime moves",
    previous: [{ ...ready("True", "AllHealthy", "ok"), lastTransitionTime: T0 }],
    desired: [ready("False", "ComponentsFailed", "c1: a: 0/2 available")],
    expected: [{ ...ready("False", "ComponentsFailed", "c1: a: 0/2 available"), lastTransitionTime: T1 }],
  },
  {
    name: "Unknown to False is a change",
    previous: [{ ...ready("Unknown", "ClustersUnreachable", "c1: refused"), lastTransitionTime: T0 }],
    desired: [ready("False", "ComponentsFailed", "x")],
    expected: [{ ...ready("False", "ComponentsFailed", "x"), lastTransitionTime: T1 }],
  },
  {
    name: "each type on its own; desired order kept; unknown previous types dropped",
    previous: [
      { type: "Stalled", status: "False", reason: "AllHealthy", message: "", lastTransitionTime: T0 },
      { type: "Legacy", status: "True", reason: "Old", message: "", lastTransitionTime: T0 },
      { type: "Ready", status: "True", reason: "AllHealthy", message: "", lastTransitionTime: T0 },
    ],
    desired: [
      { type: "Ready", status: "False", reason: "ComponentsFailed", message: "m" },
      { type: "Stalled", status: "False", reason: "ComponentsFailed", message: "m" },
    ],
    expected: [
      { type: "Ready", status: "False", reason: "ComponentsFailed", message: "m", lastTransitionTime: T1 },
      { type: "Stalled", status: "False", reason: "ComponentsFailed", message: "m", lastTransitionTime: T0 },
    ],
  },
];

for (const c of cases) {
  Deno.test(`mergeConditions: ${c.name}`, () => {
    assertEquals(mergeConditions(c.previous, c.desired, T1), c.expected);
  });
}

Deno.test("mergeConditions: does not modify its inputs", () => {
  const previous: Condition[] = [{ ...ready("True", "AllHealthy", "ok"), lastTransitionTime: T0 }];
  const desired = [ready("False", "ComponentsFailed", "x")];
  const before = structuredClone([previous, desired]);
  mergeConditions(previous, desired, T1);
  assertEquals([previous, desired], before);
});
