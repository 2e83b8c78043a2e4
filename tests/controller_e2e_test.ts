/**
 * End-to-end tests of `kubectl-ksit serve` on real API servers: a control plane "cp" + two live workload
 * clusters (kube-controller-manager, kube-scheduler, kwok nodes: tests/support/live.ts), issue 4 items a, b, c, i
 * (Running, failure detection, recovery + Event, no status churn), e, f, g, h, and 7 (least privilege). Every
 * workload status comes from the real controllers: failures are kubectl operations (tests/support/faults.ts),
 * never status writes. Each test has its own namespaces and its own `serve` process.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Integration } from "../api/types.ts";
import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import { installCrds } from "./support/crds.ts";
import { rollBack, rollOutBadImage, scaleToZero } from "./support/faults.ts";
import { useHarness } from "./support/harness.ts";
import { installTool, waitRolledOut } from "./support/live_workloads.ts";
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
  startServe,
  waitPhase,
} from "./support/serve.ts";

const harness = useHarness({
  clusters: ["cp", "cluster-1", "cluster-2"],
  live: ["cluster-1", "cluster-2"],
});

let crds: Promise<void> | undefined;
function cpReady(): Promise<void> {
  crds ??= installCrds(harness().cluster("cp"));
  return crds;
}

/** A tool fixture on a live workload cluster as real objects, rolled out by the controllers. */
async function install(cluster: string, fixture: string, namespace: string) {
  await installTool(harness().cluster(cluster), fixture, namespace);
}

/** Control-plane namespace with the two targets (Secrets with admin kubeconfigs of the workload clusters). */
async function setupTargets(ns: string, labels: Record<string, Record<string, string>> = {}) {
  await cpReady();
  const h = harness();
  const cp = adminKc(h.cluster("cp"));
  await createNamespace(cp, ns);
  for (const name of ["cluster-1", "cluster-2"]) {
    await putKubeconfigSecret(cp, ns, `${name}-kubeconfig`, h.cluster(name).kubeconfigYaml);
    await createTarget(cp, ns, name, { clusterName: name }, labels[name]);
  }
  return cp;
}

async function events(kc: KubeConfig, ns: string, name: string) {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedEvent({
    namespace: ns,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items.map((e) => ({ type: e.type, reason: e.reason, message: e.message ?? "" }));
}

/** The status entry of component `component` on cluster `cluster`. */
function component(i: Integration, cluster: string, component: string) {
  return i.status?.clusters?.find((c) => c.name === cluster)?.components?.find((x) => x.name === component);
}

Deno.test("serve on live clusters: a bad image rolled out ⇒ Degraded naming cluster and component, Failed at the progress deadline; kubectl rollout undo ⇒ Running + Normal Event; no status churn; no status written by the test", async () => {
  const h = harness();
  const ns = "e2e-abc";
  const c2 = h.cluster("cluster-2");
  await Promise.all([
    install("cluster-1", "tools/argocd/install.yaml", "argocd"),
    install("cluster-2", "tools/argocd/install.yaml", "argocd"),
  ]);
  // the Deployment's own deadline, shortened as a user may do (default 600 s), so the test sees it pass
  const deadlineS = 10;
  const patched = await c2.kubectl([
    "-n",
    "argocd",
    "patch",
    "deployment",
    "argocd-repo-server",
    "-p",
    JSON.stringify({ spec: { progressDeadlineSeconds: deadlineS } }),
  ]);
  assertEquals(patched.code, 0, patched.stderr);
  await waitRolledOut(c2, "argocd", ["deployment/argocd-repo-server"]);
  const cp = await setupTargets(ns);
  await createIntegration(cp, ns, "argo", {
    type: "argocd",
    targetClusters: ["cluster-1", "cluster-2"],
    config: { healthCheckInterval: "5s" },
  });
  const serve = await startServe({ kubeconfigPath: h.cluster("cp").kubeconfigPath, namespace: ns });
  try {
    await dumpOnFailure([serve], async () => {
      // a. healthy tools on both ⇒ Running, HEALTHY 2/2; kubectl wait works
      const running = await waitPhase(cp, ns, "argo", "Running");
      assertEquals(running.status?.healthy, "2/2");
      assertEquals(running.status?.clusters?.map((c) => c.phase), ["Running", "Running"]);
      const wait = await h.cluster("cp").kubectl([
        "wait",
        "-n",
        ns,
        "--for=condition=Ready",
        "integration/argo",
        "--timeout=20s",
      ]);
      assertEquals(wait.code, 0, wait.stderr);
      const t1 = await getTarget(cp, ns, "cluster-1");
      assertEquals(readyCondition(t1)?.reason, "Connected");
      assert(t1.status?.serverVersion?.startsWith("v1."), `serverVersion ${t1.status?.serverVersion}`);
      const get = await h.cluster("cp").kubectl(["get", "integ", "-n", ns]);
      assertStringIncludes(get.stdout, "Running");

      // b. `kubectl set image` to a tag that never pulls, on cluster-2's argocd-repo-server (2 replicas): the
      // Deployment controller starts one new pod beside the two old ones and waits ⇒ Degraded, naming both
      const t0 = performance.now();
      await rollOutBadImage(c2, "argocd", "argocd-repo-server");
      const degraded = await waitPhase(cp, ns, "argo", "Degraded", 15_000);
      const degradedMs = Math.round(performance.now() - t0);
      assertStringIncludes(degraded.status?.message ?? "", "cluster-2");
      assertStringIncludes(degraded.status?.message ?? "", "argocd-repo-server");
      assertEquals(degraded.status?.healthy, "1/2");
      const rolling = component(degraded, "cluster-2", "argocd-repo-server");
      assertEquals([rolling?.status, rolling?.reason], ["Degraded", "RolloutInProgress"]);
      // … and Failed once the Deployment controller declares ProgressDeadlineExceeded
      const failed = await waitPhase(cp, ns, "argo", "Failed", (deadlineS + 30) * 1000);
      const failedMs = Math.round(performance.now() - t0);
      assertStringIncludes(failed.status?.message ?? "", "cluster-2");
      assertStringIncludes(failed.status?.message ?? "", "argocd-repo-server");
      const stuck = component(failed, "cluster-2", "argocd-repo-server");
      assertEquals([stuck?.status, stuck?.reason], ["Unhealthy", "ProgressDeadlineExceeded"]);
      console.log(
        `detection (live): kubectl set image → Degraded ${degradedMs} ms; → Failed ${failedMs} ms ` +
          `(progressDeadlineSeconds ${deadlineS})`,
      );

      // c. `kubectl rollout undo` ⇒ Running and a Normal Event (and the Warning before it)
      const tUndo = performance.now();
      await rollBack(c2, "argocd", "argocd-repo-server");
      await waitPhase(cp, ns, "argo", "Running", 30_000);
      console.log(
        `recovery (live): kubectl rollout undo → Running ${Math.round(performance.now() - tUndo)} ms`,
      );
      const evs = await eventually(async () => {
        const e = await events(cp, ns, "argo");
        return e.some((x) => x.type === "Normal" && x.reason === "Recovered") ? e : undefined;
      }, { timeoutMs: 10_000, what: "Normal Recovered event" });
      const warning = evs.find((e) => e.type === "Warning" && e.reason === "Failed");
      assert(warning, `no Warning event: ${JSON.stringify(evs)}`);
      assertStringIncludes(warning.message, "cluster-2");
      assertStringIncludes(warning.message, "argocd-repo-server");

      // i. nothing changes ⇒ resourceVersion stays the same over 3 intervals (5 s each), while the live
      // clusters' controllers and kubelets keep running
      const before = await getIntegration(cp, ns, "argo");
      const until = Date.now() + 16_000;
      while (Date.now() < until) {
        const now = await getIntegration(cp, ns, "argo");
        assertEquals(
          now.metadata.resourceVersion,
          before.metadata.resourceVersion,
          "status rewritten without change",
        );
        await new Promise((r) => setTimeout(r, 1000)); // the condition here is time passing
      }

      const metrics = await serve.get("/metrics");
      assertStringIncludes(
        metrics.text,
        `ksit_integration_phase{namespace="${ns}",name="argo",type="argocd",phase="Running"} 1`,
      );
      assertStringIncludes(
        metrics.text,
        `ksit_target_reachable{namespace="${ns}",name="cluster-1",cluster="cluster-1",reason="Connected"} 1`,
      );
      assertStringIncludes(
        metrics.text,
        'ksit_component_healthy{namespace="e2e-abc",integration="argo",type="argocd",cluster="cluster-2",component="argocd-repo-server",status="Healthy"} 1',
      );
      assertStringIncludes(metrics.text, "ksit_check_duration_seconds_bucket");
      assertStringIncludes(
        metrics.text,
        'ksit_api_requests_total{target="control-plane",verb="patch",code="2xx"}',
      );
      console.log(`serve RSS (a-c, i): ${Math.round((await serve.rssKiB()) / 1024)} MiB`);
    });
  } finally {
    assertEquals(await serve.stop(), 0, "serve exits 0 on SIGTERM");
  }

  // a restarted serve judges the same status: it writes nothing and records no Event
  const before = await getIntegration(cp, ns, "argo");
  const eventsBefore = (await events(cp, ns, "argo")).length;
  const again = await startServe({ kubeconfigPath: h.cluster("cp").kubeconfigPath, namespace: ns });
  try {
    await eventually(
      async () => (await again.get("/metrics")).text.includes(`name="argo",type="argocd",phase="Running"} 1`),
      { what: "restarted serve judged argo" },
    );
    const after = await getIntegration(cp, ns, "argo");
    assertEquals(
      after.metadata.resourceVersion,
      before.metadata.resourceVersion,
      "status rewritten after restart",
    );
    assertEquals((await events(cp, ns, "argo")).length, eventsBefore, "Event recorded after restart");
  } finally {
    assertEquals(await again.stop(), 0);
  }
});

Deno.test("serve: Secret deleted ⇒ SecretNotFound, recreated ⇒ Connected; exec kubeconfig ⇒ ExecAuthNotAllowed", async () => {
  const h = harness();
  const ns = "e2e-ef";
  await install("cluster-1", "tools/flux/install.yaml", "flux-ef");
  const cp = await setupTargets(ns);
  // f. a third target whose kubeconfig runs an exec plugin
  await putKubeconfigSecret(
    cp,
    ns,
    "exec-kubeconfig",
    h.cluster("cluster-2").kubeconfigFor({ exec: { command: "/bin/true" } }),
  );
  await createTarget(cp, ns, "exec", {
    clusterName: "exec",
    kubeconfigSecretRef: { name: "exec-kubeconfig" },
  });
  await createIntegration(cp, ns, "flux", {
    type: "flux",
    targetClusters: ["cluster-1"],
    config: { namespace: "flux-ef", healthCheckInterval: "5s" },
  });
  await createIntegration(cp, ns, "flux-exec", {
    type: "flux",
    targetClusters: ["exec"],
    config: { namespace: "flux-ef" },
  });
  const serve = await startServe({ kubeconfigPath: h.cluster("cp").kubeconfigPath, namespace: ns });
  try {
    await dumpOnFailure([serve], async () => {
      await waitPhase(cp, ns, "flux", "Running");
      const exec = await eventually(async () => {
        const t = await getTarget(cp, ns, "exec");
        return readyCondition(t)?.reason === "ExecAuthNotAllowed" ? t : undefined;
      }, { what: "exec target ExecAuthNotAllowed" });
      assertEquals(readyCondition(exec)?.status, "False");
      const fe = await waitPhase(cp, ns, "flux-exec", "Unknown");
      assertEquals(fe.status?.clusters?.[0]?.reason, "ExecAuthNotAllowed");

      // e. delete the Secret ⇒ SecretNotFound (and the Integration on it Unknown); recreate ⇒ Connected
      await cp.makeApiClient(CoreV1Api).deleteNamespacedSecret({
        name: "cluster-1-kubeconfig",
        namespace: ns,
      });
      await eventually(
        async () => readyCondition(await getTarget(cp, ns, "cluster-1"))?.reason === "SecretNotFound",
        {
          what: "cluster-1 SecretNotFound",
        },
      );
      const unknown = await waitPhase(cp, ns, "flux", "Unknown");
      assertEquals(unknown.status?.clusters?.[0]?.reason, "SecretNotFound");
      await putKubeconfigSecret(cp, ns, "cluster-1-kubeconfig", h.cluster("cluster-1").kubeconfigYaml);
      await eventually(
        async () => readyCondition(await getTarget(cp, ns, "cluster-1"))?.reason === "Connected",
        {
          what: "cluster-1 Connected again",
        },
      );
      await waitPhase(cp, ns, "flux", "Running");
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
});

Deno.test("serve: targetSelector picks targets by label and follows label changes", async () => {
  const h = harness();
  const ns = "e2e-g";
  await Promise.all(["cluster-1", "cluster-2"].map((c) => install(c, "tools/istio/default.yaml", "istio-g")));
  const cp = await setupTargets(ns, { "cluster-1": { env: "prod" }, "cluster-2": { env: "dev" } });
  await createIntegration(cp, ns, "mesh", {
    type: "istio",
    targetSelector: { matchLabels: { env: "prod" } },
    config: { namespace: "istio-g" },
  });
  const serve = await startServe({ kubeconfigPath: h.cluster("cp").kubeconfigPath, namespace: ns });
  try {
    await dumpOnFailure([serve], async () => {
      const clusters = async (want: string[]) =>
        await eventually(async () => {
          const i = await getIntegration(cp, ns, "mesh");
          const names = (i.status?.clusters ?? []).map((c) => c.name);
          return i.status?.phase === "Running" && JSON.stringify(names) === JSON.stringify(want)
            ? i
            : undefined;
        }, { timeoutMs: 20_000, what: `mesh on ${want}` });
      assertEquals((await clusters(["cluster-1"])).status?.healthy, "1/1");
      await relabel(cp, ns, "cluster-2", { env: "prod" });
      assertEquals((await clusters(["cluster-1", "cluster-2"])).status?.healthy, "2/2");
      await relabel(cp, ns, "cluster-1", { env: "dev" });
      assertEquals((await clusters(["cluster-2"])).status?.healthy, "1/1");
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
});

async function relabel(kc: KubeConfig, ns: string, name: string, labels: Record<string, string>) {
  const r = await harness().cluster("cp").kubectl([
    "label",
    "--overwrite",
    "-n",
    ns,
    `integrationtarget/${name}`,
    ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
  ]);
  assertEquals(r.code, 0, r.stderr);
  void kc;
}

Deno.test("serve with only the chart's Role (ServiceAccount token): custom namespace and kube-prometheus-stack `kps`", async () => {
  const h = harness();
  const ns = "e2e-h7";
  const cpc = h.cluster("cp");
  await Promise.all([
    install("cluster-1", "tools/argocd/install.yaml", "tools-h"),
    install("cluster-2", "tools/prometheus/kps-kps.yaml", "monitoring-h"),
  ]);
  const cp = await setupTargets(ns);
  // 7. a ServiceAccount bound to exactly the rules of deploy/helm/ksit/files/controller-rbac.yaml and
  // files/leader-election-rbac.yaml (its Lease by name: serve's default lease name)
  const files = ["controller-rbac.yaml", "leader-election-rbac.yaml"];
  const roles = await Promise.all(
    files.map((f) => Deno.readTextFile(new URL(`../deploy/helm/ksit/files/${f}`, import.meta.url))),
  );
  for (
    const args of [
      ["create", "serviceaccount", "ksit", "-n", ns],
      ["create", "rolebinding", "ksit", "-n", ns, "--role=ksit-controller", `--serviceaccount=${ns}:ksit`],
      [
        "create",
        "rolebinding",
        "ksit-leader-election",
        "-n",
        ns,
        "--role=ksit-controller-leader-election",
        `--serviceaccount=${ns}:ksit`,
      ],
    ]
  ) {
    const r = await cpc.kubectl(args);
    assertEquals(r.code, 0, r.stderr);
  }
  for (const role of roles) {
    const applied = await cpc.kubectl(["apply", "-n", ns, "-f", "-"], { stdin: role });
    assertEquals(applied.code, 0, applied.stderr);
  }
  const token = await cpc.token(ns, "ksit");
  const kubeconfigPath = `${h.dir}/${ns}-sa.kubeconfig`;
  await Deno.writeTextFile(kubeconfigPath, cpc.kubeconfigFor({ token }));
  const cannot = await cpc.kubectl(["--kubeconfig", kubeconfigPath, "get", "pods", "-n", ns]);
  assert(cannot.code !== 0, "the ServiceAccount must not read pods");

  await createIntegration(cp, ns, "argo-custom", {
    type: "argocd",
    targetClusters: ["cluster-1"],
    config: { namespace: "tools-h" },
  });
  await createIntegration(cp, ns, "kps", {
    type: "prometheus",
    targetClusters: ["cluster-2"],
    config: { namespace: "monitoring-h" },
  });
  const serve = await startServe({ kubeconfigPath, namespace: ns, args: ["--leader-elect"] });
  try {
    await dumpOnFailure([serve], async () => {
      const argo = await waitPhase(cp, ns, "argo-custom", "Running");
      assertEquals(argo.status?.healthy, "1/1");
      const kps = await waitPhase(cp, ns, "kps", "Running");
      assertStringIncludes(kps.status?.message ?? "", "required components healthy");
      assertEquals(readyCondition(await getTarget(cp, ns, "cluster-2"))?.reason, "Connected");
      // a failure is written and an Event recorded with these permissions too (kubectl scale --replicas=0)
      await scaleToZero(h.cluster("cluster-2"), "monitoring-h", "kps-kube-prometheus-stack-operator");
      const failed = await waitPhase(cp, ns, "kps", "Failed", 15_000);
      assertStringIncludes(failed.status?.message ?? "", "cluster-2");
      // the release-prefixed operator was found (a failed cluster lists its components in status)
      const names = failed.status?.clusters?.[0]?.components?.map((c) => `${c.name}=${c.workload}`) ?? [];
      assert(names.some((n) => n.includes("=kps-kube-prometheus-stack-operator")), JSON.stringify(names));
      await eventually(async () => (await events(cp, ns, "kps")).some((e) => e.type === "Warning"), {
        what: "Warning event",
      });
      assert((await leaseHolder(cpc, ns)).length > 0, "lease held");
      const denied = (await serve.logs()).filter((l) => JSON.stringify(l).includes("403"));
      assertEquals(denied, [], "no Forbidden errors in serve's log");
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
  // SIGTERM released the lease
  assertEquals(await leaseHolder(cpc, ns), "", "lease released on SIGTERM");
});

Deno.test("serve --mode=poll judges per interval without workload watches; enabled: false ⇒ Disabled, no calls", async () => {
  const h = harness();
  const ns = "e2e-poll";
  await install("cluster-1", "tools/argocd/install.yaml", "argocd-p");
  const cp = await setupTargets(ns);
  await createIntegration(cp, ns, "argo", {
    type: "argocd",
    targetClusters: ["cluster-1"],
    config: { namespace: "argocd-p", healthCheckInterval: "5s" },
  });
  await createIntegration(cp, ns, "off", { type: "flux", enabled: false, targetClusters: ["cluster-2"] });
  const serve = await startServe({
    kubeconfigPath: h.cluster("cp").kubeconfigPath,
    namespace: ns,
    args: ["--mode=poll"],
  });
  try {
    await dumpOnFailure([serve], async () => {
      await waitPhase(cp, ns, "argo", "Running");
      const off = await waitPhase(cp, ns, "off", "Disabled");
      assertEquals(readyCondition(off)?.status, "False");
      assertEquals(off.status?.clusters, []);
      const t0 = performance.now();
      await scaleToZero(h.cluster("cluster-1"), "argocd-p", "argocd-server");
      await waitPhase(cp, ns, "argo", "Failed", 15_000);
      console.log(
        `detection latency, poll mode with a 5 s interval: ${Math.round(performance.now() - t0)} ms`,
      );
      const m = (await serve.get("/metrics")).text;
      assert(m.includes(`ksit_api_requests_total{target="${ns}/cluster-1",verb="list",code="2xx"}`), m);
      assert(
        !m.includes(`ksit_api_requests_total{target="${ns}/cluster-1",verb="watch"`),
        "poll mode must not watch",
      );
      assert(
        !m.includes(`ksit_api_requests_total{target="${ns}/cluster-2",verb="list"`),
        "disabled: no lists",
      );
      assert(
        !m.includes(`ksit_api_requests_total{target="${ns}/cluster-2",verb="watch"`),
        "disabled: no watches",
      );
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
});

Deno.test("serve: bad token ⇒ Unauthorized; no RBAC on the workload cluster ⇒ Forbidden (Unknown, never stale)", async () => {
  const h = harness();
  const ns = "e2e-auth";
  const c1 = h.cluster("cluster-1");
  await install("cluster-1", "tools/flux/install.yaml", "flux-auth");
  await cpReady();
  const cp = adminKc(h.cluster("cp"));
  await createNamespace(cp, ns);
  // a ServiceAccount with no permissions on cluster-1: /version is public, listing Deployments is not
  for (
    const args of [["create", "namespace", "auth-sa"], [
      "create",
      "serviceaccount",
      "nobody",
      "-n",
      "auth-sa",
    ]]
  ) {
    const r = await c1.kubectl(args);
    assertEquals(r.code, 0, r.stderr);
  }
  await putKubeconfigSecret(
    cp,
    ns,
    "norbac-kubeconfig",
    c1.kubeconfigFor({ token: await c1.token("auth-sa", "nobody") }),
  );
  await putKubeconfigSecret(cp, ns, "badtoken-kubeconfig", c1.kubeconfigFor({ token: "not-a-token" }));
  await createTarget(cp, ns, "norbac", { clusterName: "norbac" });
  await createTarget(cp, ns, "badtoken", { clusterName: "badtoken" });
  await createIntegration(cp, ns, "flux", {
    type: "flux",
    targetClusters: ["norbac", "badtoken"],
    config: { namespace: "flux-auth" },
  });
  const serve = await startServe({
    kubeconfigPath: h.cluster("cp").kubeconfigPath,
    namespace: ns,
    args: ["--request-timeout=3s"],
  });
  try {
    await dumpOnFailure([serve], async () => {
      await eventually(
        async () => readyCondition(await getTarget(cp, ns, "badtoken"))?.reason === "Unauthorized",
        {
          what: "badtoken Unauthorized",
        },
      );
      // the other target is reconciled on its own, perhaps a moment later
      await eventually(
        async () => readyCondition(await getTarget(cp, ns, "norbac"))?.reason === "Connected",
        { what: "norbac Connected (/version is public)" },
      );
      const flux = await eventually(async () => {
        const i = await getIntegration(cp, ns, "flux");
        const reasons = (i.status?.clusters ?? []).map((c) => `${c.name}:${c.phase}:${c.reason}`);
        return JSON.stringify(reasons) ===
            JSON.stringify(["badtoken:Unknown:Unauthorized", "norbac:Unknown:Forbidden"])
          ? i
          : undefined;
      }, { timeoutMs: 20_000, what: "flux Unknown on both with Unauthorized / Forbidden" });
      assertEquals(flux.status?.phase, "Unknown");
      assertEquals(readyCondition(flux)?.status, "Unknown");
      // the Secret changes (same name, new content) ⇒ the connection is rebuilt without a restart
      await putKubeconfigSecret(cp, ns, "badtoken-kubeconfig", c1.kubeconfigYaml);
      await eventually(
        async () => readyCondition(await getTarget(cp, ns, "badtoken"))?.reason === "Connected",
        {
          what: "badtoken Connected after the Secret changed",
        },
      );
      await eventually(async () => {
        const i = await getIntegration(cp, ns, "flux");
        return i.status?.clusters?.find((c) => c.name === "badtoken")?.phase === "Running";
      }, { what: "flux Running on badtoken" });
      const logs = await Deno.readTextFile(serve.logPath);
      assert(!logs.includes("not-a-token"), "a token appeared in the log");
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
});

Deno.test("runServe({ allNamespaces }) watches every namespace (in process)", async () => {
  const h = harness();
  await install("cluster-1", "tools/istio/default.yaml", "istio-all");
  await cpReady();
  const cp = adminKc(h.cluster("cp"));
  for (const ns of ["e2e-all-a", "e2e-all-b"]) {
    await createNamespace(cp, ns);
    await putKubeconfigSecret(cp, ns, "cluster-1-kubeconfig", h.cluster("cluster-1").kubeconfigYaml);
    await createTarget(cp, ns, "cluster-1", { clusterName: "cluster-1" });
    await createIntegration(cp, ns, "mesh", {
      type: "istio",
      targetClusters: ["cluster-1"],
      config: { namespace: "istio-all" },
    });
  }
  const { runServe } = await import("../controller/serve.ts");
  const stop = new AbortController();
  const done = runServe({
    kubeconfig: h.cluster("cp").kubeconfigPath,
    namespace: "e2e-all-a",
    allNamespaces: true,
    healthAddr: "127.0.0.1:0",
    leaderElect: true,
    concurrency: 2,
    requestTimeout: 5_000,
    allowExecAuth: false,
    logLevel: "warn",
  }, stop.signal);
  try {
    for (const ns of ["e2e-all-a", "e2e-all-b"]) await waitPhase(cp, ns, "mesh", "Running");
    const lease = await h.cluster("cp").kubectl(["get", "lease", "ksit-controller", "-n", "e2e-all-a"]);
    assertEquals(lease.code, 0, "the Lease lives in --namespace");
  } finally {
    stop.abort();
    await done;
  }
});
