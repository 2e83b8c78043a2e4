import { assert, assertEquals } from "../tests/support/assert.ts";
import { eventually } from "../tests/support/poll.ts";
import { runWorkers, WorkQueue } from "./workqueue.ts";
import { backoffDelay } from "../util/backoff.ts";

Deno.test("workqueue: de-duplicates waiting keys", async () => {
  const q = new WorkQueue();
  q.add("a");
  q.add("b");
  q.add("a");
  assertEquals(q.length, 2);
  assertEquals(await q.get(), "a");
  assertEquals(await q.get(), "b");
  q.shutdown();
  assertEquals(await q.get(), undefined);
});

Deno.test("workqueue: a key being processed is not handed out again until done; then requeued once", async () => {
  const q = new WorkQueue();
  q.add("a");
  const k = await q.get();
  assertEquals(k, "a");
  q.add("a");
  q.add("a");
  assertEquals(q.length, 0, "not queued while processing");
  q.done("a");
  assertEquals(q.length, 1, "queued again once after done");
  assertEquals(await q.get(), "a");
  q.done("a");
  assertEquals(q.length, 0);
  q.shutdown();
});

Deno.test("workqueue: get waits for an add", async () => {
  const q = new WorkQueue();
  const p = q.get();
  q.add("x");
  assertEquals(await p, "x");
  q.shutdown();
});

Deno.test("workqueue: addAfter keeps the earliest schedule; add cancels it", async () => {
  const q = new WorkQueue();
  q.addAfter("a", 60_000);
  q.addAfter("a", 20);
  q.addAfter("a", 50_000);
  assertEquals(q.pendingDelayed, 1);
  await eventually(() => q.length === 1, { timeoutMs: 2000, what: "delayed add" });
  assertEquals(await q.get(), "a");
  q.done("a");
  q.addAfter("b", 60_000);
  q.add("b");
  assertEquals(q.pendingDelayed, 0);
  assertEquals(q.length, 1);
  q.shutdown();
});

Deno.test("backoff: exponential, capped, jittered", () => {
  const fixed = { baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.5, random: () => 0.5 };
  assertEquals(backoffDelay(0, fixed), 100);
  assertEquals(backoffDelay(1, fixed), 200);
  assertEquals(backoffDelay(3, fixed), 800);
  assertEquals(backoffDelay(10, fixed), 1000);
  const lo = backoffDelay(2, { ...fixed, random: () => 0 });
  const hi = backoffDelay(2, { ...fixed, random: () => 1 });
  assertEquals([lo, hi], [200, 600]);
});

Deno.test("workqueue: rate-limited retries grow; forget resets", () => {
  const q = new WorkQueue({ baseDelayMs: 10, jitter: 0 });
  assertEquals(q.addRateLimited("a"), 10);
  assertEquals(q.addRateLimited("a"), 20);
  assertEquals(q.addRateLimited("a"), 40);
  assertEquals(q.retries("a"), 3);
  q.forget("a");
  assertEquals(q.addRateLimited("a"), 10);
  q.shutdown();
});

Deno.test("runWorkers: never two concurrent runs of one key; errors retried with backoff", async () => {
  const q = new WorkQueue({ baseDelayMs: 5, jitter: 0 });
  const running = new Set<string>();
  let overlap = false;
  let runs = 0;
  let failOnce = true;
  const done = runWorkers(q, 4, async (key) => {
    if (running.has(key)) overlap = true;
    running.add(key);
    runs++;
    await new Promise((r) => setTimeout(r, 5));
    running.delete(key);
    if (key === "boom" && failOnce) {
      failOnce = false;
      throw new Error("boom");
    }
    return undefined;
  }, () => {});
  for (let i = 0; i < 20; i++) {
    q.add("same");
    await new Promise((r) => setTimeout(r, 1));
  }
  q.add("boom");
  await eventually(() => !failOnce && q.length === 0 && !q.isProcessing("boom") && q.pendingDelayed === 0, {
    timeoutMs: 3000,
    what: "retry of boom",
  });
  q.shutdown();
  await done;
  assert(!overlap, "a key ran twice at once");
  assert(runs >= 3, `runs=${runs}`);
});
