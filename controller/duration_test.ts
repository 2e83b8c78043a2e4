import { assertEquals } from "../tests/support/assert.ts";
import { parseDuration } from "../api/duration.ts";
import { intervalMs } from "./duration.ts";

Deno.test("parseDuration: Go duration strings", () => {
  assertEquals(parseDuration("30s"), 30_000);
  assertEquals(parseDuration("1m30s"), 90_000);
  assertEquals(parseDuration("1h"), 3_600_000);
  assertEquals(parseDuration("1.5s"), 1500);
  assertEquals(parseDuration("250ms"), 250);
  assertEquals(parseDuration("2h45m"), 9_900_000);
  assertEquals(parseDuration("0"), 0);
  assertEquals(parseDuration(""), undefined);
  assertEquals(parseDuration("30"), undefined);
  assertEquals(parseDuration("3x"), undefined);
  assertEquals(parseDuration("1m 30s"), undefined);
});

Deno.test("intervalMs: default 30s, minimum 5s", () => {
  assertEquals(intervalMs(undefined), 30_000);
  assertEquals(intervalMs("bogus"), 30_000);
  assertEquals(intervalMs("1s"), 5_000);
  assertEquals(intervalMs("10s"), 10_000);
});
