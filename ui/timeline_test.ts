import { assertEquals } from "../tests/support/assert.ts";
import { Timeline } from "./timeline.ts";

Deno.test("timeline: records transitions only, bounded per Integration (ring), oldest first", () => {
  const t = new Timeline({ perIntegration: 3 });
  t.observe("a", "Pending", "t0");
  t.observe("a", "Pending", "t1");
  t.observe("a", "Running", "t2");
  assertEquals(t.get("a").map((x) => [x.at, x.from, x.to]), [["t0", undefined, "Pending"], [
    "t2",
    "Pending",
    "Running",
  ]]);
  for (let i = 0; i < 10; i++) t.observe("a", i % 2 ? "Running" : "Failed", `u${i}`);
  assertEquals(t.get("a").map((x) => x.at), ["u7", "u8", "u9"]);
  assertEquals([t.get("a")[2]!.from, t.get("a")[2]!.to], ["Failed", "Running"]);
});

Deno.test("timeline: bounded number of Integrations, least recently changed forgotten first; forget", () => {
  const t = new Timeline({ maxIntegrations: 2 });
  t.observe("a", "Running", "1");
  t.observe("b", "Running", "2");
  t.observe("a", "Failed", "3");
  t.observe("c", "Running", "4");
  assertEquals(t.ids().sort(), ["a", "c"]);
  t.forget("a");
  assertEquals(t.get("a"), []);
  assertEquals(t.size, 1);
});
