/**
 * The project's own lint rule (scripts/lint/long_functions.ts, loaded by deno.json): a function over 60 lines in
 * controller/ or cli/ must say why in its doc comment.
 */
import { assertEquals, assertStringIncludes } from "./support/assert.ts";
import plugin from "../scripts/lint/long_functions.ts";

/** A function `name` with `n` lines in all (signature and closing brace included). */
function fn(name: string, n: number, doc = ""): string {
  const body = Array.from({ length: n - 2 }, (_, i) => `  const v${i} = ${i};`).join("\n");
  return `${doc}export function ${name}(): void {\n${body}\n}\n`;
}

const run = (file: string, source: string) => Deno.lint.runPlugin(plugin, file, source);

Deno.test("lint: a function over 60 lines in controller/ or cli/ without a reason is reported", () => {
  const found = run("/repo/controller/x.ts", fn("long", 61));
  assertEquals(found.length, 1);
  assertStringIncludes(found[0]!.message, "61 lines");
  assertEquals(run("/repo/cli/x.ts", fn("long", 61)).length, 1);
  // methods and arrow functions too
  const method = `class A {\n  m(): void {\n${"    let a = 1;\n".repeat(60)}  }\n}\n`;
  assertEquals(run("/repo/controller/a.ts", method).length, 1);
  const arrow = `export const f = () => {\n${"  let a = 1;\n".repeat(60)}};\n`;
  assertEquals(run("/repo/cli/f.ts", arrow).length, 1);
});

Deno.test("lint: 60 lines, a reason in the doc comment, tests and other folders are fine", () => {
  assertEquals(run("/repo/controller/x.ts", fn("short", 60)).length, 0);
  const why = "/**\n * Does it all. Over 60 lines because its steps share one closure.\n */\n";
  assertEquals(run("/repo/controller/x.ts", fn("long", 90, why)).length, 0);
  const method = `class A {\n  /** Over 60 lines because of a reason. */\n  m(): void {\n${
    "    let a = 1;\n".repeat(60)
  }  }\n}\n`;
  assertEquals(run("/repo/controller/a.ts", method).length, 0);
  // a reason on another function does not count
  const elsewhere = fn("other", 5, "/** Over 60 lines because no. */\n") + fn("long", 70);
  assertEquals(run("/repo/controller/x.ts", elsewhere).length, 1);
  assertEquals(run("/repo/controller/x_test.ts", fn("long", 90)).length, 0);
  assertEquals(run("/repo/checks/x.ts", fn("long", 90)).length, 0);
});
