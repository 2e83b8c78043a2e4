/** Comparing and writing status: writes happen only when the desired status differs from the current one. */

import { canonicalJson } from "../util/canonical_json.ts";

export { canonicalJson };

/**
 * Canonical JSON of statuses as cached (an informer's objects are never changed in place, and one is compared
 * with every new status computed for it: large Integration statuses are serialised once, not per roll-up).
 */
const cachedCanonical = new WeakMap<object, string>();

function canonicalOf(v: unknown): string {
  if (!v || typeof v !== "object") return canonicalJson(v ?? {});
  let s = cachedCanonical.get(v);
  if (s === undefined) cachedCanonical.set(v, s = canonicalJson(v));
  return s;
}

/** `a` (a status as cached) and `b` (one computed now) hold the same values, whatever the order of keys. */
export function sameStatus(a: unknown, b: unknown): boolean {
  return canonicalOf(a) === canonicalJson(b ?? {});
}

/** metav1.Time: RFC 3339 with second precision. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
