import { assertEquals } from "../tests/support/assert.ts";
import { argoCdSecret, capiSecret } from "./inventory_caches.ts";
import { projectSecret } from "./targets.ts";

Deno.test("capiSecret: only the kubeconfig of <cluster>-kubeconfig is cached, never Cluster API's CA keys", () => {
  const meta = (name: string) => ({
    name,
    namespace: "fleet",
    labels: { "cluster.x-k8s.io/cluster-name": "c" },
  });
  const kubeconfig = projectSecret(capiSecret({
    metadata: meta("c-kubeconfig"),
    type: "cluster.x-k8s.io/secret",
    data: { value: "a3ViZWNvbmZpZw==", other: "eA==" },
  }));
  assertEquals(kubeconfig.data, { value: "a3ViZWNvbmZpZw==" });
  assertEquals(kubeconfig.metadata?.labels, { "cluster.x-k8s.io/cluster-name": "c" });
  for (const name of ["c-ca", "c-etcd", "c-sa", "c-proxy"]) {
    const ca = projectSecret(capiSecret({
      metadata: meta(name),
      type: "cluster.x-k8s.io/secret",
      data: { "tls.crt": "Y2VydA==", "tls.key": "a2V5" },
    }));
    assertEquals(ca.data, {}, name);
  }
});

Deno.test("argoCdSecret: the fields name, server and config of an Argo CD cluster Secret", () => {
  const s = projectSecret(argoCdSecret({
    metadata: {
      name: "cluster-a",
      namespace: "argocd",
      labels: { "argocd.argoproj.io/secret-type": "cluster" },
    },
    data: { name: "YQ==", server: "aHR0cHM6Ly94", config: "e30=", namespaces: "YSxi", project: "cA==" },
  }));
  assertEquals(s.data, { name: "YQ==", server: "aHR0cHM6Ly94", config: "e30=" });
});
