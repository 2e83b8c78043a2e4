/**
 * `gather` + `judgeCluster` against a real API server seeded with the fixture objects give the same verdict as
 * judging the fixture file directly; and gather makes only the calls a tool needs, under a deadline.
 */
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type { ToolType } from "../api/types.ts";
import { clientNodeReader } from "../kube/workload_reader.ts";
import { judgeCluster } from "../checks/mod.ts";
import { gather, GatherError, type WorkloadReader } from "../kube/gather.ts";
import { loadSnapshot } from "./fixtures/load.ts";
import { assert, assertEquals, assertRejects } from "./support/assert.ts";
import { useHarness } from "./support/harness.ts";
import { seedFixture } from "./support/serve.ts";
import { setDeploymentStatus } from "./support/workloads.ts";

const harness = useHarness({ clusters: ["work"] });

const cases: { fixture: string; type: ToolType }[] = [
  { fixture: "tools/argocd/install.yaml", type: "argocd" },
  { fixture: "tools/argocd/helm-argo.yaml", type: "argocd" },
  { fixture: "tools/argocd/ha-install.yaml", type: "argocd" },
  { fixture: "tools/flux/install.yaml", type: "flux" },
  { fixture: "tools/prometheus/kps-prometheus.yaml", type: "prometheus" },
  { fixture: "tools/prometheus/kps-kps.yaml", type: "prometheus" },
  { fixture: "tools/prometheus/kube-prometheus.yaml", type: "prometheus" },
  { fixture: "tools/istio/default.yaml", type: "istio" },
  { fixture: "tools/istio/revisioned.yaml", type: "istio" },
];

/** Sorts a snapshot's lists by name so the two sources compare by content only. */
const byName = <T extends { metadata?: { name?: string } }>(xs: T[] = []) =>
  [...xs].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));

let n = 0;
for (const c of cases) {
  Deno.test(`real server verdict equals fixture verdict: ${c.fixture}`, async () => {
    const w = harness().cluster("work");
    const ns = `gather-${++n}`;
    const fixtureUrl = new URL(`./fixtures/${c.fixture}`, import.meta.url);
    await seedFixture(w.kc(), fixtureUrl.href, ns);
    const expected = judgeCluster({
      cluster: "work",
      type: c.type,
      snapshot: await loadSnapshot(fixtureUrl, { namespace: ns }),
    });
    const snapshot = await gather(clientNodeReader(w.kc()), {
      namespace: ns,
      types: c.type,
      timeoutMs: 5000,
    });
    const actual = judgeCluster({ cluster: "work", type: c.type, snapshot });
    assertEquals(actual, expected);
    assertEquals(
      byName(snapshot.deployments).map((d) => d.metadata?.name),
      (await loadSnapshot(fixtureUrl)).deployments.map((d) => d.metadata?.name).sort(),
    );
    assertEquals(actual.phase, "Running", JSON.stringify(actual));
  });
}

Deno.test("a broken component on the real server gives the same verdict as the mutated fixture", async () => {
  const w = harness().cluster("work");
  const ns = "gather-broken";
  const fixtureUrl = new URL("./fixtures/tools/argocd/install.yaml", import.meta.url);
  await seedFixture(w.kc(), fixtureUrl.href, ns);
  await setDeploymentStatus(w.kc(), ns, "argocd-repo-server", { replicas: 2, available: 0 });
  const snapshot = await gather(clientNodeReader(w.kc()), {
    namespace: ns,
    types: "argocd",
    timeoutMs: 5000,
  });
  const verdict = judgeCluster({ cluster: "work", type: "argocd", snapshot });
  assertEquals(verdict.phase, "Failed");
  const repo = verdict.components?.find((x) => x.name === "argocd-repo-server");
  assertEquals(repo?.status, "Unhealthy");
  assertEquals(repo?.ready, "0/2");
  assertEquals(verdict.message, "argocd-repo-server: 0/2 available");
});

Deno.test("gather lists StatefulSets and EndpointSlices only for tools that need them", async () => {
  const w = harness().cluster("work");
  const real = clientNodeReader(w.kc());
  const calls: string[] = [];
  const counting: WorkloadReader = {
    listDeployments: (ns, s) => (calls.push("deployments"), real.listDeployments(ns, s)),
    listStatefulSets: (ns, s) => (calls.push("statefulsets"), real.listStatefulSets(ns, s)),
    listDaemonSets: (ns, s) => (calls.push("daemonsets"), real.listDaemonSets(ns, s)),
    listEndpointSlices: (ns, s) => (calls.push("endpointslices"), real.listEndpointSlices(ns, s)),
    listAllNamespaces: (k, sel, s) => (calls.push(`all ${k}`), real.listAllNamespaces(k, sel, s)),
  };
  await gather(counting, { namespace: "default", types: "flux", timeoutMs: 5000 });
  assertEquals(calls.sort(), ["deployments"]);
  calls.length = 0;
  await gather(counting, { namespace: "default", types: "flux", timeoutMs: 5000, withStatefulSets: true });
  assertEquals(calls.sort(), ["deployments", "statefulsets"]);
  calls.length = 0;
  await gather(counting, { namespace: "default", types: "argocd", timeoutMs: 5000 });
  assertEquals(calls.sort(), ["deployments", "endpointslices", "statefulsets"]);
});

Deno.test("gather against a stopped server fails with ClusterUnreachable; RBAC denial with Forbidden", async () => {
  const h = harness();
  const w = h.cluster("work");
  // Forbidden: a ServiceAccount with no permissions
  await w.kc().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: "gather-rbac" } } });
  assertEquals((await w.kubectl(["create", "serviceaccount", "nobody", "-n", "gather-rbac"])).code, 0);
  const token = await w.token("gather-rbac", "nobody");
  const kcText = w.kubeconfigFor({ token });
  const kc = new KubeConfig();
  kc.loadFromString(kcText);
  const err = await assertRejects(() =>
    gather(clientNodeReader(kc), { namespace: "argocd", types: "flux", timeoutMs: 5000 })
  );
  assert(err instanceof GatherError, String(err));
  assertEquals(err.reason, "Forbidden");

  // unreachable: a port nobody listens on
  const dead = new KubeConfig();
  dead.loadFromString(w.kubeconfigFor({ token }, { server: "https://127.0.0.1:1" }));
  const err2 = await assertRejects(() =>
    gather(clientNodeReader(dead), { namespace: "x", types: "flux", timeoutMs: 3000 })
  );
  assert(err2 instanceof GatherError, String(err2));
  assertEquals(err2.reason, "ClusterUnreachable");
});
