import { assert, assertEquals } from "../tests/support/assert.ts";
import {
  argoCdEntries,
  capiEntries,
  claimNames,
  clusterProfileEntries,
  dnsName,
  entryTarget,
  profileAccess,
  targetOrigin,
} from "./inventory.ts";

const b64 = (s: string) => btoa(s);

Deno.test("dnsName: Argo CD cluster names as DNS names, or nothing", () => {
  assertEquals(dnsName("prod-1.example.com"), "prod-1.example.com");
  assertEquals(dnsName("Prod_Cluster EU"), "prod-cluster-eu");
  assertEquals(dnsName("--a..b--"), "a.b");
  assertEquals(dnsName("https://10.0.0.1:6443"), "https-10.0.0.1-6443");
  assertEquals(dnsName("!!!"), undefined);
  assertEquals(dnsName("x".repeat(300)), undefined);
});

Deno.test("capi: a target per Cluster, its labels, its <cluster>-kubeconfig Secret key value in place", () => {
  const [e] = capiEntries([{
    apiVersion: "cluster.x-k8s.io/v1beta2",
    metadata: {
      name: "prod-1",
      namespace: "fleet",
      uid: "u1",
      labels: { env: "prod", "ksit.io/source": "x" },
    },
  }]);
  assertEquals(e!.name, "prod-1");
  assertEquals(e!.object, "Cluster fleet/prod-1");
  assertEquals(e!.labels, { env: "prod" }, "KSIT's own labels are not the inventory's to give");
  assertEquals(e!.spec.kubeconfigSecretRef, {
    name: "prod-1-kubeconfig",
    namespace: "fleet",
    key: "value",
    format: "kubeconfig",
  });
  const t = entryTarget(e!, "ksit-system", "synced");
  assertEquals(t.metadata.labels, {
    env: "prod",
    "ksit.io/source": "capi",
    "app.kubernetes.io/managed-by": "ksit-inventory",
  });
  assertEquals(t.metadata.annotations, { "ksit.io/source-object": "Cluster fleet/prod-1" });
  assertEquals(t.metadata.ownerReferences, undefined, "no ownerReference across namespaces");
  const same = entryTarget(e!, "fleet", "synced");
  assertEquals(same.metadata.ownerReferences, [{
    apiVersion: "cluster.x-k8s.io/v1beta2",
    kind: "Cluster",
    name: "prod-1",
    uid: "u1",
  }]);
  const imported = entryTarget(e!, "ksit-system", "imported");
  assertEquals(imported.metadata.labels?.["ksit.io/imported-from"], "capi");
  assertEquals(imported.metadata.labels?.["ksit.io/source"], undefined);
  assertEquals(targetOrigin(imported), { kind: "imported", source: "capi" });
  assertEquals(targetOrigin(t), { kind: "synced", source: "capi" });
  assertEquals(targetOrigin({ metadata: {} }), { kind: "manual" });
});

Deno.test("argocd: named after the name field, labels without the secret-type label, the Secret itself", () => {
  const entries = argoCdEntries([
    {
      metadata: {
        name: "cluster-prod-eu",
        namespace: "argocd",
        labels: { "argocd.argoproj.io/secret-type": "cluster", env: "prod" },
      },
      data: { name: b64("Prod EU"), server: b64("https://x") },
    },
    { metadata: { name: "cluster-noname", namespace: "argocd" }, data: { server: b64("https://y") } },
    { metadata: { name: "cluster-bad", namespace: "argocd" }, data: { name: "%%%" } },
  ]);
  assertEquals(entries.map((e) => e.name), ["prod-eu", "cluster-noname", "cluster-bad"]);
  assertEquals(entries[0]!.labels, { env: "prod" });
  assertEquals(entries[0]!.spec, {
    clusterName: "prod-eu",
    kubeconfigSecretRef: { name: "cluster-prod-eu", namespace: "argocd", format: "argocd" },
  });
});

Deno.test("clusterprofile: KEP-5339's secret readers in process; other providers by the secret reader convention", () => {
  const exec = (
    config: Record<string, unknown>,
  ) => [{ name: "client.authentication.k8s.io/exec", extension: config }];
  const profile = (name: string, providers: unknown[], credentialProviders: unknown[] = []) => ({
    apiVersion: "multicluster.x-k8s.io/v1alpha1",
    metadata: { name, namespace: "fleet", uid: `u-${name}`, labels: { region: "eu" } },
    status: { accessProviders: providers, credentialProviders },
  } as Parameters<typeof clusterProfileEntries>[0][number]);
  const entries = clusterProfileEntries([
    profile("kc", [{
      name: "kubeconfig-secretreader",
      cluster: {
        server: "https://a",
        extensions: exec({ name: "kc-kubeconfig", key: "value", namespace: "fleet" }),
      },
    }]),
    profile("tok", [
      { name: "google", cluster: { server: "https://g" } },
      {
        name: "secretreader",
        cluster: { server: "https://b", extensions: exec({ clusterName: "spoke-1" }) },
      },
    ]),
    profile("gke", [{ name: "google", cluster: { server: "https://g" } }]),
    profile("old", [], [{ name: "secretreader", cluster: { server: "https://c" } }]),
    profile("none", []),
  ], "ksit-system");
  const specs = Object.fromEntries(entries.map((e) => [e.name, e.spec]));
  assertEquals(specs.kc!.kubeconfigSecretRef, {
    name: "kc-kubeconfig",
    namespace: "fleet",
    key: "value",
    format: "kubeconfig",
  });
  assertEquals(specs.kc!.clusterProfileRef, {
    name: "kc",
    namespace: "fleet",
    accessProvider: "kubeconfig-secretreader",
  });
  assertEquals(specs.tok!.kubeconfigSecretRef, {
    name: "spoke-1",
    namespace: "ksit-system",
    key: "token",
    format: "token",
  });
  assertEquals(specs.tok!.clusterProfileRef?.accessProvider, "secretreader");
  assertEquals(specs.gke!.kubeconfigSecretRef, {
    name: "gke",
    namespace: "ksit-system",
    key: "token",
    format: "token",
  });
  assertEquals(specs.gke!.clusterProfileRef?.accessProvider, "google");
  assertEquals(
    specs.old!.clusterProfileRef?.accessProvider,
    "secretreader",
    "deprecated credentialProviders read",
  );
  assertEquals(specs.none!.clusterProfileRef, { name: "none", namespace: "fleet" });
  assertEquals(entries[0]!.labels, { region: "eu" });

  assert("problem" in profileAccess(profile("none", [])));
  assert(
    "problem" in profileAccess(profile("gke", [{ name: "google", cluster: { server: "https://g" } }]), "aws"),
  );
  assert("problem" in profileAccess(profile("x", [{ name: "google", cluster: {} }])));
  const ok = profileAccess(profile("gke", [{ name: "google", cluster: { server: "https://g" } }]));
  assert("provider" in ok && ok.provider.name === "google");
});

Deno.test("claimNames: the first claim by source then namespace/name wins, whatever the order listed", () => {
  const capi = capiEntries([{ metadata: { name: "prod-1", namespace: "z" } }]);
  const argo = argoCdEntries([
    { metadata: { name: "s1", namespace: "argocd" }, data: { name: b64("prod-1") } },
    { metadata: { name: "s2", namespace: "argocd" }, data: { name: b64("prod-2") } },
  ]);
  for (const entries of [[...capi, ...argo], [...argo, ...capi].reverse()]) {
    const { winners, lost } = claimNames(entries);
    assertEquals(winners.get("prod-1")?.object, "Cluster z/prod-1");
    assertEquals(winners.get("prod-2")?.object, "Secret argocd/s2");
    assertEquals(lost.map((l) => [l.entry.object, l.to.object]), [["Secret argocd/s1", "Cluster z/prod-1"]]);
  }
});
