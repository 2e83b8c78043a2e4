import { assertEquals, assertMatch } from "../tests/support/assert.ts";
import { type EventAction, EventCorrelator } from "./events.ts";

const obj = (name: string) => ({
  apiVersion: "ksit.io/v1alpha1",
  kind: "Integration",
  metadata: { name, namespace: "ns", uid: `uid-${name}` },
});

function run(c: EventCorrelator, a: EventAction, name: string): EventAction {
  if (a.kind === "create") c.created(a.key, name, "2026-01-01T00:00:00Z");
  return a;
}

Deno.test("events: an identical event within the window updates the Event's count (a series)", () => {
  let now = 0;
  const c = new EventCorrelator({ now: () => now });
  const first = run(c, c.decide(obj("a"), "Warning", "Failed", "x: 0/2 available"), "a.1");
  assertEquals(first.kind, "create");
  now += 1000;
  const again = c.decide(obj("a"), "Warning", "Failed", "x: 0/2 available");
  assertEquals(again.kind === "update" && [again.name, again.count], ["a.1", 2]);
  // a flapping Integration: two messages, two series, counts instead of new Events
  const kinds: string[] = [];
  for (let i = 0; i < 48; i++) {
    now += 180;
    const a = i % 2
      ? c.decide(obj("a"), "Warning", "Failed", "x: 0/2 available")
      : c.decide(obj("a"), "Normal", "Recovered", "all healthy");
    kinds.push(run(c, a, `a.${i + 2}`).kind);
  }
  // 25 tokens per object: 2 used above, then 23 more, then dropped
  assertEquals(kinds.filter((k) => k === "create").length, 1, "one new Event for the recoveries");
  assertEquals(kinds.filter((k) => k === "update").length, 22);
  assertEquals(kinds.filter((k) => k === "drop").length, 25, "over the per-object budget");
  // another object has its own budget
  assertEquals(c.decide(obj("b"), "Warning", "Failed", "x").kind, "create");
});

Deno.test("events: after the window an identical event is a new Event; the budget refills", () => {
  let now = 0;
  const c = new EventCorrelator({ now: () => now }, {
    seriesWindowMs: 10_000,
    maxSimilar: 10,
    burst: 2,
    refillMs: 5_000,
  });
  run(c, c.decide(obj("a"), "Warning", "Failed", "m"), "a.1");
  assertEquals(c.decide(obj("a"), "Warning", "Failed", "m").kind, "update");
  assertEquals(c.decide(obj("a"), "Warning", "Failed", "m").kind, "drop");
  now += 5_000;
  assertEquals(c.decide(obj("a"), "Warning", "Failed", "m").kind, "update", "one token back");
  now += 20_000;
  assertEquals(c.decide(obj("a"), "Warning", "Failed", "m").kind, "create", "the series ended");
});

Deno.test("events: more than 10 different messages for one reason are combined into one Event", () => {
  const now = 0;
  const c = new EventCorrelator({ now: () => now });
  const created: string[] = [];
  for (let i = 0; i < 14; i++) {
    const a = run(c, c.decide(obj("a"), "Warning", "Degraded", `cluster-${i}: 1/2 available`), `a.${i}`);
    if (a.kind === "create") created.push(a.message);
  }
  assertEquals(created.length, 11);
  assertMatch(created[10]!, /^\(combined from similar events\): cluster-10/);
  const next = c.decide(obj("a"), "Warning", "Degraded", "cluster-99: 0/2 available");
  assertEquals(next.kind === "update" && next.count, 5);
});
