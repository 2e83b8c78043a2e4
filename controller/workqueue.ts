/**
 * A de-duplicating work queue of string keys, in the manner of client-go's workqueue:
 * - a key waiting in the queue is there once, however often it is added;
 * - a key being processed is never handed out again until `done(key)`; adds meanwhile mark it dirty and it is
 *   queued again on `done`, so two reconciles of one key never run at once;
 * - `addAfter` schedules (the earliest schedule wins), `addRateLimited` schedules with per-key exponential
 *   backoff plus jitter, `forget` resets that backoff.
 */
import { backoffDelay, type BackoffOptions } from "../util/backoff.ts";

export class WorkQueue {
  private queue: string[] = [];
  private dirty = new Set<string>();
  private processing = new Set<string>();
  private failures = new Map<string, number>();
  private delayed = new Map<string, { at: number; timer: ReturnType<typeof setTimeout> }>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private closed = false;

  constructor(private readonly backoff: BackoffOptions = {}) {}

  /** Queues `key` now (no-op while it already waits; deferred while it is processed). */
  add(key: string): void {
    if (this.closed) return;
    const d = this.delayed.get(key);
    if (d) {
      clearTimeout(d.timer);
      this.delayed.delete(key);
    }
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Queues `key` after `ms`; an earlier pending schedule for the key is kept, a later one replaced. */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing) {
      if (existing.at <= at) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  /** Queues `key` after its backoff delay; each call without `forget` doubles the delay. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const ms = backoffDelay(n, this.backoff);
    this.addAfter(key, ms);
    return ms;
  }

  /** Resets the backoff of `key` (after a successful reconcile). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Number of failures recorded for `key` since the last `forget`. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Drops a pending schedule and backoff of a key whose object is gone. */
  drop(key: string): void {
    const d = this.delayed.get(key);
    if (d) clearTimeout(d.timer);
    this.delayed.delete(key);
    this.failures.delete(key);
  }

  /** The next key to process; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.closed) this.push(key);
  }

  get length(): number {
    return this.queue.length;
  }

  get pendingDelayed(): number {
    return this.delayed.size;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  shutdown(): void {
    this.closed = true;
    for (const d of this.delayed.values()) clearTimeout(d.timer);
    this.delayed.clear();
    this.queue = [];
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private take(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take(key));
    else this.queue.push(key);
  }
}

/**
 * Runs `concurrency` workers over the queue until it shuts down. `handle` returns a requeue delay
 * (ms) or undefined; a throw requeues with backoff.
 */
export async function runWorkers(
  queue: WorkQueue,
  concurrency: number,
  handle: (key: string) => Promise<number | undefined>,
  onError: (key: string, error: unknown, retryInMs: number) => void,
): Promise<void> {
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const after = await handle(key);
        queue.forget(key);
        if (after !== undefined) queue.addAfter(key, after);
      } catch (e) {
        const ms = queue.addRateLimited(key);
        onError(key, e, ms);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
