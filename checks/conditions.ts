/** metav1.Condition bookkeeping: lastTransitionTime moves only when a condition's status changes. */
import type { Condition } from "../api/types.ts";

/** A condition as computed, before its lastTransitionTime is decided. */
export type DesiredCondition = Omit<Condition, "lastTransitionTime">;

/**
 * The `desired` conditions, in their order, each with the previous lastTransitionTime when a previous
 * condition of that type had the same status, else `now`. Reason, message and observedGeneration always come
 * from `desired`. Previous conditions of other types are dropped (the status is ours alone).
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  now: string,
): Condition[] {
  const old = new Map((previous ?? []).map((c) => [c.type, c]));
  return desired.map((d) => {
    const before = old.get(d.type);
    const lastTransitionTime = before && before.status === d.status ? before.lastTransitionTime : now;
    const merged: Condition = {
      type: d.type,
      status: d.status,
      lastTransitionTime,
      reason: d.reason,
      message: d.message,
    };
    if (d.observedGeneration !== undefined) merged.observedGeneration = d.observedGeneration;
    return merged;
  });
}
