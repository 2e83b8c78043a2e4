import type { IntegrationTarget } from "../api/types.ts";
import { argoCdEntries, entryTarget } from "../kube/inventory.ts";
import { assertEquals } from "../tests/support/assert.ts";
import { planImport } from "./target_import.ts";
import { credentialsText, sourceText } from "./target_list.ts";

const entries = argoCdEntries([
  { metadata: { name: "c-a", namespace: "argocd", labels: { env: "prod" } }, data: { name: btoa("a") } },
  { metadata: { name: "c-b", namespace: "argocd" }, data: { name: btoa("b") } },
  { metadata: { name: "c-b2", namespace: "argocd" }, data: { name: btoa("b") } },
  { metadata: { name: "c-c", namespace: "argocd" }, data: { name: btoa("c") } },
]);

Deno.test("planImport: create, unchanged, update; never over a target it did not import from that object", () => {
  const manual: IntegrationTarget = {
    apiVersion: "ksit.io/v1alpha1",
    kind: "IntegrationTarget",
    metadata: { name: "c", namespace: "ksit-system" },
    spec: { clusterName: "c" },
  };
  const importedA = entryTarget(entries[0]!, "ksit-system", "imported");
  const stale = {
    ...importedA,
    metadata: { ...importedA.metadata, labels: { ...importedA.metadata.labels, env: "dev" } },
  };
  const plan = planImport(entries, [manual], "ksit-system");
  assertEquals(plan.map((p) => [p.target.metadata.name, p.action, p.why]), [
    ["a", "create", undefined],
    ["b", "create", undefined],
    ["b", "skip", "Secret argocd/c-b gives the same name"],
    ["c", "skip", "target c exists (hand-written)"],
  ]);
  assertEquals(planImport(entries.slice(0, 1), [importedA], "ksit-system")[0]!.action, "unchanged");
  assertEquals(planImport(entries.slice(0, 1), [stale], "ksit-system")[0]!.action, "update");
  const synced = entryTarget(entries[0]!, "ksit-system", "synced");
  assertEquals(
    planImport(entries.slice(0, 1), [synced], "ksit-system")[0]!.why,
    "target a exists (maintained by serve from argocd)",
  );
});

Deno.test("target list: SOURCE and where the credentials are", () => {
  const t = entryTarget(entries[0]!, "ksit-system", "synced");
  assertEquals(sourceText(t), "argocd");
  assertEquals(sourceText(entryTarget(entries[0]!, "ksit-system", "imported")), "imported:argocd");
  assertEquals(credentialsText(t), "argocd/c-a (argocd)");
  const manual: IntegrationTarget = {
    apiVersion: "ksit.io/v1alpha1",
    kind: "IntegrationTarget",
    metadata: { name: "m", namespace: "ksit-system" },
    spec: { clusterName: "m", clusterProfileRef: { name: "p", namespace: "fleet" } },
  };
  assertEquals(sourceText(manual), "manual");
  assertEquals(credentialsText(manual), "p/token (token) + ClusterProfile fleet/p");
});
