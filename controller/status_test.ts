import { assert, assertEquals } from "../tests/support/assert.ts";
import { canonicalJson, rfc3339, sameStatus } from "./status.ts";

Deno.test("sameStatus: key order and undefined do not matter; values and array order do", () => {
  assert(sameStatus({ a: 1, b: { c: [1, 2], d: undefined } }, { b: { c: [1, 2] }, a: 1 }));
  assert(!sameStatus({ a: 1 }, { a: 2 }));
  assert(!sameStatus({ c: [1, 2] }, { c: [2, 1] }));
  assert(sameStatus(undefined, {}));
  assertEquals(canonicalJson({ b: 1, a: 2 }), '{"a":2,"b":1}');
});

Deno.test("rfc3339: second precision", () => {
  assertEquals(rfc3339(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), "2026-01-02T03:04:05Z");
});
