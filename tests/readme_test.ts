/**
 * README's commands without servers (tests/quickstart_test.ts replays them on the quickstart): each is in a
 * block marked `run-on-quickstart` or excused in `NOT_RUN` with its reason, and the marked blocks parse into
 * steps whose shown output the comparison understands.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { mismatches, NOT_RUN, shownCommands, tables, transcripts } from "./support/readme.ts";

const readme = Deno.readTextFileSync(new URL("../README.md", import.meta.url));

Deno.test("README: every command shown is replayed on the quickstart or excused with a reason", () => {
  const shown = shownCommands(readme);
  const unaccounted = shown.filter((c) => !c.replayed && !(c.command in NOT_RUN));
  assertEquals(
    unaccounted.map((c) => `README:${c.line}: ${c.command}`),
    [],
    "add them to a run-on-quickstart block or NOT_RUN",
  );
  const stale = Object.keys(NOT_RUN).filter((c) => !shown.some((s) => s.command === c));
  assertEquals(stale, [], "NOT_RUN entries README no longer shows");
});

Deno.test("README: the run-on-quickstart transcripts parse into steps with exit codes and checkable tables", () => {
  const ts = transcripts(readme);
  assert(ts.length >= 3, `${ts.length} transcripts`);
  const steps = ts.flatMap((t) => t.steps);
  assert(steps.every((s) => s.command.length > 0));
  // the documented exits: `status --exit-code` 3 while broken, `check --type` 3 for a tool not installed, 9
  assertEquals(steps.filter((s) => s.exit !== 0).map((s) => s.exit).sort(), [3, 3, 9]);
  const checked = steps.filter((s) => tables(s.output).length > 0);
  assert(checked.length >= 8, `${checked.length} steps with tables to compare`);
  for (const s of steps) assertEquals(mismatches(s.output, s.output), [], s.command);
});

Deno.test("README comparison: a different phase, healthy count, reason or message shape is a mismatch; ages and numbers are not", () => {
  const shown = [
    "NAME         TYPE         PHASE      HEALTHY   AGE   MESSAGE",
    "argocd       argocd       Degraded   1/2       8s    cluster-1: argocd-repo-server: rollout in progress, 1/2 replicas updated",
  ].join("\n");
  const same = shown.replace("8s ", "9m ").replace("1/2 replicas", "3/4 replicas");
  assertEquals(mismatches(shown, same), []);
  assertEquals(mismatches(shown, shown.replace("Degraded", "Running ")).length, 1);
  assertEquals(
    mismatches(shown, shown.replace("HEALTHY   AGE", "HEALTHY   AGE").replace("1/2       8s", "2/2       8s"))
      .length,
    1,
  );
  assertEquals(mismatches(shown, shown.replace("rollout in progress", "rollout stuck      ")).length, 1);
  assertEquals(mismatches(shown, ""), ["no table with columns NAME, TYPE, PHASE, HEALTHY, AGE, MESSAGE"]);
  const events =
    "LAST SEEN   TYPE      REASON     OBJECT               MESSAGE\n2s          Warning   Failed     integration/argocd   x";
  assertEquals(mismatches(events, events.replace("2s ", "5s ")), []);
  assertEquals(mismatches(events, events.replace("Failed", "Recov ")), ["no REASON Failed"]);
});
