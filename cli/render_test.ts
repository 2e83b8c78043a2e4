import { assert, assertEquals } from "../tests/support/assert.ts";
import { age, humanDuration, paint, sortByKey, table, truncate, visibleLength } from "./render.ts";
import { parseDuration } from "../api/duration.ts";
import { colorEnabled } from "./io.ts";

Deno.test("humanDuration matches kubectl's AGE column", () => {
  const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h;
  const cases: [number, string][] = [
    [-5 * s, "<invalid>"],
    [0, "0s"],
    [90 * s, "90s"],
    [119 * s, "119s"],
    [2 * m, "2m"],
    [5 * m + 30 * s, "5m30s"],
    [45 * m, "45m"],
    [3 * h, "3h"],
    [3 * h + 20 * m, "3h20m"],
    [30 * h, "30h"],
    [3 * d + 4 * h, "3d4h"],
    [10 * d, "10d"],
    [400 * d, "400d"],
    [800 * d, "2y70d"],
    [9 * 365 * d, "9y"],
  ];
  for (const [ms, want] of cases) assertEquals(humanDuration(ms), want, `${ms} ms`);
  assertEquals(age("2026-01-01T00:00:00Z", new Date("2026-01-01T00:10:00Z")), "10m");
  assertEquals(age(undefined, new Date()), "<unknown>");
});

Deno.test("table: kubectl layout, colour after padding, no trailing blanks", () => {
  const plain = table(["NAME", "PHASE", "MESSAGE"], [["a", { text: "Failed", color: "red" }, ""], [
    "bb",
    "Running",
    "ok",
  ]], false);
  assertEquals(plain, "NAME   PHASE     MESSAGE\na      Failed\nbb     Running   ok\n");
  const colored = table(["NAME", "PHASE"], [["a", { text: "Failed", color: "red" }]], true);
  assertEquals(colored, "NAME   PHASE\na      \x1b[31mFailed\x1b[39m\n");
  assertEquals(visibleLength(paint("abc", "green", true)), 3);
  assertEquals(paint("abc", "green", false), "abc");
  assertEquals(truncate("abcdef", 4), "abc…");
});

Deno.test("colour only on a terminal, never with NO_COLOR or TERM=dumb", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  assert(colorEnabled(true, env({})));
  assert(!colorEnabled(false, env({})));
  assert(!colorEnabled(true, env({ NO_COLOR: "1" })));
  assert(!colorEnabled(true, env({ TERM: "dumb" })));
});

Deno.test("Go durations for flags", () => {
  assertEquals(parseDuration("10s"), 10_000);
  assertEquals(parseDuration("1m30s"), 90_000);
  assertEquals(parseDuration("8760h"), 8760 * 3_600_000);
  assertEquals(parseDuration("250ms"), 250);
  assertEquals(parseDuration("1.5h"), 5_400_000);
  assertEquals(parseDuration("0"), 0);
  assertEquals(parseDuration("10"), undefined);
  assertEquals(parseDuration("10x"), undefined);
  assertEquals(parseDuration(""), undefined);
});

Deno.test("sortByKey: the order of localeCompare, with or without the collator", () => {
  // random Kubernetes-like keys, and keys the collator orders differently from code points
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = "abcxyz019-./";
  const keys = Array.from(
    { length: 400 },
    () =>
      Array.from({ length: 1 + Math.floor(next() * 6) }, () => alphabet[Math.floor(next() * 12)]).join(""),
  );
  const byCollator = (list: string[]) => [...list].sort((a, b) => a.localeCompare(b));
  assertEquals(sortByKey(keys, (k) => k), byCollator(keys), navigator.language);
  const mixed = [...keys.slice(0, 20), "B", "a_b", "Ä", "ns/Name"];
  assertEquals(sortByKey(mixed, (k) => k), byCollator(mixed));
});
