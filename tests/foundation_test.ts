/**
 * The foundation test: three real API servers; under Deno, client-node creates a namespace and a Deployment
 * on each, writes status through /status, lists it back, a watch sees a later change, and kubectl shows it.
 */
import { AppsV1Api, CoreV1Api, type V1Deployment, VersionApi } from "@kubernetes/client-node";
import { DenoWatch } from "../kube/transport.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";
import { useHarness } from "./support/harness.ts";
import { eventually } from "./support/poll.ts";
import { deploymentManifest, setDeploymentStatus } from "./support/workloads.ts";

const harness = useHarness({ clusters: 3 });

Deno.test("three independent API servers: create, /status, list, watch, kubectl", async () => {
  const h = harness();
  assertEquals(h.clusters.length, 3);
  await Promise.all(h.clusters.map(async (c, i) => {
    const kc = c.kc();
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const ns = `foundation-${i}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: deploymentManifest("web", ns, { app: "web" }, 2),
    });
    await setDeploymentStatus(kc, ns, "web", { replicas: 2, available: 1 });

    const list = await apps.listNamespacedDeployment({ namespace: ns });
    assertEquals(list.items.length, 1);
    assertEquals(list.items[0]?.status?.availableReplicas, 1);

    // every server is its own cluster: the other servers do not have this namespace
    for (const other of h.clusters.filter((o) => o !== c)) {
      const names = (await other.kc().makeApiClient(CoreV1Api).listNamespace()).items.map((n) =>
        n.metadata?.name
      );
      assert(!names.includes(ns), `${other.name} must not see ${ns}`);
    }

    // a watch from the list's resourceVersion sees the later status change
    const seen: number[] = [];
    const watch = new DenoWatch(kc);
    const ctl = await watch.watch(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type: string, obj: V1Deployment) => {
        if (type === "MODIFIED") seen.push(obj.status?.availableReplicas ?? 0);
      },
      () => {},
    );
    try {
      await setDeploymentStatus(kc, ns, "web", { replicas: 2, available: 2 });
      await eventually(() => seen.includes(2), { timeoutMs: 10_000, what: `${c.name}: watch event` });
    } finally {
      ctl.abort();
    }

    const r = await c.kubectl(["get", "deploy", "-n", ns]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/m);
    assertMatch(r.stdout, /^web\s+2\/2\s+2\s+2\s+/m);
  }));
});

Deno.test("servers report the built Kubernetes version; kubectl is the same build", async () => {
  const h = harness();
  const info = await h.clusters[0]!.kc().makeApiClient(VersionApi).getCode();
  assertMatch(info.gitVersion, /^v1\.\d+\.\d+$/);
  const r = await h.clusters[0]!.kubectl(["version", "-o", "json"]);
  assertEquals(r.code, 0, r.stderr);
  const v = JSON.parse(r.stdout);
  assertEquals(v.clientVersion.gitVersion, info.gitVersion);
  assertEquals(v.serverVersion.gitVersion, info.gitVersion);
});

Deno.test("RBAC is enforced and TokenRequest works", async () => {
  const c = harness().clusters[1]!;
  const ns = "rbac-check";
  assertEquals((await c.kubectl(["create", "namespace", ns])).code, 0);
  assertEquals((await c.kubectl(["create", "serviceaccount", "reader", "-n", ns])).code, 0);
  const token = await c.token(ns, "reader");
  const path = `${c.dir}/reader.kubeconfig`;
  await Deno.writeTextFile(path, c.kubeconfigFor({ token }));
  const denied = await c.kubectl(["get", "secrets", "-n", ns], { kubeconfig: path });
  assert(denied.code !== 0, "a fresh ServiceAccount must not list secrets");
  assertStringIncludes(denied.stderr, "forbidden");
  const who = await c.kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], {
    kubeconfig: path,
  });
  assertEquals(who.stdout, `system:serviceaccount:${ns}:reader`);
});
