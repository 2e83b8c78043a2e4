import { TOOL_TYPES } from "../api/schema.ts";
import { assert, assertEquals } from "../tests/support/assert.ts";
import { toolNamespace } from "./namespace.ts";
import { nameMatches, needsEndpoints, TOOL_TABLES } from "./tools.ts";

Deno.test("tool tables: every tool has a table with unique component names and at least one required", () => {
  for (const type of TOOL_TYPES) {
    const table = TOOL_TABLES[type];
    assertEquals(table.type, type);
    const names = table.components.map((c) => c.name);
    assertEquals(new Set(names).size, names.length, `${type}: duplicate component names`);
    assert(table.components.some((c) => c.required), `${type}: nothing required`);
    for (const c of table.components) {
      assert(c.kinds.length > 0, `${type}/${c.name}: no kind`);
      assert(c.selectors.length > 0 || c.names.length > 0, `${type}/${c.name}: no way to find it`);
    }
  }
});

Deno.test("tool tables: required components per DESIGN.md", () => {
  const required = Object.fromEntries(
    TOOL_TYPES.map((t) => [t, TOOL_TABLES[t].components.filter((c) => c.required).map((c) => c.name)]),
  );
  assertEquals(required, {
    argocd: [
      "argocd-server",
      "argocd-repo-server",
      "argocd-application-controller",
      "argocd-server-endpoints",
    ],
    flux: ["source-controller", "kustomize-controller", "helm-controller", "notification-controller"],
    prometheus: ["prometheus-operator", "prometheus"],
    istio: ["istiod"],
  });
});

const nameCases: [string, Parameters<typeof nameMatches>[0], string, boolean][] = [
  ["exact", { exact: "argocd-server" }, "argocd-server", true],
  ["exact is exact", { exact: "argocd-server" }, "argocd-server-metrics", false],
  ["release prefix", { suffix: "argocd-server" }, "argo-argocd-server", true],
  ["release prefix needs a release", { suffix: "argocd-server" }, "-argocd-server", false],
  ["release prefix needs a dash", { suffix: "argocd-redis" }, "myargocd-redis", false],
  ["release prefix is not a substring match", { suffix: "argocd-redis" }, "argocd-redis-ha-haproxy", false],
  [
    "kps operator (long release)",
    { suffix: "kube-prometheus-operator" },
    "prometheus-kube-prometheus-operator",
    true,
  ],
  [
    "kps operator (short release)",
    { suffix: "kube-prometheus-stack-operator" },
    "kps-kube-prometheus-stack-operator",
    true,
  ],
  ["revision", { prefix: "istiod" }, "istiod-1-22", true],
  ["revision needs a dash", { prefix: "istiod" }, "istiodx", false],
  ["revision needs a revision", { prefix: "istiod" }, "istiod-", false],
  ["operator-made StatefulSet", { prefix: "prometheus" }, "prometheus-k8s", true],
];

for (const [name, matcher, workload, expected] of nameCases) {
  Deno.test(`nameMatches: ${name}`, () => assertEquals(nameMatches(matcher, workload), expected));
}

Deno.test("needsEndpoints: only Argo CD, unless overrides say otherwise", () => {
  assertEquals(TOOL_TYPES.map((t) => needsEndpoints(t)), [true, false, false, false]);
  assertEquals(needsEndpoints("argocd", [{ name: "argocd-server-endpoints", ignore: true }]), false);
  assertEquals(needsEndpoints("argocd", [{ name: "argocd-server-endpoints", kind: "Deployment" }]), false);
  assertEquals(needsEndpoints("flux", [{ name: "webhook-receiver", kind: "Service" }]), true);
  assertEquals(needsEndpoints("flux", [{ name: "webhook-receiver", kind: "Service", ignore: true }]), false);
  assertEquals(needsEndpoints("istio", [{ name: "istiod", kind: "Service" }]), true);
});

Deno.test("toolNamespace: default per tool, config wins", () => {
  assertEquals(TOOL_TYPES.map((t) => toolNamespace(t)), [
    "argocd",
    "flux-system",
    "monitoring",
    "istio-system",
  ]);
  assertEquals(toolNamespace("argocd", { namespace: "gitops" }), "gitops");
  assertEquals(toolNamespace("flux", {}), "flux-system");
  assertEquals(toolNamespace("istio", { namespace: "" }), "istio-system");
});
