/** Exponential backoff with jitter (work queue retries, watch restarts, probe backoff). */

export interface BackoffOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** 0..1: the delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter?: number;
  random?: () => number;
}

/** Exponential backoff with jitter: base * 2^attempt, capped, jittered. */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseDelayMs ?? 250;
  const max = opts.maxDelayMs ?? 60_000;
  const jitter = opts.jitter ?? 0.2;
  const random = opts.random ?? Math.random;
  const raw = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.max(0, Math.round(raw * (1 + jitter * (2 * random() - 1))));
}
