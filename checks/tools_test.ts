import { TOOL_TYPES } from "../api/schema.ts";
import { assert, assertEquals } from "../tests/support/assert.ts";
import { toolNamespaces } from "./namespace.ts";
import { nameMatches, needsDaemonSets, needsEndpoints, TOOL_TABLES } from "./tools.ts";

Deno.test("tool tables: every tool has a table with unique component names and at least one required", () => {
  for (const type of TOOL_TYPES) {
    const table = TOOL_TABLES[type];
    assertEquals(table.type, type);
    const names = table.components.map((c) => c.name);
    assertEquals(new Set(names).size, names.length, `${type}: duplicate component names`);
    assert(table.components.some((c) => c.required && !c.requiredIfFound), `${type}: nothing required`);
    assert(table.components.some((c) => c.identifies !== false), `${type}: nothing identifies the tool`);
    assert(
      table.defaultNamespaces.length > 0 && table.discovery.length > 0,
      `${type}: no namespaces/discovery`,
    );
    for (const c of table.components) {
      assert(c.kinds.length > 0, `${type}/${c.name}: no kind`);
      assert(c.selectors.length > 0 || c.names.length > 0, `${type}/${c.name}: no way to find it`);
    }
  }
});

Deno.test("tool tables: required components (docs/architecture.md, README), and those required only where installed", () => {
  const required = (when: boolean) =>
    Object.fromEntries(
      TOOL_TYPES.map((t) => [
        t,
        TOOL_TABLES[t].components.filter((c) => c.required && (c.requiredIfFound !== undefined) === when)
          .map((c) => (when ? `${c.name} if ${c.requiredIfFound}` : c.name)),
      ]),
    );
  assertEquals(required(false), {
    argocd: ["argocd-repo-server", "argocd-application-controller"],
    flux: ["source-controller", "kustomize-controller", "helm-controller", "notification-controller"],
    prometheus: ["prometheus-operator", "prometheus"],
    istio: ["istiod"],
  });
  assertEquals(required(true), {
    // the core install has no API server; only HA installs have haproxy; only ambient has ztunnel + istio-cni
    argocd: [
      "argocd-server if argocd-server",
      "argocd-server-endpoints if argocd-server",
      "argocd-redis-ha-haproxy if argocd-redis-ha-haproxy",
    ],
    flux: [],
    prometheus: [],
    istio: ["ztunnel if ztunnel", "istio-cni if istio-cni"],
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

Deno.test("needsDaemonSets: Prometheus and Istio, unless overrides say otherwise", () => {
  assertEquals(TOOL_TYPES.map((t) => needsDaemonSets(t)), [false, false, true, true]);
  assertEquals(needsDaemonSets("flux", [{ name: "agent", kind: "DaemonSet" }]), true);
  assertEquals(
    needsDaemonSets("istio", ["ztunnel", "istio-cni"].map((name) => ({ name, ignore: true }))),
    false,
  );
});

Deno.test("needsEndpoints: only Argo CD, unless overrides say otherwise", () => {
  assertEquals(TOOL_TYPES.map((t) => needsEndpoints(t)), [true, false, false, false]);
  assertEquals(needsEndpoints("argocd", [{ name: "argocd-server-endpoints", ignore: true }]), false);
  assertEquals(needsEndpoints("argocd", [{ name: "argocd-server-endpoints", kind: "Deployment" }]), false);
  assertEquals(needsEndpoints("flux", [{ name: "webhook-receiver", kind: "Service" }]), true);
  assertEquals(needsEndpoints("flux", [{ name: "webhook-receiver", kind: "Service", ignore: true }]), false);
  assertEquals(needsEndpoints("istio", [{ name: "istiod", kind: "Service" }]), true);
});

Deno.test("toolNamespaces: defaults per tool (extra defaults optional); config wins, namespace + namespaces", () => {
  assertEquals(TOOL_TYPES.map((t) => toolNamespaces(t)), [
    { namespaces: ["argocd"], configured: false, optional: [] },
    { namespaces: ["flux-system"], configured: false, optional: [] },
    { namespaces: ["monitoring"], configured: false, optional: [] },
    { namespaces: ["istio-system", "istio-ingress"], configured: false, optional: ["istio-ingress"] },
  ]);
  assertEquals(toolNamespaces("argocd", { namespace: "gitops" }), {
    namespaces: ["gitops"],
    configured: true,
    optional: [],
  });
  assertEquals(toolNamespaces("flux", {}).namespaces, ["flux-system"]);
  assertEquals(toolNamespaces("istio", { namespace: "" }).namespaces, ["istio-system", "istio-ingress"]);
  assertEquals(
    toolNamespaces("istio", { namespace: "mesh", namespaces: ["edge", "mesh", "gw"] }).namespaces,
    ["mesh", "edge", "gw"],
  );
});
