/** The resync interval of an Integration, from `spec.config.healthCheckInterval`. */
import { parseDuration } from "../api/duration.ts";

/** The resync interval of an Integration: healthCheckInterval (default 30s), at least 5s. */
export function intervalMs(text: string | undefined, fallbackMs = 30_000, minMs = 5_000): number {
  const ms = text === undefined ? undefined : parseDuration(text);
  if (ms === undefined) return fallbackMs;
  return Math.max(minMs, ms);
}
