/**
 * The Helm chart on real API servers: lint, template (default and non-default values) validated by the
 * server, install/upgrade/uninstall (CRDs stay), least privilege of the chart's ServiceAccount, and the
 * workload-cluster ClusterRole being read-only.
 */
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";
import { type TestCluster, useHarness } from "./support/harness.ts";

const harness = useHarness({ clusters: ["cp", "work"] });
const chart = new URL("../deploy/helm/ksit", import.meta.url).pathname;
const workloadRbac = new URL("../deploy/workload-rbac/", import.meta.url).pathname;

async function helm(c: TestCluster, args: string[]) {
  const h = harness();
  return await h.run(h.bin.helm, ["--kubeconfig", c.kubeconfigPath, ...args], undefined, {
    HOME: h.dir,
    HELM_CACHE_HOME: `${h.dir}/helm/cache`,
    HELM_CONFIG_HOME: `${h.dir}/helm/config`,
    HELM_DATA_HOME: `${h.dir}/helm/data`,
  });
}

async function ok(p: Promise<{ code: number; stdout: string; stderr: string }>, what: string) {
  const r = await p;
  assertEquals(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `kubectl auth can-i` reads "res/x" as a named object: subresources go through --subresource. */
/** `kind/subresource` or `kind#name` as `kubectl auth can-i` arguments. */
function canIResource(resource: string): string[] {
  if (resource.includes("#")) return [resource.replace("#", "/")];
  const [res, sub] = resource.split("/");
  return sub ? [res!, `--subresource=${sub}`] : [res!];
}

/** Stand-in ServiceMonitor and PrometheusRule CRDs so the optional objects validate server-side. */
function standInCrd(kind: string, plural: string) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.monitoring.coreos.com` },
    spec: {
      group: "monitoring.coreos.com",
      scope: "Namespaced",
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [{
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      }],
    },
  };
}

const serviceMonitorCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "servicemonitors.monitoring.coreos.com" },
  spec: {
    group: "monitoring.coreos.com",
    scope: "Namespaced",
    names: {
      kind: "ServiceMonitor",
      plural: "servicemonitors",
      singular: "servicemonitor",
      listKind: "ServiceMonitorList",
    },
    versions: [{
      name: "v1",
      served: true,
      storage: true,
      schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
    }],
  },
};

const nonDefault = [
  "--set",
  "replicaCount=2",
  "--set",
  "watch.allNamespaces=true",
  "--set",
  "metrics.serviceMonitor.enabled=true",
  "--set",
  "serve.logLevel=debug",
  "--set",
  "serve.allowExecAuth=true",
  "--set",
  "fullnameOverride=kc",
  "--set",
  "serve.allowedServers={10.0.0.0/8,*.clusters.example.com}",
  "--set",
  "secrets.labelSelector=ksit.io/kubeconfig=true",
  "--set",
  "prometheusRule.enabled=true",
  "--set",
  "grafana.dashboard.enabled=true",
  "--set",
  "ui.address=0.0.0.0",
];

Deno.test("helm lint --strict passes, with default and non-default values", async () => {
  const c = harness().cluster("cp");
  await ok(helm(c, ["lint", "--strict", chart]), "lint");
  await ok(helm(c, ["lint", "--strict", chart, ...nonDefault]), "lint non-default");
});

Deno.test("values.schema.json rejects bad values with the field named", async () => {
  const c = harness().cluster("cp");
  const r = await helm(c, ["template", "x", chart, "--set", "serve.logLevel=loud"]);
  assert(r.code !== 0);
  assertMatch(r.stderr, /serve\.logLevel|logLevel/);
  const r2 = await helm(c, ["template", "x", chart, "--set", "replicaCount=-1"]);
  assert(r2.code !== 0);
  assertStringIncludes(r2.stderr, "replicaCount");
});

Deno.test("helm template output is accepted by the API server (kubectl apply --dry-run=server)", async () => {
  const c = harness().cluster("cp");
  await ok(
    c.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(serviceMonitorCrd) }),
    "servicemonitor crd",
  );
  await ok(
    c.kubectl(["apply", "-f", "-"], {
      stdin: JSON.stringify(standInCrd("PrometheusRule", "prometheusrules")),
    }),
    "prometheusrule crd",
  );
  await ok(
    c.kubectl([
      "wait",
      "--for=condition=Established",
      "crd/servicemonitors.monitoring.coreos.com",
      "crd/prometheusrules.monitoring.coreos.com",
    ]),
    "est",
  );
  for (const [ns, extra] of [["tpl-default", []], ["tpl-custom", nonDefault]] as const) {
    await ok(c.kubectl(["create", "namespace", ns]), "ns");
    const rendered = await ok(
      helm(c, ["template", "rel", chart, "-n", ns, "--include-crds", ...extra]),
      `template ${ns}`,
    );
    const docs = parseAllDocuments(rendered).map((d) => d.toJS()).filter(Boolean);
    const kinds = docs.map((d) => d.kind).sort();
    assert(kinds.includes("Deployment") && kinds.includes("ServiceAccount"), kinds.join(","));
    const dep = docs.find((d) => d.kind === "Deployment");
    const ctr = dep.spec.template.spec.containers[0];
    assertEquals(ctr.securityContext.readOnlyRootFilesystem, true);
    assertEquals(ctr.securityContext.capabilities.drop, ["ALL"]);
    assertEquals(dep.spec.template.spec.securityContext.runAsNonRoot, true);
    assertEquals(ctr.livenessProbe.httpGet.path, "/healthz");
    assertEquals(ctr.readinessProbe.httpGet.path, "/readyz");
    if (extra.length) {
      assert(ctr.args.includes("--leader-elect"), "replicas > 1 turns leader election on");
      assert(ctr.args.includes("--all-namespaces"));
      assert(ctr.args.includes("--allowed-servers=10.0.0.0/8,*.clusters.example.com"), ctr.args.join(" "));
      assert(ctr.args.includes("--secret-selector=ksit.io/kubeconfig=true"), ctr.args.join(" "));
      assert(kinds.includes("ClusterRole"), kinds.join(","));
      // several replicas share the targets: each its own Lease, named after its pod
      assert(ctr.args.includes("--sharding=dynamic"), ctr.args.join(" "));
      assert(ctr.args.includes("--identity=$(POD_NAME)"), ctr.args.join(" "));
      // with --all-namespaces the Lease rights stay Roles in the release namespace: the leader's limited to
      // its Lease, the replicas' own Leases (names follow pod names) in that namespace only
      const roles = docs.filter((d) => d.kind === "Role");
      assertEquals(roles.map((r) => r.metadata.name).sort(), ["kc-leader-election", "kc-sharding"]);
      for (const r of roles) assertEquals(r.metadata.namespace, ns);
      const leader = roles.find((r) => r.metadata.name === "kc-leader-election");
      assertEquals(leader.rules.find((r: { resourceNames?: string[] }) => r.resourceNames)?.resourceNames, [
        "kc-leader",
      ]);
      assert(kinds.includes("PodDisruptionBudget") && kinds.includes("ServiceMonitor"), kinds.join(","));
      assert(kinds.includes("PrometheusRule") && kinds.includes("ConfigMap"), kinds.join(","));
      const sm = docs.find((d) => d.kind === "ServiceMonitor");
      assertEquals(sm.spec.endpoints[0].honorLabels, true, "KSIT's namespace label is kept");
      // the dashboard on all interfaces: its port is declared
      assert(ctr.args.includes("--ui-addr=0.0.0.0:8081"), ctr.args.join(" "));
      assert(ctr.ports.some((p: { name: string }) => p.name === "ui"), JSON.stringify(ctr.ports));
    } else {
      // the dashboard on the pod's loopback (kubectl port-forward only): no port declared
      assert(ctr.args.includes("--ui-addr=127.0.0.1:8081"), ctr.args.join(" "));
      assert(!ctr.ports.some((p: { name: string }) => p.name === "ui"), JSON.stringify(ctr.ports));
      assert(!kinds.includes("PrometheusRule") && !kinds.includes("ConfigMap"), kinds.join(","));
      assert(!ctr.args.includes("--leader-elect"));
      assert(!ctr.args.some((a: string) => a.startsWith("--sharding")), "one replica judges all");
      assert(ctr.args.includes(`--namespace=${ns}`));
      assert(kinds.includes("Role") && !kinds.includes("ClusterRole"), kinds.join(","));
      assert(!kinds.includes("PodDisruptionBudget"));
    }
    await ok(
      c.kubectl(["apply", "--dry-run=server", "-n", ns, "-f", "-"], { stdin: rendered }),
      `dry-run ${ns}`,
    );
  }
});

Deno.test("helm install, upgrade and uninstall on a real API server; CRDs stay", async () => {
  const c = harness().cluster("cp");
  const ns = "ksit-install";
  await ok(helm(c, ["install", "ksit", chart, "-n", ns, "--create-namespace"]), "install");
  const crds = await ok(c.kubectl(["get", "crd", "-o", "name"]), "crds");
  assertStringIncludes(crds, "integrations.ksit.io");
  assertStringIncludes(crds, "integrationtargets.ksit.io");
  const dep = JSON.parse(await ok(c.kubectl(["get", "deploy", "ksit", "-n", ns, "-o", "json"]), "deploy"));
  assertEquals(dep.spec.replicas, 1);

  await ok(
    helm(c, ["upgrade", "ksit", chart, "-n", ns, "--set", "replicaCount=2", "--set", "serve.concurrency=8"]),
    "up",
  );
  const dep2 = JSON.parse(await ok(c.kubectl(["get", "deploy", "ksit", "-n", ns, "-o", "json"]), "deploy"));
  assertEquals(dep2.spec.replicas, 2);
  const args: string[] = dep2.spec.template.spec.containers[0].args;
  assert(args.includes("--concurrency=8") && args.includes("--leader-elect"), args.join(" "));
  await ok(c.kubectl(["get", "pdb", "ksit", "-n", ns]), "pdb after upgrade");

  await ok(helm(c, ["uninstall", "ksit", "-n", ns]), "uninstall");
  const gone = await c.kubectl(["get", "deploy", "ksit", "-n", ns]);
  assert(gone.code !== 0, "the Deployment is removed");
  const still = await ok(c.kubectl(["get", "crd", "integrations.ksit.io", "-o", "name"]), "crd stays");
  assertStringIncludes(still, "integrations.ksit.io");
});

Deno.test("the chart's ServiceAccount has least privilege", async () => {
  const c = harness().cluster("cp");
  const ns = "ksit-rbac";
  await ok(
    helm(c, [
      "install",
      "ksit",
      chart,
      "-n",
      ns,
      "--create-namespace",
      "--set",
      "leaderElection.enabled=true",
    ]),
    "install",
  );
  await ok(c.kubectl(["create", "namespace", "elsewhere"]), "ns");
  const sa = `system:serviceaccount:${ns}:ksit`;
  const can = async (verb: string, resource: string, namespace: string) =>
    (await c.kubectl(["auth", "can-i", verb, ...canIResource(resource), "-n", namespace, "--as", sa])).stdout
      .trim() === "yes";
  for (
    const [verb, resource] of [
      ["list", "secrets"],
      ["watch", "secrets"],
      ["list", "integrations.ksit.io"],
      ["watch", "integrationtargets.ksit.io"],
      ["patch", "integrations.ksit.io/status"],
      ["patch", "integrationtargets.ksit.io/status"],
      ["create", "events"],
      ["patch", "events"],
      ["list", "events"],
      ["create", "leases.coordination.k8s.io"],
      ["update", "leases.coordination.k8s.io#ksit-leader"],
      ["get", "leases.coordination.k8s.io#ksit-leader"],
    ]
  ) assert(await can(verb!, resource!, ns), `${sa} should ${verb} ${resource} in ${ns}`);
  for (
    const [verb, resource, where] of [
      ["get", "secrets", "elsewhere"],
      ["list", "secrets", "default"],
      ["get", "secrets#some-secret", ns],
      ["list", "integrations.ksit.io", "elsewhere"],
      ["create", "secrets", ns],
      ["delete", "secrets", ns],
      ["update", "integrations.ksit.io", ns],
      ["update", "integrations.ksit.io/status", ns],
      ["create", "deployments.apps", ns],
      ["create", "pods", ns],
      // only its own Lease: not another controller's
      ["update", "leases.coordination.k8s.io#other-controller", ns],
      ["get", "leases.coordination.k8s.io#other-controller", ns],
      ["create", "leases.coordination.k8s.io", "elsewhere"],
    ]
  ) assert(!(await can(verb!, resource!, where!)), `${sa} must not ${verb} ${resource} in ${where}`);
  // the ServiceAccount does not automount its token; only the controller's pod mounts it
  const saObj = JSON.parse(await ok(c.kubectl(["get", "sa", "ksit", "-n", ns, "-o", "json"]), "sa"));
  assertEquals(saObj.automountServiceAccountToken, false);
  const dep = JSON.parse(await ok(c.kubectl(["get", "deploy", "ksit", "-n", ns, "-o", "json"]), "deploy"));
  assertEquals(dep.spec.template.spec.automountServiceAccountToken, true);
  // one replica without leader election: no Lease permissions at all
  await ok(helm(c, ["upgrade", "ksit", chart, "-n", ns, "--set", "leaderElection.enabled=false"]), "upgrade");
  assert(!(await can("create", "leases.coordination.k8s.io", ns)), "no Lease rights without leader election");
});

Deno.test("the workload-cluster ClusterRole is sufficient and read-only", async () => {
  const w = harness().cluster("work");
  await ok(w.kubectl(["create", "namespace", "ksit-system"]), "ns");
  await ok(w.kubectl(["apply", "-f", workloadRbac + "serviceaccount.yaml"]), "sa");
  await ok(w.kubectl(["apply", "-f", workloadRbac + "clusterrole.yaml"]), "clusterrole");
  await ok(w.kubectl(["apply", "-f", workloadRbac + "clusterrolebinding.yaml"]), "binding");
  const token = await w.token("ksit-system", "ksit-reader");
  const path = `${w.dir}/reader.kubeconfig`;
  await Deno.writeTextFile(path, w.kubeconfigFor({ token }));
  const can = async (verb: string, resource: string, ns = "argocd") =>
    (await w.kubectl(["auth", "can-i", verb, resource, "-n", ns], { kubeconfig: path })).stdout.trim() ===
      "yes";
  for (
    const [verb, resource] of [
      ["list", "deployments.apps"],
      ["watch", "statefulsets.apps"],
      ["list", "endpointslices.discovery.k8s.io"],
      ["get", "deployments.apps"],
    ]
  ) assert(await can(verb!, resource!), `reader should ${verb} ${resource}`);
  for (
    const [verb, resource] of [
      ["create", "deployments.apps"],
      ["patch", "deployments.apps"],
      ["update", "statefulsets.apps/status"],
      ["delete", "endpointslices.discovery.k8s.io"],
      ["get", "secrets"],
      ["list", "configmaps"],
      ["create", "pods"],
    ]
  ) assert(!(await can(verb!, resource!)), `reader must not ${verb} ${resource}`);
  // and it can actually read what KSIT reads
  const r = await w.kubectl(["get", "deploy,sts,endpointslices", "-A"], { kubeconfig: path });
  assertEquals(r.code, 0, r.stderr);
  // the role's rules in the file are what the cluster has
  const role = parseYaml(await Deno.readTextFile(workloadRbac + "clusterrole.yaml"));
  const onServer = JSON.parse(
    await ok(w.kubectl(["get", "clusterrole", role.metadata.name, "-o", "json"]), "get"),
  );
  assertEquals(onServer.rules.length, role.rules.length);
});

Deno.test("inventories: each enabled source gets its least RBAC in its namespaces, and serve its flags", async () => {
  const c = harness().cluster("cp");
  const ns = "ksit-inv";
  for (const n of ["fleet-inv", "argocd-inv", "profiles-inv"]) {
    await ok(c.kubectl(["create", "namespace", n]), n);
  }
  // the real CRDs of the sources (kubectl auth can-i resolves resources through discovery)
  const inventoryCrds = new URL("./fixtures/inventory/", import.meta.url).pathname;
  for (const crd of ["capi-clusters-crd.yaml", "clusterprofiles-crd.yaml"]) {
    await ok(c.kubectl(["apply", "--server-side", "-f", `${inventoryCrds}${crd}`]), crd);
  }
  await ok(
    c.kubectl([
      "wait",
      "--for=condition=Established",
      "crd/clusters.cluster.x-k8s.io",
      "crd/clusterprofiles.multicluster.x-k8s.io",
    ]),
    "established",
  );
  const values = [
    "--set",
    "inventories.capi.enabled=true",
    "--set",
    "inventories.capi.namespaces={fleet-inv}",
    "--set",
    "inventories.argocd.enabled=true",
    "--set",
    "inventories.argocd.sync=false",
    "--set",
    "inventories.argocd.namespaces={argocd-inv}",
    "--set",
    "inventories.clusterProfiles.enabled=true",
    "--set",
    "inventories.clusterProfiles.namespaces={profiles-inv}",
  ];
  await ok(helm(c, ["install", "ksit", chart, "-n", ns, "--create-namespace", ...values]), "install");
  const dep = JSON.parse(await ok(c.kubectl(["get", "deploy", "ksit", "-n", ns, "-o", "json"]), "deploy"));
  const args: string[] = dep.spec.template.spec.containers[0].args;
  for (
    const a of [
      "--inventory=capi=fleet-inv",
      "--credentials-from=argocd=argocd-inv",
      "--inventory=clusterprofile=profiles-inv",
    ]
  ) {
    assert(args.includes(a), `${a} in ${args.join(" ")}`);
  }
  const sa = `system:serviceaccount:${ns}:ksit`;
  const can = async (verb: string, resource: string, namespace: string) =>
    (await c.kubectl(["auth", "can-i", verb, ...canIResource(resource), "-n", namespace, "--as", sa])).stdout
      .trim() === "yes";
  for (
    const [verb, resource, where] of [
      ["list", "secrets", "fleet-inv"],
      ["watch", "secrets", "fleet-inv"],
      ["list", "clusters.cluster.x-k8s.io", "fleet-inv"],
      ["watch", "clusters.cluster.x-k8s.io", "fleet-inv"],
      ["list", "secrets", "argocd-inv"],
      ["watch", "secrets", "argocd-inv"],
      ["list", "clusterprofiles.multicluster.x-k8s.io", "profiles-inv"],
      ["watch", "clusterprofiles.multicluster.x-k8s.io", "profiles-inv"],
      ["create", "integrationtargets.ksit.io", ns],
      ["patch", "integrationtargets.ksit.io", ns],
      ["delete", "integrationtargets.ksit.io", ns],
    ]
  ) assert(await can(verb!, resource!, where!), `${sa} should ${verb} ${resource} in ${where}`);
  for (
    const [verb, resource, where] of [
      ["get", "secrets", "fleet-inv"],
      ["create", "secrets", "fleet-inv"],
      ["create", "secrets", ns],
      ["list", "secrets", "profiles-inv"],
      // argocd is read only (sync: false): no Clusters anywhere, no targets written for it elsewhere
      ["list", "clusters.cluster.x-k8s.io", "argocd-inv"],
      ["create", "integrationtargets.ksit.io", "argocd-inv"],
      ["update", "integrationtargets.ksit.io", ns],
      ["update", "clusters.cluster.x-k8s.io", "fleet-inv"],
      ["list", "secrets", "default"],
    ]
  ) assert(!(await can(verb!, resource!, where!)), `${sa} must not ${verb} ${resource} in ${where}`);
  // capi without sync reads its Secrets only; no source synced: no right to write targets
  await ok(
    helm(c, [
      "upgrade",
      "ksit",
      chart,
      "-n",
      ns,
      ...values,
      "--set",
      "inventories.capi.sync=false",
      "--set",
      "inventories.clusterProfiles.sync=false",
    ]),
    "upgrade",
  );
  assert(!(await can("list", "clusters.cluster.x-k8s.io", "fleet-inv")), "no Clusters without sync");
  assert(await can("list", "secrets", "fleet-inv"), "credentials still readable");
  assert(!(await can("create", "integrationtargets.ksit.io", ns)), "no target writes without sync");
  // a bad namespace is refused by the values schema
  const bad = await helm(c, ["template", "x", chart, "--set", "inventories.capi.namespaces={Bad_NS}"]);
  assert(bad.code !== 0);
  assertStringIncludes(bad.stderr, "inventories");
  await ok(helm(c, ["uninstall", "ksit", "-n", ns]), "uninstall");
});
