/**
 * Which informer events are worth a reconcile (controller-runtime's GenerationChanged + LabelChanged
 * predicates): adds and deletes always; an update only when it changed the object's generation (its spec) or
 * its labels. The status KSIT writes comes back as an update that changes neither, so it does not reconcile
 * the object again for nothing.
 */
import { keyOf, keyString } from "./keys.ts";

interface Meta {
  metadata: { namespace?: string; name?: string; generation?: number; labels?: Record<string, string> };
}

export class SpecOrLabelsChanged {
  /** generation and labels last seen per object. */
  private readonly seen = new Map<string, string>();

  worth(type: "add" | "update" | "delete", o: Meta): boolean {
    const id = keyString(keyOf(o));
    if (type === "delete") {
      this.seen.delete(id);
      return true;
    }
    const labels = Object.entries(o.metadata.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    const now = `${o.metadata.generation}|${JSON.stringify(labels)}`;
    const before = this.seen.get(id);
    this.seen.set(id, now);
    return type === "add" || before !== now;
  }
}
