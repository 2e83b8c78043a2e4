import type { IntegrationTarget } from "../api/types.ts";
import { argoCdEntries, capiEntries, entryTarget } from "../kube/inventory.ts";
import { assertEquals } from "../tests/support/assert.ts";
import { mergePatch, planSync } from "./inventory_sync.ts";

const NS = "ksit-system";
const capi = (name: string, labels: Record<string, string> = {}) =>
  capiEntries([{ metadata: { name, namespace: "fleet", uid: `u-${name}`, labels } }])[0]!;

const existing = (t: IntegrationTarget, uid = "t-uid"): IntegrationTarget => ({
  ...t,
  metadata: { ...t.metadata, uid, resourceVersion: "5" },
});

const manual = (name: string): IntegrationTarget => ({
  apiVersion: "ksit.io/v1alpha1",
  kind: "IntegrationTarget",
  metadata: { name, namespace: NS, uid: `m-${name}` },
  spec: { clusterName: name },
});

Deno.test("planSync: create what is new, patch what changed, delete what went; nothing when all is in step", () => {
  const syncing = new Set(["capi"] as const);
  const a = capi("a", { env: "prod" });
  const first = planSync([a, capi("b")], [], NS, syncing);
  assertEquals(first.create.map((t) => t.metadata.name), ["a", "b"]);
  assertEquals(first.synced.capi, 2);

  const inStep = [existing(entryTarget(a, NS, "synced")), existing(entryTarget(capi("b"), NS, "synced"))];
  const none = planSync([a, capi("b")], inStep, NS, syncing);
  assertEquals([none.create.length, none.update.length, none.remove.length], [0, 0, 0]);

  const relabelled = planSync([capi("a", { env: "dev" })], inStep, NS, syncing);
  assertEquals(relabelled.update.map((u) => u.desired.metadata.labels?.env), ["dev"]);
  assertEquals(relabelled.remove.map((t) => t.metadata.name), ["b"]);

  // a source no longer synced keeps its targets; another namespace's targets are not ours to judge
  const off = planSync([], inStep, NS, new Set());
  assertEquals(off.remove, []);
  const elsewhere = planSync(
    [],
    inStep.map((t) => ({ ...t, metadata: { ...t.metadata, namespace: "x" } })),
    NS,
    syncing,
  );
  assertEquals(elsewhere.remove, []);
});

Deno.test("planSync: a hand-written or imported target of the same name wins; entries clash among themselves by order", () => {
  const syncing = new Set(["capi", "argocd"] as const);
  const imported = existing(entryTarget(capi("c"), NS, "imported"));
  const argo = argoCdEntries([{
    metadata: { name: "s", namespace: "argocd" },
    data: { name: btoa("a") },
  }])[0]!;
  const plan = planSync([capi("a"), capi("b"), capi("c"), argo], [manual("b"), imported], NS, syncing);
  assertEquals(plan.create.map((t) => t.metadata.name), ["a"]);
  assertEquals(plan.update, []);
  assertEquals(plan.remove, [], "a hand-written or imported target is never deleted");
  assertEquals(
    plan.clashes.map((c) => [c.entry.object, c.holder.target?.metadata.uid, c.holder.entry?.object]).sort(),
    [
      ["Cluster fleet/b", "m-b", undefined],
      ["Cluster fleet/c", "t-uid", undefined],
      ["Secret argocd/s", undefined, "Cluster fleet/a"],
    ],
  );
  assertEquals([plan.synced.capi, plan.synced.argocd], [1, 0]);
});

Deno.test("mergePatch: keys that went are null, nested objects merged, equal values left out", () => {
  assertEquals(
    mergePatch(
      { a: "1", b: "2", ref: { name: "x", accessProvider: "p" } },
      { a: "1", c: "3", ref: { name: "y" } },
    ),
    { b: null, c: "3", ref: { accessProvider: null, name: "y" } },
  );
  assertEquals(mergePatch({ l: ["a"] }, { l: ["b"] }), { l: ["b"] });
});
