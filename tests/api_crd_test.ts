/**
 * The CRDs on a real API server: they are accepted and Established, kubectl shows the printer columns,
 * invalid objects are rejected with a message naming the field, defaults apply, `enabled: false` round-trips.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";
import { useHarness } from "./support/harness.ts";
import { installCrds } from "./support/crds.ts";

const harness = useHarness({ clusters: ["cp"] });
const ns = "crd-test";

Deno.test.beforeAll(async () => {
  const cp = harness().cluster("cp");
  await installCrds(cp);
  const r = await cp.kubectl(["create", "namespace", ns]);
  assertEquals(r.code, 0, r.stderr);
});

function integration(name: string, spec: Record<string, unknown>) {
  return { apiVersion: "ksit.io/v1alpha1", kind: "Integration", metadata: { name, namespace: ns }, spec };
}

function target(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: "ksit.io/v1alpha1",
    kind: "IntegrationTarget",
    metadata: { name, namespace: ns },
    spec,
  };
}

async function apply(obj: unknown) {
  return await harness().cluster("cp").kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(obj) });
}

Deno.test("CRDs are Established with short names and the ksit category", async () => {
  const cp = harness().cluster("cp");
  const r = await cp.kubectl(["api-resources", "--api-group=ksit.io", "-o", "wide"]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /^integrations\s+integ\s+ksit\.io\/v1alpha1\s+true\s+Integration\b/m);
  assertMatch(r.stdout, /^integrationtargets\s+it\s+ksit\.io\/v1alpha1\s+true\s+IntegrationTarget\b/m);
  assertStringIncludes(r.stdout, "ksit");
});

Deno.test("valid objects get defaults; enabled: false round-trips", async () => {
  const cp = harness().cluster("cp");
  assertEquals((await apply(integration("argo", { type: "argocd", targetClusters: ["cluster-1"] }))).code, 0);
  const off = await apply(integration("off", { type: "flux", enabled: false, targetSelector: {} }));
  assertEquals(off.code, 0, off.stderr);
  const mesh = await apply(integration("mesh", {
    type: "istio",
    targetClusters: ["cluster-1"],
    config: { namespace: "istio-system", namespaces: ["istio-ingress", "edge"] },
  }));
  assertEquals(mesh.code, 0, mesh.stderr);

  const argo = JSON.parse((await cp.kubectl(["get", "integ", "argo", "-n", ns, "-o", "json"])).stdout);
  assertEquals(argo.spec.enabled, true);
  assertEquals(argo.spec.config.healthCheckInterval, "30s");

  const got = JSON.parse((await cp.kubectl(["get", "integration", "off", "-n", ns, "-o", "json"])).stdout);
  assertEquals(got.spec.enabled, false);
  assertEquals(got.spec.targetSelector, {});

  const t = await apply(target("c1", { clusterName: "cluster-1", labels: { env: "prod" } }));
  assertEquals(t.code, 0, t.stderr);
  const tgt = JSON.parse((await cp.kubectl(["get", "it", "c1", "-n", ns, "-o", "json"])).stdout);
  assertEquals(tgt.spec.clusterName, "cluster-1");
  assertEquals(tgt.spec.labels, { env: "prod" });
});

Deno.test("kubectl get shows the printer columns (and MESSAGE in -o wide)", async () => {
  const cp = harness().cluster("cp");
  assertEquals((await apply(integration("cols", { type: "istio", targetClusters: ["a"] }))).code, 0);
  assertEquals((await apply(target("cols", { clusterName: "cluster-cols" }))).code, 0);
  // a status written through the status subresource shows up in the columns
  const status = {
    status: {
      phase: "Failed",
      healthy: "1/2",
      message: "cluster-2: istiod: 0/1 available",
      summary: { targets: 2, healthy: 1, degraded: 0, failed: 1, unknown: 0 },
    },
  };
  const patch = await cp.kubectl([
    "patch",
    "integration",
    "cols",
    "-n",
    ns,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify(status),
  ]);
  assertEquals(patch.code, 0, patch.stderr);
  const tstatus = {
    status: {
      serverVersion: "v1.37.2",
      conditions: [{
        type: "Ready",
        status: "True",
        reason: "Connected",
        message: "ok",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      }],
    },
  };
  const tpatch = await cp.kubectl([
    "patch",
    "it",
    "cols",
    "-n",
    ns,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify(tstatus),
  ]);
  assertEquals(tpatch.code, 0, tpatch.stderr);

  const list = await cp.kubectl(["get", "integrations", "-n", ns]);
  assertMatch(list.stdout, /^NAME\s+TYPE\s+PHASE\s+HEALTHY\s+AGE$/m);
  assertMatch(list.stdout, /^cols\s+istio\s+Failed\s+1\/2\s+\S+$/m);
  const wide = await cp.kubectl(["get", "integrations", "cols", "-n", ns, "-o", "wide"]);
  assertMatch(wide.stdout, /^NAME\s+TYPE\s+PHASE\s+HEALTHY\s+MESSAGE\s+AGE$/m);
  assertStringIncludes(wide.stdout, "cluster-2: istiod: 0/1 available");

  const targets = await cp.kubectl(["get", "integrationtargets", "cols", "-n", ns]);
  assertMatch(targets.stdout, /^NAME\s+CLUSTER\s+READY\s+VERSION\s+REASON\s+AGE$/m);
  assertMatch(targets.stdout, /^cols\s+cluster-cols\s+True\s+v1\.37\.2\s+Connected\s+\S+$/m);
});

const invalid: { what: string; obj: unknown; field: RegExp }[] = [
  {
    what: "unknown type",
    obj: integration("bad-type", { type: "linkerd", targetClusters: ["a"] }),
    field: /spec\.type: Unsupported value: "linkerd"/,
  },
  {
    what: "interval abc",
    obj: integration("bad-interval", {
      type: "flux",
      targetClusters: ["a"],
      config: { healthCheckInterval: "abc" },
    }),
    field: /spec\.config\.healthCheckInterval: Invalid value: "abc"/,
  },
  {
    what: "interval 1s (below the 5s minimum)",
    obj: integration("short-interval", {
      type: "flux",
      targetClusters: ["a"],
      config: { healthCheckInterval: "1s" },
    }),
    field: /spec\.config\.healthCheckInterval: Invalid value: "1s": must be at least 5s/,
  },
  {
    what: "interval above 24h",
    obj: integration("long-interval", {
      type: "flux",
      targetClusters: ["a"],
      config: { healthCheckInterval: "25h" },
    }),
    field: /spec\.config\.healthCheckInterval: Invalid value: "25h": must be at most 24h/,
  },
  {
    // past int64 nanoseconds: CEL's duration() would fail with a type-conversion error
    what: "interval that overflows a duration",
    obj: integration("huge-interval", {
      type: "flux",
      targetClusters: ["a"],
      config: { healthCheckInterval: "99999999999999h" },
    }),
    field: /spec\.config\.healthCheckInterval: Invalid value: "99999999999999h": must be at most 24h/,
  },
  {
    what: "interval of many huge seconds",
    obj: integration("huge-seconds", {
      type: "flux",
      targetClusters: ["a"],
      config: { healthCheckInterval: "1s99999999999999999s" },
    }),
    field: /healthCheckInterval: Invalid value: "1s99999999999999999s": must be at most 24h/,
  },
  {
    what: "no targets",
    obj: integration("no-targets", { type: "prometheus" }),
    field: /spec\.targetClusters: Required value: set spec\.targetClusters or spec\.targetSelector/,
  },
  {
    what: "empty targetClusters and no selector",
    obj: integration("empty-targets", { type: "prometheus", targetClusters: [] }),
    field: /spec\.targetClusters: Required value/,
  },
  {
    what: "malformed selector operator",
    obj: integration("bad-op", {
      type: "istio",
      targetSelector: { matchExpressions: [{ key: "env", operator: "Equals", values: ["x"] }] },
    }),
    field: /spec\.targetSelector\.matchExpressions\[0\]\.operator: Unsupported value: "Equals"/,
  },
  {
    what: "In without values",
    obj: integration("in-empty", {
      type: "istio",
      targetSelector: { matchExpressions: [{ key: "env", operator: "In" }] },
    }),
    field:
      /spec\.targetSelector\.matchExpressions\[0\]: Invalid value: operator In and NotIn need at least one value/,
  },
  {
    what: "matchLabels not a map of strings",
    obj: integration("bad-labels", { type: "istio", targetSelector: { matchLabels: { env: ["prod"] } } }),
    field: /spec\.targetSelector\.matchLabels\.env: Invalid value: "array"/,
  },
  {
    what: "missing type",
    obj: integration("no-type", { targetClusters: ["a"] }),
    field: /spec\.type: Required value/,
  },
  {
    what: "bad tool namespace",
    obj: integration("bad-ns", { type: "argocd", targetClusters: ["a"], config: { namespace: "Argo_CD" } }),
    field: /spec\.config\.namespace: Invalid value: "Argo_CD"/,
  },
  {
    what: "component override with a bad kind",
    obj: integration("bad-comp", {
      type: "argocd",
      targetClusters: ["a"],
      config: { components: [{ name: "argocd-server", kind: "ReplicaSet" }] },
    }),
    field: /spec\.config\.components\[0\]\.kind: Unsupported value: "ReplicaSet"/,
  },
  {
    what: "a namespace list with a bad name",
    obj: integration("bad-namespaces", {
      type: "istio",
      targetClusters: ["a"],
      config: { namespaces: ["istio-system", "Istio_Ingress"] },
    }),
    field: /spec\.config\.namespaces\[1\]: Invalid value: "Istio_Ingress"/,
  },
  {
    what: "more than 16 namespaces",
    obj: integration("many-namespaces", {
      type: "istio",
      targetClusters: ["a"],
      config: { namespaces: Array.from({ length: 17 }, (_, i) => `ns-${i}`) },
    }),
    field: /spec\.config\.namespaces: Too many: 17: must have at most 16 items/,
  },
  {
    what: "missing clusterName",
    obj: target("no-cluster", { labels: { env: "prod" } }),
    field: /spec\.clusterName: Required value/,
  },
  {
    what: "clusterName not a DNS name",
    obj: target("bad-cluster", { clusterName: "Cluster One" }),
    field: /spec\.clusterName: Invalid value: "Cluster One"/,
  },
  {
    what: "a token Secret without a ClusterProfile for the server",
    obj: target("token-no-server", {
      clusterName: "token-no-server",
      kubeconfigSecretRef: { name: "t", format: "token" },
    }),
    field:
      /spec\.kubeconfigSecretRef\.format: Invalid value: .*a token Secret names no server: set spec\.clusterProfileRef/,
  },
  {
    what: "an Argo CD cluster Secret with a ClusterProfile",
    obj: target("argocd-profile", {
      clusterName: "argocd-profile",
      kubeconfigSecretRef: { name: "c", namespace: "argocd", format: "argocd" },
      clusterProfileRef: { name: "p" },
    }),
    field: /spec\.clusterProfileRef: Invalid value: .*an Argo CD cluster Secret names its own server/,
  },
  {
    what: "an unknown credentials format",
    obj: target("bad-format", {
      clusterName: "bad-format",
      kubeconfigSecretRef: { name: "c", format: "vault" },
    }),
    field: /spec\.kubeconfigSecretRef\.format: Unsupported value: "vault"/,
  },
  {
    what: "missing spec",
    obj: {
      apiVersion: "ksit.io/v1alpha1",
      kind: "IntegrationTarget",
      metadata: { name: "no-spec", namespace: ns },
    },
    field: /spec: Required value/,
  },
];

Deno.test("healthCheckInterval: every spelling of 5s..24h is accepted (the overflow guard rejects none)", async () => {
  const ok = ["5s", "1h30m", "24h", "23h59m59s", "1440m", "86400s", "86400000ms", "0.5h", "00030s", "99m"];
  for (const [i, interval] of ok.entries()) {
    const r = await apply(integration(`interval-${i}`, {
      type: "flux",
      targetClusters: ["a"],
      config: { healthCheckInterval: interval },
    }));
    assertEquals(r.code, 0, `${interval}: ${r.stderr}`);
  }
});

for (const c of invalid) {
  Deno.test(`rejected by the API server: ${c.what}`, async () => {
    const r = await apply(c.obj);
    assert(r.code !== 0, `expected a rejection, got: ${r.stdout}`);
    assertMatch(r.stderr, c.field);
  });
}
