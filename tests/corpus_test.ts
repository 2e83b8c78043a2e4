/**
 * The corpus of real installs (tests/fixtures/corpus/) on a real API server. For every install, in its own
 * namespaces: the rendered workloads are created and given a healthy status through /status ⇒ `check`'s path
 * (checkContext: gatherTool + judgeCluster) says Running; then every breakage of every component (0
 * available, stuck rollout, ProgressDeadlineExceeded, stale observedGeneration, DaemonSet pods unavailable or
 * not updated, a Service without ready endpoints) ⇒ Failed (required and unavailable), Degraded (required and
 * degraded, or optional), the message naming the workload. A representative set runs through `serve` too,
 * and discovery / not-installed through both, each on its own workload cluster.
 */
import { checkContext } from "../cli/check.ts";
import { CORPUS, type CorpusInstall } from "./fixtures/corpus/index.ts";
import { breakagesOf, keyOf, loadCorpus } from "./fixtures/corpus.ts";
import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import { checkTool, seedCorpus } from "./support/corpus.ts";
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
  putKubeconfigSecret,
  startServe,
  waitPhase,
} from "./support/serve.ts";

// "work": one namespace set per install; "lone": a cluster with one install (discovery has one answer)
const harness = useHarness({
  clusters: ["cp", "work", "lone"],
  // a few hundred Services of the corpus need more cluster IPs than the harness' /24
  apiserverArgs: ["--service-cluster-ip-range=10.96.0.0/16"],
});

/** The test's namespace for corpus namespace `ns` of install number `i`. */
const rename = (i: number) => (ns: string) => `c${i}-${ns}`.slice(0, 63);

const timings: string[] = [];
Deno.test.afterAll(() => console.log(`per install (seed + healthy + breakages): ${timings.join(", ")}`));

CORPUS.forEach((c: CorpusInstall, i: number) => {
  Deno.test(`corpus on a real API server: ${c.id}: healthy ⇒ Running; each breakage names its component`, async () => {
    const t0 = performance.now();
    const loaded = await loadCorpus(c.id, rename(i));
    const kc = adminKc(harness().cluster("work"));
    const onServer = await seedCorpus(kc, loaded);
    const namespaces = Object.values(loaded.namespaces);

    const healthy = await checkTool(harness().cluster("work"), c.tool, namespaces);
    assertEquals(healthy.verdict.phase, "Running", JSON.stringify(healthy.verdict, null, 1));
    const required = new Map((healthy.verdict.components ?? []).map((x) => [x.name, x.required ?? false]));

    for (const [component, workloads] of Object.entries(c.expect)) {
      for (const key of workloads) {
        const obj = loaded.objects.find((o) => keyOf(o) === key)!;
        const shown = namespaces.length > 1
          ? `${obj.metadata.namespace}/${obj.metadata.name}`
          : obj.metadata.name;
        for (const [breakage, health] of breakagesOf(obj)) {
          await onServer.setBreakage(key, breakage);
          const r = await checkTool(harness().cluster("work"), c.tool, namespaces);
          const what = `${key} ${breakage}`;
          const phase = required.get(component) && health === "Unhealthy" ? "Failed" : "Degraded";
          assertEquals(r.verdict.phase, phase, `${what}: ${r.verdict.message}`);
          assertStringIncludes(r.verdict.message ?? "", shown, what);
          assertEquals(r.verdict.components?.find((x) => x.name === component)?.status, health, what);
          await onServer.setBreakage(key, undefined);
        }
      }
    }
    const again = await checkTool(harness().cluster("work"), c.tool, namespaces);
    assertEquals(again.verdict.phase, "Running", again.verdict.message);
    timings.push(`${c.id} ${Math.round(performance.now() - t0)} ms`);
  });
});

/** A control-plane namespace with targets for `clusters`, as `serve` needs them. */
let crds: Promise<void> | undefined;
async function controlPlane(ns: string, clusters: Record<string, string>) {
  const h = harness();
  crds ??= installCrds(h.cluster("cp"));
  await crds;
  const cp = adminKc(h.cluster("cp"));
  await createNamespace(cp, ns);
  for (const [name, kubeconfig] of Object.entries(clusters)) {
    await putKubeconfigSecret(cp, ns, `${name}-kubeconfig`, kubeconfig);
    await createTarget(cp, ns, name, { clusterName: name });
  }
  return cp;
}

/** One of each install shape users run, through `serve`: Argo CD core and HA, agent mode, ambient, … */
const SERVED: {
  id: string;
  breaks: string;
  breakage: "zeroAvailable" | "stuckRollout" | "unavailablePods";
  /** The phase it must cause: Failed for a required component that is down, else Degraded. */
  phase: "Failed" | "Degraded";
}[] = [
  {
    id: "argocd/core-install-v3.5.1",
    breaks: "Deployment/argocd-repo-server",
    breakage: "zeroAvailable",
    phase: "Failed",
  },
  {
    id: "argocd/chart-10.1.1-ha",
    breaks: "Deployment/argo-redis-ha-haproxy",
    breakage: "zeroAvailable",
    phase: "Failed",
  },
  { id: "flux/all-v2.9.4", breaks: "Deployment/source-watcher", breakage: "stuckRollout", phase: "Degraded" },
  {
    id: "prometheus/kps-88.5.3-agent",
    breaks: "StatefulSet/prom-agent-agent-kube-prometheus-stac-prometheus",
    breakage: "zeroAvailable",
    phase: "Failed",
  },
  {
    id: "prometheus/kube-prometheus-v0.18.0",
    breaks: "DaemonSet/node-exporter",
    breakage: "unavailablePods",
    phase: "Degraded",
  },
  {
    id: "istio/gateway-1.30.3",
    breaks: "Deployment/istio-ingress",
    breakage: "stuckRollout",
    phase: "Degraded",
  },
  { id: "istio/ambient-1.30.3", breaks: "DaemonSet/ztunnel", breakage: "zeroAvailable", phase: "Failed" },
];

Deno.test("corpus through serve: install shapes Running, a breakage Failed/Degraded naming it, recovery", async () => {
  const h = harness();
  const ns = "corpus-serve";
  const work = adminKc(h.cluster("work"));
  const cp = await controlPlane(ns, { work: h.cluster("work").kubeconfigYaml });
  const seeded = await Promise.all(SERVED.map(async (s, i) => {
    const loaded = await loadCorpus(s.id, rename(100 + i));
    const onServer = await seedCorpus(work, loaded);
    const name = `i${i}`;
    await createIntegration(cp, ns, name, {
      type: loaded.install.tool,
      targetClusters: ["work"],
      config: { namespaces: Object.values(loaded.namespaces), healthCheckInterval: "5s" },
    });
    return { ...s, name, loaded, onServer };
  }));
  const serve = await startServe({ kubeconfigPath: h.cluster("cp").kubeconfigPath, namespace: ns });
  try {
    await dumpOnFailure([serve], async () => {
      await Promise.all(seeded.map((s) => waitPhase(cp, ns, s.name, "Running", 30_000)));
      await Promise.all(seeded.map((s) => s.onServer.setBreakage(s.breaks, s.breakage)));
      for (const s of seeded) {
        const got = await waitPhase(cp, ns, s.name, s.phase, 15_000);
        assertStringIncludes(got.status?.message ?? "", s.breaks.split("/")[1]!, s.id);
      }
      await Promise.all(seeded.map((s) => s.onServer.setBreakage(s.breaks, undefined)));
      await Promise.all(seeded.map((s) => waitPhase(cp, ns, s.name, "Running", 15_000)));
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
});

Deno.test("discovery and not installed, through check and serve (a cluster with one install)", async () => {
  const h = harness();
  const lone = h.cluster("lone");
  const kc = adminKc(lone);
  // the argo-helm chart under release gitops in namespace gitops: not where Argo CD is looked for by default
  await seedCorpus(kc, await loadCorpus("argocd/chart-10.1.1-gitops"));
  const yaml = lone.kubeconfigYaml;
  const results = await checkContext(yaml, "lone", ["argocd", "flux"], {});
  const argo = results.find((r) => r.type === "argocd")!;
  assertEquals(argo.verdict.phase, "Running", argo.verdict.message);
  assertEquals(argo.namespace, "argocd,gitops");
  assertStringIncludes(argo.verdict.message ?? "", "(found in namespace gitops)");
  const flux = results.find((r) => r.type === "flux")!;
  assertEquals(flux.verdict.phase, "NotInstalled");
  assertStringIncludes(
    flux.verdict.message ?? "",
    "flux: not installed (no Flux workload in namespace flux-system",
  );

  // a reader whose RBAC is a Role in the default namespaces only: discovery is refused, and says how to allow it
  await lone.kubectl(["create", "namespace", "ksit-system"]);
  assertEquals(
    (await lone.kubectl(["create", "serviceaccount", "ksit-reader", "-n", "ksit-system"])).code,
    0,
  );
  const role = await Deno.readTextFile(
    new URL("../deploy/workload-rbac/namespaced-role.yaml", import.meta.url),
  );
  await seedCorpus(kc, await loadCorpus("istio/istiod-1.30.3"));
  for (const n of ["argocd", "flux-system", "istio-system"]) {
    await lone.kubectl(["create", "namespace", n]);
    const applied = await lone.kubectl(["apply", "-f", "-"], { stdin: role.replaceAll("TOOL_NAMESPACE", n) });
    assertEquals(applied.code, 0, applied.stderr);
  }
  const token = await lone.token("ksit-system", "ksit-reader");
  const limited = lone.kubeconfigFor({ token }, { contextName: "lone" });
  const [refused] = await checkContext(limited, "lone", ["argocd"], {});
  assertEquals(refused!.verdict.phase, "NotInstalled", refused!.verdict.message);
  assertStringIncludes(refused!.verdict.message ?? "", "other namespaces not searched");
  assertStringIncludes(refused!.verdict.message ?? "", "deploy/workload-rbac/clusterrole.yaml");
  // istio-ingress (a default namespace of Istio's gateways) is not granted: left out, not an error
  const [mesh] = await checkContext(limited, "lone", ["istio"], {});
  assertEquals([mesh!.verdict.phase, mesh!.namespace], ["Running", "istio-system"], mesh!.verdict.message);

  // serve: the same answers, and an Integration of a tool on no cluster is NotInstalled (Ready False)
  const ns = "corpus-discovery";
  const cp = await controlPlane(ns, { lone: yaml, limited });
  await createIntegration(cp, ns, "argocd", { type: "argocd", targetClusters: ["lone"] });
  await createIntegration(cp, ns, "flux", { type: "flux", targetClusters: ["lone"] });
  await createIntegration(cp, ns, "argocd-limited", { type: "argocd", targetClusters: ["limited"] });
  await createIntegration(cp, ns, "istio-limited", { type: "istio", targetClusters: ["limited"] });
  const serve = await startServe({ kubeconfigPath: h.cluster("cp").kubeconfigPath, namespace: ns });
  try {
    await dumpOnFailure([serve], async () => {
      const running = await waitPhase(cp, ns, "argocd", "Running", 30_000);
      assertStringIncludes(running.status?.message ?? "", "found in namespace gitops");
      const absent = await waitPhase(cp, ns, "flux", "NotInstalled", 30_000);
      assertEquals(absent.status?.summary?.notInstalled, 1);
      assertEquals(absent.status?.healthy, "0/0");
      const ready = absent.status?.conditions?.find((x) => x.type === "Ready");
      assertEquals([ready?.status, ready?.reason], ["False", "ToolNotInstalled"]);
      const notAllowed = await waitPhase(cp, ns, "argocd-limited", "NotInstalled", 30_000);
      assertStringIncludes(notAllowed.status?.message ?? "", "other namespaces not searched");
      const mesh = await waitPhase(cp, ns, "istio-limited", "Running", 30_000);
      assertEquals(mesh.status?.healthy, "1/1");
      const get = await h.cluster("cp").kubectl(["get", "integrations", "-n", ns]);
      assert(/^flux\s+flux\s+NotInstalled\s+0\/0\s+/m.test(get.stdout), get.stdout);
      // still NotInstalled a while later: no flapping, no status churn
      const rv = (await getIntegration(cp, ns, "flux")).metadata.resourceVersion;
      await new Promise((r) => setTimeout(r, 2_000));
      await eventually(async () => (await getIntegration(cp, ns, "flux")).metadata.resourceVersion === rv, {
        timeoutMs: 1_000,
        what: "no status rewrite",
      });
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
});
