/** Pure evaluation of a metav1.LabelSelector against a label map, with the API server's semantics. */
import type { LabelSelector } from "../api/types.ts";

/**
 * True when `labels` satisfy every `matchLabels` entry and every `matchExpressions` requirement
 * (In, NotIn, Exists, DoesNotExist). An empty selector matches everything, as in Kubernetes;
 * an unknown operator matches nothing.
 */
export function labelSelectorMatches(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(have, key) || have[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(have, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (!present || !values.includes(have[req.key] as string)) return false;
        break;
      case "NotIn":
        if (present && values.includes(have[req.key] as string)) return false;
        break;
      case "Exists":
        if (!present) return false;
        break;
      case "DoesNotExist":
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
