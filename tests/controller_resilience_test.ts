/**
 * End-to-end resilience of `kubectl-ksit serve` (issue 4 items d, j, k): a workload API server stops and
 * comes back, the control-plane API server restarts, and leader failover between two `serve` processes.
 * Each test has its own namespaces and `serve` processes; servers are restarted in place (same port, data).
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import { installCrds } from "./support/crds.ts";
import { useHarness } from "./support/harness.ts";
import { eventually } from "./support/poll.ts";
import {
  adminKc,
  createIntegration,
  createNamespace,
  createTarget,
  dumpOnFailure,
  getIntegration,
  getTarget,
  leaseHolder,
  putKubeconfigSecret,
  readyCondition,
  seedFixture,
  startServe,
  waitPhase,
} from "./support/serve.ts";
import { setDeploymentStatus } from "./support/workloads.ts";

const harness = useHarness({ clusters: ["cp", "cluster-1", "cluster-2"] });

let crds: Promise<void> | undefined;
async function setupTargets(ns: string): Promise<KubeConfig> {
  crds ??= installCrds(harness().cluster("cp"));
  await crds;
  const h = harness();
  const cp = adminKc(h.cluster("cp"));
  await createNamespace(cp, ns);
  for (const name of ["cluster-1", "cluster-2"]) {
    await putKubeconfigSecret(cp, ns, `${name}-kubeconfig`, h.cluster(name).kubeconfigYaml);
    await createTarget(cp, ns, name, { clusterName: name });
  }
  return cp;
}

Deno.test("k. leader election: only the leader writes; kill -9 the leader ⇒ the other takes over", async () => {
  const h = harness();
  const ns = "res-k";
  await seedFixture(adminKc(h.cluster("cluster-1")), "tools/flux/install.yaml", "flux-k");
  const cp = await setupTargets(ns);
  await createIntegration(cp, ns, "flux", {
    type: "flux",
    targetClusters: ["cluster-1"],
    config: { namespace: "flux-k" },
  });
  const common = { kubeconfigPath: h.cluster("cp").kubeconfigPath, namespace: ns };
  const a = await startServe({ ...common, args: ["--leader-elect", "--identity=serve-a"] });
  const b = await startServe({ ...common, args: ["--leader-elect", "--identity=serve-b"] });
  try {
    await dumpOnFailure([a, b], async () => {
      await waitPhase(cp, ns, "flux", "Running");
      const first = await eventually(
        async () => (await leaseHolder(harness().cluster("cp"), ns)) || undefined,
        { what: "lease holder" },
      );
      const [leader, follower] = first === "serve-a" ? [a, b] : [b, a];
      // without sharding the follower stands by: it judges no target, holds no workload watch, writes nothing
      await eventually(async () => (await follower.get("/metrics")).text.includes("ksit_leader 0"), {
        what: "follower",
      });
      const fm = (await follower.get("/metrics")).text;
      assert(!fm.includes("ksit_status_writes_total{"), `follower wrote status:\n${fm}`);
      assert(
        !/ksit_api_requests_total\{target="res-k\//.test(fm),
        `follower contacted a workload cluster:\n${fm}`,
      );
      const lm = (await leader.get("/metrics")).text;
      assertStringIncludes(lm, "ksit_leader 1");
      assertStringIncludes(lm, `ksit_owned_targets{replica="${first}"} 2`);
      assertStringIncludes(lm, `ksit_shard_info{replica="${first}",mode="single",shard=""} 1`);
      assertStringIncludes(
        lm,
        'ksit_integration_phase{namespace="res-k",name="flux",type="flux",phase="Running"} 1',
      );

      const t0 = performance.now();
      await leader.stop("SIGKILL");
      const next = await eventually(async () => {
        const hld = await leaseHolder(harness().cluster("cp"), ns);
        return hld && hld !== first ? hld : undefined;
      }, { timeoutMs: 30_000, intervalMs: 100, what: "new lease holder" });
      const takeoverMs = Math.round(performance.now() - t0);
      console.log(`leader failover: ${first} -> ${next} in ${takeoverMs} ms (lease duration 15 s)`);
      // within the lease duration, plus one retry period (2 s) of slack for a loaded test machine
      assert(takeoverMs <= 15_000 + 2_000, `takeover took ${takeoverMs} ms (lease duration 15 s)`);
      // the new leader writes
      await setDeploymentStatus(adminKc(h.cluster("cluster-1")), "flux-k", "source-controller", {
        replicas: 1,
        available: 0,
      });
      const failed = await waitPhase(cp, ns, "flux", "Failed", 15_000);
      assertStringIncludes(failed.status?.message ?? "", "source-controller");
      assertEquals(await follower.stop(), 0);
    });
  } finally {
    await a.stop("SIGKILL");
    await b.stop("SIGKILL");
  }
});

Deno.test("j. the control-plane API server restarts ⇒ serve reconnects and keeps judging", async () => {
  const h = harness();
  const ns = "res-j";
  const c1 = adminKc(h.cluster("cluster-1"));
  await seedFixture(c1, "tools/istio/default.yaml", "istio-j");
  const cp = await setupTargets(ns);
  await createIntegration(cp, ns, "mesh", {
    type: "istio",
    targetClusters: ["cluster-1"],
    config: { namespace: "istio-j" },
  });
  const serve = await startServe({ kubeconfigPath: h.cluster("cp").kubeconfigPath, namespace: ns });
  try {
    await dumpOnFailure([serve], async () => {
      await waitPhase(cp, ns, "mesh", "Running");
      await h.cluster("cp").stop();
      // while the control plane is down, the workload changes
      await setDeploymentStatus(c1, "istio-j", "istiod", { replicas: 1, available: 0 });
      await h.cluster("cp").start();
      const failed = await waitPhase(cp, ns, "mesh", "Failed", 30_000);
      assertStringIncludes(failed.status?.message ?? "", "istiod");
      assertEquals((await serve.get("/healthz")).status, 200);
      assertEquals((await serve.get("/readyz")).status, 200);
      // and keeps judging after the restart
      await setDeploymentStatus(c1, "istio-j", "istiod", { replicas: 1, available: 1 });
      await waitPhase(cp, ns, "mesh", "Running", 15_000);
    });
  } finally {
    if (!h.cluster("cp").running) await h.cluster("cp").start();
    assertEquals(await serve.stop(), 0);
  }
});

Deno.test("d. a workload API server stops ⇒ its clusters Unknown/ClusterUnreachable; others stay Running; recovers", async () => {
  const h = harness();
  const ns = "res-d";
  await Promise.all(
    ["cluster-1", "cluster-2"].map((c) =>
      seedFixture(adminKc(h.cluster(c)), "tools/argocd/install.yaml", "argocd-d")
    ),
  );
  const cp = await setupTargets(ns);
  const config = { namespace: "argocd-d", healthCheckInterval: "5s" };
  await createIntegration(cp, ns, "on-1", { type: "argocd", targetClusters: ["cluster-1"], config });
  await createIntegration(cp, ns, "on-2", { type: "argocd", targetClusters: ["cluster-2"], config });
  await createIntegration(cp, ns, "both", {
    type: "argocd",
    targetClusters: ["cluster-1", "cluster-2"],
    config,
  });
  const serve = await startServe({ kubeconfigPath: h.cluster("cp").kubeconfigPath, namespace: ns });
  const c2 = h.cluster("cluster-2");
  try {
    await dumpOnFailure([serve], async () => {
      for (const n of ["on-1", "on-2", "both"]) await waitPhase(cp, ns, n, "Running");
      const on1 = await getIntegration(cp, ns, "on-1");
      const t0 = performance.now();
      await c2.stop(); // SIGTERM; the harness kills it after 5 s if it has not exited
      const down = performance.now();
      const unknown = await waitPhase(cp, ns, "on-2", "Unknown", 15_000);
      const end = performance.now();
      console.log(
        `unreachable detection latency (d): ${Math.round(end - t0)} ms from SIGTERM to the API server, ` +
          `${Math.round(end - down)} ms after it exited`,
      );
      assertEquals(unknown.status?.clusters?.[0]?.reason, "ClusterUnreachable");
      const both = await waitPhase(cp, ns, "both", "Unknown", 15_000);
      assertEquals(both.status?.clusters?.map((c) => `${c.name}:${c.phase}`), [
        "cluster-1:Running",
        "cluster-2:Unknown",
      ]);
      assertEquals(readyCondition(await getTarget(cp, ns, "cluster-2"))?.reason, "ClusterUnreachable");
      // the other cluster's Integration was never touched
      const still = await getIntegration(cp, ns, "on-1");
      assertEquals(still.status?.phase, "Running");
      assertEquals(still.metadata.resourceVersion, on1.metadata.resourceVersion);
      const warn = await cp.makeApiClient(CoreV1Api).listNamespacedEvent({
        namespace: ns,
        fieldSelector: "involvedObject.name=on-2",
      });
      assert(
        warn.items.some((e) => e.type === "Warning" && e.reason === "Unknown"),
        "Warning event on Unknown",
      );

      const t1 = performance.now();
      await c2.start();
      await waitPhase(cp, ns, "on-2", "Running", 30_000);
      await waitPhase(cp, ns, "both", "Running", 15_000);
      console.log(`recovery after restart (d): ${Math.round(performance.now() - t1)} ms`);
      assertEquals(readyCondition(await getTarget(cp, ns, "cluster-2"))?.reason, "Connected");
      console.log(`serve RSS (d): ${Math.round((await serve.rssKiB()) / 1024)} MiB`);
    });
  } finally {
    if (!c2.running) await c2.start();
    assertEquals(await serve.stop(), 0);
  }
});
