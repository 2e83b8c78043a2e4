/**
 * Watches end when their informer ends (issue 15): every path that stops or replaces an informer's list+watch —
 * stop, restart while listing or watching, a watch the server ends at its timeoutSeconds, a relist after
 * `410 Gone`, a dropped connection, a target removed, a kubeconfig Secret rotated, serve stopped — leaves no
 * watch request or response stream behind. Counted in the code (DenoWatch.live: requests started and not yet
 * finished, their response streams included), on real API servers.
 */
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { ClusterClient } from "../kube/client.ts";
import { Informer } from "../kube/informer.ts";
import { closeTransport, DenoWatch, tuneTransport } from "../kube/transport.ts";
import { nullLogger } from "../util/log.ts";
import { Semaphore } from "../util/semaphore.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { installCrds } from "./support/crds.ts";
import { TcpProxy } from "./support/fake_cluster.ts";
import { useHarness } from "./support/harness.ts";
import { eventually } from "./support/poll.ts";
import {
  adminKc,
  createIntegration,
  createNamespace,
  createTarget,
  putKubeconfigSecret,
  seedFixture,
  waitPhase,
} from "./support/serve.ts";

// Deployments without the watch cache: their watches are served by etcd, so a watch from a compacted
// resourceVersion gets 410 Gone (the watch cache's own "too old" window only drops events older than 75 s)
const harness = useHarness({
  clusters: ["cp", "w1"],
  apiserverArgs: ["--watch-cache-sizes=deployments.apps#0"],
});

interface Options {
  kc?: KubeConfig;
  /** The first list answers this (old) resourceVersion and no items: the watch from it gets 410 Gone. */
  firstListResourceVersion?: string;
  watchTimeoutSeconds?: number;
}

function informers(n: number, o: Options = {}) {
  const kc = o.kc ?? harness().cluster("w1").kc();
  const client = new ClusterClient(kc, {
    target: "w1",
    timeoutMs: 5_000,
    countRequest: () => {},
    global: new Semaphore(64),
  });
  const apps = client.api(AppsV1Api);
  let lists = 0;
  const all = Array.from({ length: n }, (_, i) =>
    new Informer({
      name: `deployments ${i}`,
      client,
      path: "/apis/apps/v1/namespaces/default/deployments",
      list: () => {
        if (lists++ < n && o.firstListResourceVersion) {
          return Promise.resolve({ items: [], metadata: { resourceVersion: o.firstListResourceVersion } });
        }
        return apps.listNamespacedDeployment({ namespace: "default" });
      },
      onChange: () => {},
      log: nullLogger,
      maxBackoffMs: 500,
      ...(o.watchTimeoutSeconds ? { watchTimeoutSeconds: () => o.watchTimeoutSeconds! } : {}),
    }));
  return { kc, all, lists: () => lists };
}

async function settle(what: string, expected: number, timeoutMs = 10_000) {
  await eventually(() => DenoWatch.live === expected, {
    what: `${what}: ${expected} live watches`,
    timeoutMs,
  })
    .catch((e) => {
      throw new Error(`${(e as Error).message}; live ${DenoWatch.live}`);
    });
}

Deno.test("no watch outlives its informer: start, restart while listing or watching, stop", async () => {
  const before = DenoWatch.live;
  const { kc, all } = informers(20);
  for (const i of all) i.start();
  await eventually(() => all.every((i) => i.established), { what: "20 watches established" });
  assertEquals(DenoWatch.live - before, 20);
  // restarts in quick succession: each replaces a list+watch that may be listing, opening or open
  for (let round = 0; round < 5; round++) {
    for (const i of all) i.restart();
    await new Promise((r) => setTimeout(r, round * 7)); // different moments of the replaced list+watch
  }
  await eventually(() => all.every((i) => i.established), { what: "re-established after restarts" });
  await settle("after restarts", before + 20);
  // stop right after a restart, while the new list+watch is under way
  for (const i of all) i.restart();
  for (const i of all) i.stop();
  await settle("after stop", before);
  await closeTransport(kc);
});

Deno.test("watches the server ends at timeoutSeconds are replaced one for one; a 410 Gone relists", async () => {
  const before = DenoWatch.live;
  const started = DenoWatch.started;
  const compacted = await harness().compactEtcd();
  const old = 50; // written while the API server started, compacted away now
  assert(compacted > old, `etcd revision ${compacted}`);
  const { kc, all, lists } = informers(10, { firstListResourceVersion: String(old), watchTimeoutSeconds: 1 });
  for (const i of all) i.start();
  // every first watch (from a compacted resourceVersion) is refused with 410 Gone: a fresh list
  await eventually(() => lists() >= 20 && all.every((i) => i.established), {
    what: "relisted after 410 Gone and watching",
  });
  // the server ends each watch after 1 s: ≥ 3 generations of watches, never more than one per informer open
  let peak = 0;
  await eventually(() => {
    peak = Math.max(peak, DenoWatch.live - before);
    return DenoWatch.started - started >= 40;
  }, { what: "watches ended by the server and reopened", intervalMs: 20 });
  assert(peak <= 10, `at most one watch per informer at a time, saw ${peak}`);
  for (const i of all) i.stop();
  await settle("after stop", before);
  await closeTransport(kc);
});

Deno.test("connections dropped under open watches: the watches end, the informers reconnect, none is left", async () => {
  const before = DenoWatch.live;
  const w1 = harness().cluster("w1");
  const proxy = new TcpProxy({ hostname: "127.0.0.1", port: w1.port });
  const kc = tuneTransport(new KubeConfig());
  kc.loadFromString(
    w1.kubeconfigFor({ certPem: w1.harness.pki.admin.certPem, keyPem: w1.harness.pki.admin.keyPem }, {
      server: proxy.url,
    }),
  );
  const { all } = informers(10, { kc });
  try {
    for (const i of all) i.start();
    await eventually(() => all.every((i) => i.established), { what: "10 watches through the proxy" });
    for (let round = 0; round < 3; round++) {
      proxy.restore(); // closes every connection: the watches' streams end with an error
      await eventually(() => all.every((i) => !i.established), { what: `round ${round}: watches ended` });
      await eventually(() => all.every((i) => i.established), { what: `round ${round}: reconnected` });
      await settle(`round ${round}`, before + 10);
    }
  } finally {
    for (const i of all) i.stop();
    proxy.close();
  }
  await settle("after stop", before);
  await closeTransport(kc);
});

Deno.test("serve: a rotated kubeconfig Secret, a removed target and stopping serve leave no watch behind", async () => {
  const h = harness();
  const cp = adminKc(h.cluster("cp"));
  const w1 = h.cluster("w1");
  await installCrds(h.cluster("cp"));
  const ns = "leak";
  await createNamespace(cp, ns);
  await seedFixture(w1.kc(), "tools/argocd/install.yaml", "argocd");
  const before = DenoWatch.live;
  const { runServe } = await import("../controller/serve.ts");
  const stop = new AbortController();
  const done = runServe({
    kubeconfig: h.cluster("cp").kubeconfigPath,
    namespace: ns,
    healthAddr: "127.0.0.1:0",
    leaderElect: false,
    concurrency: 2,
    requestTimeout: 5_000,
    allowExecAuth: false,
    logLevel: "error",
  }, stop.signal);
  try {
    // the control plane's own informers (Integrations, IntegrationTargets, Secrets)
    await settle("serve started", before + 3, 30_000);
    const controlPlane = before + 3;
    await putKubeconfigSecret(cp, ns, "w1-kubeconfig", w1.kubeconfigYaml);
    await createTarget(cp, ns, "w1", { clusterName: "w1" });
    await createIntegration(cp, ns, "gitops", { type: "argocd", targetClusters: ["w1"] });
    await waitPhase(cp, ns, "gitops", "Running");
    const running = DenoWatch.live;
    assert(running > controlPlane, `workload watches open (${running - controlPlane})`);

    // rotated: the connection is rebuilt and every watch on the old one ends
    for (let round = 0; round < 3; round++) {
      const started = DenoWatch.started;
      await putKubeconfigSecret(cp, ns, "w1-kubeconfig", `${w1.kubeconfigYaml}\n# rotated ${round}\n`);
      await eventually(() => DenoWatch.started - started >= running - controlPlane, {
        what: `round ${round}: watches reopened on the new connection`,
      });
      await settle(`round ${round}: rotated`, running);
    }

    // removed: the target's caches, heartbeat and connection go
    await cp.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
      group: "ksit.io",
      version: "v1alpha1",
      namespace: ns,
      plural: "integrationtargets",
      name: "w1",
    });
    await settle("target removed", controlPlane, 30_000);
  } finally {
    stop.abort();
    await done;
  }
  await settle("serve stopped", before);
  await cp.makeApiClient(CoreV1Api).deleteNamespace({ name: ns }).catch(() => {});
});
