/**
 * Which IntegrationTargets each Integration selects, and the reverse (which Integrations select a target),
 * computed once per change of either and shared by both reconcilers: the owner of a target judges the
 * Integrations that select it (target_reconciler.ts), the aggregator rolls each Integration up over the targets
 * it selects (integration_reconciler.ts). An Integration selects only targets of its own namespace.
 */
import type { Integration, IntegrationTarget } from "../api/types.ts";
import type { Informer } from "../kube/informer.ts";
import { type Selected, selectTargets } from "./integrations.ts";
import { keyOf, keyString } from "./keys.ts";

/** An Integration that selects a target, and the cluster name it gives it. */
export interface Selecting {
  integration: Integration;
  key: string;
  /** The name in status.clusters (the target's clusterName). */
  name: string;
}

export class Selections {
  private version = 0;
  private readonly forward = new Map<string, { stamp: string; selected: Selected[] }>();
  private reverse: { version: number; index: Map<string, Selecting[]> } | undefined;

  constructor(
    private readonly integrations: Informer<Integration>,
    private readonly targets: Informer<IntegrationTarget>,
  ) {}

  /** A target or Integration was added, deleted, or changed its spec or labels. */
  invalidate(): void {
    this.version++;
    this.reverse = undefined;
  }

  /** The targets `integ` selects (unresolved names included), sorted by cluster name. */
  of(integ: Integration): Selected[] {
    const key = keyString(keyOf(integ));
    const stamp = `${this.version}|${integ.metadata.uid}|${integ.metadata.generation}`;
    const memo = this.forward.get(key);
    if (memo?.stamp === stamp) return memo.selected;
    const selected = selectTargets(integ, this.targets.list(integ.metadata.namespace ?? ""));
    this.forward.set(key, { stamp, selected });
    return selected;
  }

  /** The Integrations that select the target `targetKey` (namespace/name), sorted by Integration name. */
  selecting(targetKey: string): readonly Selecting[] {
    if (this.reverse?.version !== this.version) {
      const index = new Map<string, Selecting[]>();
      const live = new Set<string>();
      for (const integration of this.integrations.list()) {
        const key = keyString(keyOf(integration));
        live.add(key);
        for (const sel of this.of(integration)) {
          if (!sel.target) continue;
          const t = keyString(keyOf(sel.target));
          let list = index.get(t);
          if (!list) index.set(t, list = []);
          list.push({ integration, key, name: sel.name });
        }
      }
      for (const k of this.forward.keys()) if (!live.has(k)) this.forward.delete(k);
      for (const list of index.values()) list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      this.reverse = { version: this.version, index };
    }
    return this.reverse.index.get(targetKey) ?? [];
  }
}
