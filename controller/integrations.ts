/** Pure helpers of the Integration reconcile: target selection and Event decisions. */
import type { Integration, IntegrationTarget, Phase } from "../api/types.ts";
import { labelSelectorMatches } from "../checks/label_selector.ts";
import { EVENT_REASONS, type EventReason } from "../checks/reasons.ts";

export interface Selected {
  /** The name shown in status.clusters (target's clusterName, or the unresolved reference). */
  name: string;
  target?: IntegrationTarget;
}

/** Labels used by targetSelector: spec.labels merged with metadata.labels (metadata wins). */
export function targetLabels(t: IntegrationTarget): Record<string, string> {
  return { ...(t.spec.labels ?? {}), ...(t.metadata.labels ?? {}) };
}

/**
 * The targets of an Integration: spec.targetClusters (by clusterName, else object name; unresolved names are
 * reported so the status can say so) and/or spec.targetSelector. Each target once, sorted by cluster name.
 */
export function selectTargets(integ: Integration, targets: readonly IntegrationTarget[]): Selected[] {
  const out = new Map<string, Selected>();
  for (const ref of integ.spec.targetClusters ?? []) {
    const t = targets.find((x) => x.spec.clusterName === ref) ?? targets.find((x) => x.metadata.name === ref);
    if (t) out.set(`t:${t.metadata.name}`, { name: t.spec.clusterName, target: t });
    else out.set(`r:${ref}`, { name: ref });
  }
  if (integ.spec.targetSelector) {
    for (const t of targets) {
      if (labelSelectorMatches(integ.spec.targetSelector, targetLabels(t))) {
        out.set(`t:${t.metadata.name}`, { name: t.spec.clusterName, target: t });
      }
    }
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface EventDecision {
  type: "Normal" | "Warning";
  reason: EventReason;
}

const BAD = ["Failed", "Degraded", "Unknown"] as const satisfies readonly Phase[];
const isBad = (p: Phase | undefined): p is typeof BAD[number] => (BAD as readonly string[]).includes(p ?? "");

/**
 * Which Event a phase transition deserves: Warning on a transition into Failed/Degraded/Unknown, Normal on
 * recovery to Running, Normal on NotInstalled (the tool is on none of the clusters); nothing else, and nothing
 * without a transition. The first judgement of a healthy Integration is not news (a burst of 200 new
 * Integrations would otherwise make 200 Events).
 */
export function eventFor(previous: Phase | undefined, next: Phase): EventDecision | undefined {
  if (previous === next) return undefined;
  if (isBad(next)) return { type: "Warning", reason: EVENT_REASONS[next] };
  if (next === "NotInstalled") return { type: "Normal", reason: EVENT_REASONS.NotInstalled };
  if (next === "Running" && isBad(previous)) return { type: "Normal", reason: EVENT_REASONS.Recovered };
  return undefined;
}
