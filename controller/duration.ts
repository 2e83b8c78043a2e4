/** Go duration strings (`30s`, `1m30s`, `1.5h`, `250ms`) as used by `spec.config.healthCheckInterval`. */

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/y;

/** Milliseconds of a Go duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!text) return undefined;
  if (text === "0") return 0;
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = PART.lastIndex;
  }
  return total;
}

/** The resync interval of an Integration: healthCheckInterval (default 30s), at least 5s. */
export function intervalMs(text: string | undefined, fallbackMs = 30_000, minMs = 5_000): number {
  const ms = text === undefined ? undefined : parseDuration(text);
  if (ms === undefined) return fallbackMs;
  return Math.max(minMs, ms);
}
