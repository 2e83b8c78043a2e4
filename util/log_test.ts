import { assertEquals } from "../tests/support/assert.ts";
import { jsonLogger } from "./log.ts";

Deno.test("jsonLogger: JSON lines with level filtering, fields, errors as messages", () => {
  const lines: string[] = [];
  const log = jsonLogger("info", (l) => lines.push(l)).with({ component: "c" });
  log.debug("hidden");
  log.info("hello", { n: 1, err: new Error("boom") });
  assertEquals(lines.length, 1);
  const rec = JSON.parse(lines[0]!);
  assertEquals([rec.level, rec.msg, rec.component, rec.n, rec.err], ["info", "hello", "c", 1, "boom"]);
});

Deno.test("jsonLogger: a failing writer never throws", () => {
  const log = jsonLogger("info", () => {
    throw new Error("EPIPE");
  });
  log.error("still fine");
});
