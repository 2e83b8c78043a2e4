/**
 * The labels and annotations KSIT writes on the IntegrationTargets it makes from fleet inventories
 * (controller/inventory_sync.ts, `kubectl ksit target import`), and reads to tell them from hand-written ones.
 */
import type { INVENTORY_SOURCES } from "./schema.ts";

export type InventorySource = typeof INVENTORY_SOURCES[number];

/**
 * `capi`, `argocd` or `clusterprofile`: `serve` maintains this target from that inventory (creates, updates and
 * deletes it). A target without it is hand-written (or imported) and never touched by the sync.
 */
export const SOURCE_LABEL = "ksit.io/source";
/** Set by `kubectl ksit target import --apply`: made once from that inventory, not maintained. */
export const IMPORTED_FROM_LABEL = "ksit.io/imported-from";
/** The inventory entry a target was made from, e.g. `Cluster fleet/prod-1` (shown by `target list -o wide`). */
export const SOURCE_OBJECT_ANNOTATION = "ksit.io/source-object";
/** `app.kubernetes.io/managed-by` of the targets `serve` maintains. */
export const INVENTORY_MANAGER = "ksit-inventory";
