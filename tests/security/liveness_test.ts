/**
 * A workload cluster that cannot serve reads is never "healthy" (issue 11, defect 4): its API server hung
 * (SIGSTOP), black-holed (a TCP proxy that stops forwarding), without etcd, or dead — each becomes Unknown
 * with its own words, while a quiet healthy cluster never flaps. Real kube-apiservers; the etcd-less one has
 * an etcd of its own (a second harness). Latencies are printed here and measured in `deno task bench`.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { installCrds } from "../support/crds.ts";
import { TcpProxy } from "../support/fake_cluster.ts";
import { useHarness } from "../support/harness.ts";
import {
  adminKc,
  createIntegration,
  createNamespace,
  createTarget,
  dumpOnFailure,
  getIntegration,
  getTarget,
  putKubeconfigSecret,
  readyCondition,
  seedFixture,
  startServe,
  waitPhase,
} from "../support/serve.ts";

const harness = useHarness({ clusters: ["cp", "quiet", "hung", "holed", "dead"] });
const etcdHarness = useHarness({ clusters: ["etcdless"] });
const ns = "liveness";

Deno.test("Unknown without a failing request: hung, black-holed, etcd down, dead; a quiet cluster never flaps", async () => {
  const h = harness();
  const e = etcdHarness();
  const cpc = h.cluster("cp");
  await installCrds(cpc);
  const cp = adminKc(cpc);
  await createNamespace(cp, ns);
  const holed = h.cluster("holed");
  const proxy = new TcpProxy({ hostname: "127.0.0.1", port: holed.port });
  const clusters = {
    quiet: h.cluster("quiet"),
    hung: h.cluster("hung"),
    holed,
    dead: h.cluster("dead"),
    etcdless: e.cluster("etcdless"),
  };
  const admin = { certPem: h.pki.admin.certPem, keyPem: h.pki.admin.keyPem };
  for (const [name, c] of Object.entries(clusters)) {
    await seedFixture(adminKc(c), "tools/flux/install.yaml", "flux-system");
    // the etcd-less cluster's harness has its own CA: its admin kubeconfig is self-contained
    const kubeconfig = name === "etcdless"
      ? c.kubeconfigYaml
      : c.kubeconfigFor(admin, name === "holed" ? { server: proxy.url } : {});
    await putKubeconfigSecret(cp, ns, `${name}-kubeconfig`, kubeconfig);
    await createTarget(cp, ns, name, { clusterName: name });
    await createIntegration(cp, ns, name, { type: "flux", targetClusters: [name] });
  }
  const serve = await startServe({ kubeconfigPath: cpc.kubeconfigPath, namespace: ns });
  try {
    await dumpOnFailure([serve], async () => {
      for (const name of Object.keys(clusters)) await waitPhase(cp, ns, name, "Running", 60_000);
      const quietBefore = await getIntegration(cp, ns, "quiet");
      const quietTarget = await getTarget(cp, ns, "quiet");

      const t0 = performance.now();
      clusters.hung.pause();
      proxy.blackhole();
      await Promise.all([e.stopEtcd(), clusters.dead.stop("SIGKILL")]);
      const latency: Record<string, number> = {};
      await Promise.all(["hung", "holed", "etcdless", "dead"].map(async (name) => {
        await waitPhase(cp, ns, name, "Unknown", 30_000);
        latency[name] = Math.round(performance.now() - t0);
      }));
      console.log(`Unknown after the fault (ms): ${JSON.stringify(latency)}`);

      const reason = async (name: string) => readyCondition(await getTarget(cp, ns, name));
      const hung = await reason("hung");
      assertEquals(hung?.reason, "ClusterUnreachable");
      assertMatch(hung?.message ?? "", /timed out/);
      assertEquals((await reason("holed"))?.reason, "ClusterUnreachable");
      const etcdless = await reason("etcdless");
      assertEquals(etcdless?.reason, "ClusterNotReady");
      assertMatch(
        etcdless?.message ?? "",
        /the API server answers but cannot serve reads: .*etcd/,
      );
      const dead = await reason("dead");
      assertEquals(dead?.reason, "ClusterUnreachable");
      assertMatch(dead?.message ?? "", /connection refused/);
      for (const name of ["hung", "holed", "etcdless", "dead"]) {
        const i = await getIntegration(cp, ns, name);
        assertEquals(i.status?.clusters?.[0]?.phase, "Unknown", name);
        assert(!JSON.stringify(i.status).includes("error sending request"), `${name}: no raw transport text`);
      }

      // the quiet cluster saw its heartbeat every 10 s all along: not a single status write
      await observeQuiet(cp, 12_000);
      assertEquals(
        (await getIntegration(cp, ns, "quiet")).metadata.resourceVersion,
        quietBefore.metadata.resourceVersion,
      );
      assertEquals(
        (await getTarget(cp, ns, "quiet")).metadata.resourceVersion,
        quietTarget.metadata.resourceVersion,
      );

      // every fault repaired ⇒ Running again
      const t1 = performance.now();
      clusters.hung.resume();
      proxy.restore();
      await Promise.all([e.restartEtcd(), clusters.dead.start()]);
      for (const name of ["hung", "holed", "etcdless", "dead"]) {
        await waitPhase(cp, ns, name, "Running", 60_000);
      }
      console.log(`all Running again ${Math.round(performance.now() - t1)} ms after the repairs`);
      assertEquals(
        (await getIntegration(cp, ns, "quiet")).metadata.resourceVersion,
        quietBefore.metadata.resourceVersion,
      );
    });
  } finally {
    clusters.hung.resume();
    proxy.close();
    assertEquals(await serve.stop(), 0);
  }
});

/** Polls the quiet Integration for `ms`: it must stay Running the whole time. */
async function observeQuiet(cp: KubeConfig, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const i = await getIntegration(cp, ns, "quiet");
    assertEquals(i.status?.phase, "Running", `the quiet cluster flapped: ${i.status?.message}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
