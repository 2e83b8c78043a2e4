/**
 * The inventory sync: for every entry of the inventories `serve` maintains targets from (`--inventory`), one
 * IntegrationTarget in serve's namespace — created when the entry appears, patched when its labels or
 * credentials reference change, deleted when the entry goes — from the caches alone (kube/inventory.ts says
 * what an entry asks for). Credentials stay in the inventory's own Secret: a target only names it.
 *
 * - **Ownership.** A target made here carries `ksit.io/source: <source>` (and `app.kubernetes.io/managed-by:
 *   ksit-inventory`); only such targets are ever changed or deleted, and only those of a source that is synced
 *   (a source switched off leaves its targets; `kubectl delete it -l ksit.io/source=<source>` removes them).
 *   When the inventory object lives in serve's namespace the target also gets an ownerReference to it, so the
 *   garbage collector removes it even while serve is down; across namespaces Kubernetes allows no
 *   ownerReference and the sync deletes it (with the target's uid as precondition).
 * - **Name clashes.** A name is the entry's (Cluster, Argo CD cluster `name`, ClusterProfile). A hand-written
 *   (or imported) target of that name wins and is never touched; between entries, the first by source
 *   (capi, argocd, clusterprofile) then by namespace/name wins. The entry that lost gets no target; the clash is
 *   reported once, when it starts: a Warning Event `InventoryNameClash` on the target holding the name, a log
 *   warning, and the gauge `ksit_inventory_targets{state="clash"}`.
 * - **One writer.** The sync runs only where status is written (the leader; with sharding, still the leader
 *   alone), and only once every cache has listed (a half-listed cache would delete targets).
 *
 * RBAC (control plane, serve's namespace; deploy/helm/ksit/files/inventory-sync-rbac.yaml): create, patch,
 * delete on ksit.io integrationtargets (list/watch: controller.ts); create/patch events (events.ts).
 */
import { CustomObjectsApi, setHeaderOptions } from "@kubernetes/client-node";
import { type InventorySource, SOURCE_LABEL, SOURCE_OBJECT_ANNOTATION } from "../api/labels.ts";
import { GROUP, INVENTORY_SOURCES, VERSION } from "../api/schema.ts";
import type { IntegrationTarget } from "../api/types.ts";
import { EVENT_REASONS } from "../checks/reasons.ts";
import type { ClusterClient } from "../kube/client.ts";
import { errorCode } from "../kube/errors.ts";
import type { Informer } from "../kube/informer.ts";
import {
  argoCdEntries,
  capiEntries,
  claimNames,
  clusterProfileEntries,
  entryTarget,
  type InventoryEntry,
  sameManaged,
  targetOrigin,
} from "../kube/inventory.ts";
import type { Logger } from "../util/log.ts";
import type { EventRecorder } from "./events.ts";
import type { InventoryCaches } from "./inventory_caches.ts";
import type { ControllerMetrics } from "./metrics.ts";
import { canonicalJson } from "./status.ts";

/** A periodic pass besides the event-driven ones (cheap: the caches only, no write when nothing changed). */
export const INVENTORY_RESYNC_MS = 5 * 60_000;

/** An entry that gets no target because another target or entry holds its name. */
export interface Clash {
  name: string;
  entry: InventoryEntry;
  /** What holds the name: the target (hand-written, imported, or another entry's), or the entry that won. */
  holder: { target?: IntegrationTarget; entry?: InventoryEntry };
}

/** What one pass does. */
export interface SyncPlan {
  create: IntegrationTarget[];
  update: { current: IntegrationTarget; desired: IntegrationTarget }[];
  remove: IntegrationTarget[];
  clashes: Clash[];
  /** Entries that have (or get) their target, per source. */
  synced: Record<InventorySource, number>;
}

/**
 * The pass, decided from the entries and the targets of `namespace` (pure). `syncing`: the sources whose
 * targets may be deleted when their entry is gone.
 */
export function planSync(
  entries: readonly InventoryEntry[],
  existing: readonly IntegrationTarget[],
  namespace: string,
  syncing: ReadonlySet<InventorySource>,
): SyncPlan {
  const plan: SyncPlan = {
    create: [],
    update: [],
    remove: [],
    clashes: [],
    synced: { capi: 0, argocd: 0, clusterprofile: 0 },
  };
  const byName = new Map(
    existing.filter((t) => t.metadata.namespace === namespace).map((t) => [t.metadata.name ?? "", t]),
  );
  const { winners, lost } = claimNames(entries);
  for (const { entry, to } of lost) {
    plan.clashes.push({ name: entry.name, entry, holder: { entry: to, target: byName.get(entry.name) } });
  }
  for (const [name, entry] of winners) {
    const desired = entryTarget(entry, namespace, "synced");
    const current = byName.get(name);
    if (!current) {
      plan.create.push(desired);
      plan.synced[entry.source]++;
      continue;
    }
    if (targetOrigin(current).kind !== "synced") {
      plan.clashes.push({ name, entry, holder: { target: current } });
      continue;
    }
    plan.synced[entry.source]++;
    if (!sameManaged(current, desired)) plan.update.push({ current, desired });
  }
  for (const t of byName.values()) {
    const origin = targetOrigin(t);
    if (origin.kind === "synced" && syncing.has(origin.source!) && !winners.has(t.metadata.name ?? "")) {
      plan.remove.push(t);
    }
  }
  return plan;
}

/** An RFC 7386 merge patch turning `from` into `to` (objects merged key by key, anything else replaced). */
export function mergePatch(from: unknown, to: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObj(from) || !isObj(to)) return to === undefined ? null : to;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(from)) if (!(k in to) || to[k] === undefined) out[k] = null;
  for (const [k, v] of Object.entries(to)) {
    if (v === undefined) continue;
    if (canonicalJson(from[k]) !== canonicalJson(v)) out[k] = mergePatch(from[k], v);
  }
  return out;
}

export interface InventorySyncDeps {
  kube: ClusterClient;
  log: Logger;
  metrics: ControllerMetrics;
  events: EventRecorder;
  targets: Informer<IntegrationTarget>;
  caches: InventoryCaches;
  /** Where the targets are made: serve's namespace (where its Integrations select them). */
  namespace: string;
}

export class InventorySync {
  /** Clashes reported (`name|entry object`), so each is reported once while it lasts. */
  private readonly reported = new Set<string>();

  constructor(private readonly d: InventorySyncDeps) {}

  /** The entries of every synced source, from the caches. */
  entries(): InventoryEntry[] {
    const c = this.d.caches;
    return [
      ...(c.syncs("capi") ? capiEntries(c.clusters()) : []),
      ...(c.syncs("argocd") ? argoCdEntries(c.argoCdSecrets()) : []),
      ...(c.syncs("clusterprofile") ? clusterProfileEntries(c.profiles(), this.d.namespace) : []),
    ];
  }

  /** One pass: plan from the caches, then write. Returns when to pass again (ms). */
  async sync(): Promise<number> {
    const syncing = new Set(INVENTORY_SOURCES.filter((s) => this.d.caches.syncs(s)));
    const plan = planSync(this.entries(), this.d.targets.list(), this.d.namespace, syncing);
    const custom = this.d.kube.api(CustomObjectsApi);
    const base = {
      group: GROUP,
      version: VERSION,
      namespace: this.d.namespace,
      plural: "integrationtargets",
    };
    let conflicts = 0;
    const tolerate = (e: unknown) => {
      // a target created, changed or deleted meanwhile: the informer brings it, the next pass decides again
      if (errorCode(e) === 409 || errorCode(e) === 404) conflicts++;
      else throw e;
    };
    for (const t of plan.create) {
      await this.d.kube.call("create", () => custom.createNamespacedCustomObject({ ...base, body: t }))
        .then(() => this.logChange("created", t), tolerate);
    }
    for (const { current, desired } of plan.update) {
      const patch = {
        metadata: {
          resourceVersion: current.metadata.resourceVersion,
          labels: mergePatch(current.metadata.labels ?? {}, desired.metadata.labels ?? {}),
          annotations: {
            [SOURCE_OBJECT_ANNOTATION]: desired.metadata.annotations?.[SOURCE_OBJECT_ANNOTATION],
          },
          ownerReferences: desired.metadata.ownerReferences ?? null,
        },
        spec: mergePatch(current.spec, desired.spec),
      };
      await this.d.kube.call("patch", () =>
        custom.patchNamespacedCustomObject(
          { ...base, name: current.metadata.name!, body: patch },
          setHeaderOptions("Content-Type", "application/merge-patch+json"),
        )).then(() => this.logChange("updated", desired), tolerate);
    }
    for (const t of plan.remove) {
      await this.d.kube.call("delete", () =>
        custom.deleteNamespacedCustomObject({
          ...base,
          name: t.metadata.name!,
          body: { preconditions: { uid: t.metadata.uid } },
        })).then(() => this.logChange("deleted", t), tolerate);
    }
    await this.reportClashes(plan.clashes);
    this.updateMetrics(plan);
    return conflicts > 0 ? 1_000 : INVENTORY_RESYNC_MS;
  }

  private logChange(what: string, t: IntegrationTarget): void {
    this.d.log.info(`inventory target ${what}`, {
      target: `${t.metadata.namespace}/${t.metadata.name}`,
      source: t.metadata.labels?.[SOURCE_LABEL],
      from: t.metadata.annotations?.[SOURCE_OBJECT_ANNOTATION],
    });
  }

  /** A Warning Event on the target holding the name and a log line, once per clash while it lasts. */
  private async reportClashes(clashes: Clash[]): Promise<void> {
    const now = new Set<string>();
    for (const c of clashes) {
      const key = `${c.name}|${c.entry.object}`;
      now.add(key);
      if (this.reported.has(key)) continue;
      const target = c.holder.target;
      if (!target) continue; // the winner's target is being created: reported on a later pass
      const where = `IntegrationTarget ${this.d.namespace}/${c.name}`;
      const message = c.holder.entry && targetOrigin(target).kind === "synced"
        ? `${c.entry.object} (${c.entry.source}) also asks for ${where}, which ${c.holder.entry.object} ` +
          `holds (first by source capi, argocd, clusterprofile, then by namespace/name): ${c.entry.object} ` +
          `gets no target; rename one of the clusters`
        : `${c.entry.object} (${c.entry.source}) would be ${where}, which exists and is not maintained by an ` +
          `inventory (no ${SOURCE_LABEL} label): the existing target wins and ${c.entry.object} gets none; ` +
          `rename the cluster, or delete the existing target to let the inventory maintain it`;
      this.reported.add(key);
      this.d.log.warn("inventory name clash", { target: where, entry: c.entry.object, message });
      await this.d.events.record(
        {
          apiVersion: target.apiVersion ?? "ksit.io/v1alpha1",
          kind: "IntegrationTarget",
          metadata: target.metadata,
        },
        "Warning",
        EVENT_REASONS.InventoryNameClash,
        message,
      );
    }
    for (const key of this.reported) if (!now.has(key)) this.reported.delete(key);
  }

  private updateMetrics(plan: SyncPlan): void {
    const g = this.d.metrics.inventoryTargets;
    for (const source of INVENTORY_SOURCES) {
      if (!this.d.caches.syncs(source)) continue;
      g.set({ source, state: "synced" }, plan.synced[source]);
      g.set({ source, state: "clash" }, plan.clashes.filter((c) => c.entry.source === source).length);
    }
  }
}
