/** Polling with a deadline: the way tests wait for a condition (never a bare sleep). */

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Shown in the error when the deadline passes. */
  what?: string;
}

/**
 * Calls `fn` until it returns a value that is not `undefined`/`false` (or stops throwing), and returns it.
 * On the deadline it throws with the last error or the last value seen.
 */
export async function eventually<T>(
  fn: () => T | Promise<T>,
  opts: EventuallyOptions = {},
): Promise<Exclude<T, undefined | false>> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
      last = value;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(
        `timed out after ${timeoutMs}ms waiting for ${opts.what ?? "condition"}; last: ${detail}`,
        {
          cause: last instanceof Error ? last : undefined,
        },
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
