/** Resolves after `ms` (for retry waits; tests poll conditions instead: tests/support/poll.ts). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
