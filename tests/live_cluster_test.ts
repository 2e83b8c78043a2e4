/**
 * Live workload clusters (tests/support/live.ts) and the fault helpers (tests/support/faults.ts): the real
 * controllers write every status, and each fault shows in Kubernetes' own status the way it does on a real
 * cluster. One live cluster for the file, a namespace per test.
 */
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, PolicyV1Api } from "@kubernetes/client-node";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";
import {
  addNode,
  bringNodeBack,
  crashLoop,
  daemonSetPodsNotStartingOn,
  deleteNode,
  disruptDuringRollout,
  imageWithTag,
  makeNodeNotReady,
  podsOf,
  rollBack,
  rollOutBadImage,
  scaleToZero,
  waitNodeReady,
} from "./support/faults.ts";
import { useHarness } from "./support/harness.ts";
import {
  applyObjects,
  applyYaml,
  createNamespace,
  daemonSetManifest,
  deploymentManifest,
  readDeployment,
  waitDeployment,
  waitRolledOut,
} from "./support/live_workloads.ts";
import { eventually } from "./support/poll.ts";

const harness = useHarness({ clusters: ["live"], live: ["live"] });
const live = () => harness().cluster("live");

async function namespace(name: string) {
  await createNamespace(live().kc(), name);
  return name;
}

/** A Deployment with one pod per node (topology spread), so a node fault hits exactly one pod. */
function spreadDeployment(name: string, ns: string, replicas = 3) {
  const d = deploymentManifest(name, ns, { replicas });
  (d.spec as { template: { spec: Record<string, unknown> } }).template.spec.topologySpreadConstraints = [{
    maxSkew: 1,
    topologyKey: "kubernetes.io/hostname",
    whenUnsatisfiable: "DoNotSchedule",
    labelSelector: { matchLabels: { app: name } },
  }];
  return d;
}

Deno.test("live: the controllers write every status — Deployment, StatefulSet, DaemonSet, EndpointSlices, ServiceAccounts", async () => {
  const c = live();
  const kc = c.kc();
  const ns = await namespace("live-basics");
  await applyObjects(kc, [
    deploymentManifest("web", ns, { replicas: 2 }),
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db", namespace: ns },
      spec: {
        replicas: 2,
        serviceName: "db",
        selector: { matchLabels: { app: "db" } },
        template: {
          metadata: { labels: { app: "db" } },
          spec: { containers: [{ name: "db", image: "registry.example/db:1" }] },
        },
      },
    },
    daemonSetManifest("agent", ns),
    // a long-lived token Secret: filled by kube-controller-manager's token controller
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "default-token",
        namespace: ns,
        annotations: { "kubernetes.io/service-account.name": "default" },
      },
      type: "kubernetes.io/service-account-token",
    },
  ]);
  // a YAML stream as an upstream install ships it, through kubectl
  await applyYaml(
    c,
    `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`,
    ns,
  );
  await waitRolledOut(c, ns, ["deployment/web", "statefulset/db", "daemonset/agent"]);

  const apps = kc.makeApiClient(AppsV1Api);
  const web = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
  assertEquals(
    [
      web.status?.replicas,
      web.status?.updatedReplicas,
      web.status?.readyReplicas,
      web.status?.availableReplicas,
    ],
    [2, 2, 2, 2],
  );
  assertEquals(web.status?.observedGeneration, web.metadata?.generation);
  const progressing = web.status?.conditions?.find((x) => x.type === "Progressing");
  assertEquals(progressing?.reason, "NewReplicaSetAvailable");
  const db = await apps.readNamespacedStatefulSet({ name: "db", namespace: ns });
  assertEquals([db.status?.readyReplicas, db.status?.availableReplicas], [2, 2]);
  assertEquals(db.status?.currentRevision, db.status?.updateRevision);
  const agent = await apps.readNamespacedDaemonSet({ name: "agent", namespace: ns });
  assertEquals(agent.status?.desiredNumberScheduled, c.live!.nodes.length);
  assertEquals(agent.status?.numberReady, c.live!.nodes.length);

  const pods = await podsOf(c, ns, "web");
  assertEquals(pods.length, 2);
  for (const p of pods) {
    assert(c.live!.nodes.includes(p.spec?.nodeName ?? ""), `scheduled on a fake node: ${p.spec?.nodeName}`);
    assertMatch(p.status?.podIP ?? "", /^10\.244\./);
    assertEquals(p.metadata?.ownerReferences?.[0]?.kind, "ReplicaSet");
  }
  const slices = await eventually(async () => {
    const list = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
      namespace: ns,
      labelSelector: "kubernetes.io/service-name=web",
    });
    const eps = list.items.flatMap((s) => s.endpoints ?? []);
    return eps.length === 2 && eps.every((e) => e.conditions?.ready) ? list.items : undefined;
  }, { what: "EndpointSlice of web with 2 ready endpoints" });
  assertEquals(
    slices[0]?.metadata?.labels?.["endpointslice.kubernetes.io/managed-by"],
    "endpointslice-controller.k8s.io",
  );
  assertEquals(
    slices.flatMap((s) => s.endpoints ?? []).map((e) => e.addresses[0]).sort(),
    pods.map((p) => p.status?.podIP).sort(),
  );
  const core = kc.makeApiClient(CoreV1Api);
  const secret = await eventually(async () => {
    const s = await core.readNamespacedSecret({ name: "default-token", namespace: ns });
    return s.data?.token ? s : undefined;
  }, { what: "token controller filled the Secret" });
  assert(secret.data?.["ca.crt"], "the Secret carries the root CA");
  await core.readNamespacedConfigMap({ name: "kube-root-ca.crt", namespace: ns });

  const rss = await c.live!.rssKiB();
  console.log(
    `live cluster: controllers + nodes ready in ${c.live!.startupMs} ms; RSS MiB: ${
      Object.entries(rss).map(([k, v]) => `${k} ${Math.round(v / 1024)}`).join(", ")
    }`,
  );
});

Deno.test("rollOutBadImage: the rollout stalls (ImagePullBackOff), ProgressDeadlineExceeded after the deadline; rollBack repairs", async () => {
  const c = live();
  const kc = c.kc();
  const ns = await namespace("live-bad-image");
  await applyObjects(kc, [deploymentManifest("api", ns, { replicas: 2, progressDeadlineSeconds: 5 })]);
  await waitRolledOut(c, ns, ["deployment/api"]);

  const args = await rollOutBadImage(c, ns, "api");
  assertEquals(args, [
    "-n",
    ns,
    "set",
    "image",
    "deployment/api",
    "main=registry.example/app:ksit-never-ready",
  ]);
  const stuck = await waitDeployment(
    kc,
    ns,
    "api",
    (d) => d.status?.observedGeneration === 2 && d.status?.updatedReplicas === 1 && d.status?.replicas === 3,
    { what: "the new ReplicaSet's first pod beside the old ones" },
  );
  assertEquals(stuck.status?.replicas, 3, "old and new pods side by side (maxSurge 1)");
  assertEquals(stuck.status?.updatedReplicas, 1);
  assertEquals(stuck.status?.availableReplicas, 2, "the old pods still serve (maxUnavailable 0)");
  const newPod = await eventually(async () => {
    const p = (await podsOf(c, ns, "api")).find((p) =>
      p.spec?.containers[0]?.image?.endsWith(":ksit-never-ready")
    );
    return p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ImagePullBackOff" ? p : undefined;
  }, { what: "new pod in ImagePullBackOff" });
  assertEquals(newPod.status?.phase, "Pending");
  const deadline = await waitDeployment(
    kc,
    ns,
    "api",
    (d) =>
      d.status?.conditions?.some((x) =>
        x.type === "Progressing" && x.reason === "ProgressDeadlineExceeded"
      ) ??
        false,
    { timeoutMs: 30_000, what: "ProgressDeadlineExceeded" },
  );
  assertEquals(deadline.status?.conditions?.find((x) => x.type === "Progressing")?.status, "False");

  assertEquals(await rollBack(c, ns, "api"), ["-n", ns, "rollout", "undo", "deployment/api"]);
  await waitRolledOut(c, ns, ["deployment/api"]);
  const back = await readDeployment(kc, ns, "api");
  assertEquals([back.status?.replicas, back.status?.updatedReplicas, back.status?.availableReplicas], [
    2,
    2,
    2,
  ]);
  assertEquals(back.spec?.template.spec?.containers[0]?.image, "registry.example/app:1.0.0");
});

Deno.test("crashLoop: new pods Running but not Ready, CrashLoopBackOff with a rising restartCount", async () => {
  const c = live();
  const kc = c.kc();
  const ns = await namespace("live-crash");
  await applyObjects(kc, [deploymentManifest("worker", ns, { replicas: 1 })]);
  await waitRolledOut(c, ns, ["deployment/worker"]);
  await crashLoop(c, ns, "worker");
  const counts: number[] = [];
  await eventually(async () => {
    const p = (await podsOf(c, ns, "worker")).find((p) =>
      p.spec?.containers[0]?.image?.endsWith(":ksit-crash-loop")
    );
    const s = p?.status?.containerStatuses?.[0];
    if (!p || s?.state?.waiting?.reason !== "CrashLoopBackOff") return false;
    assertEquals(p.status?.phase, "Running");
    assertEquals(s.ready, false);
    assertEquals(s.lastState?.terminated?.exitCode, 1);
    if (counts.at(-1) !== s.restartCount) counts.push(s.restartCount);
    return counts.length >= 2 && counts.at(-1)! > counts[0]!;
  }, { timeoutMs: 30_000, intervalMs: 500, what: "restartCount rising" });
  const d = await readDeployment(kc, ns, "worker");
  assertEquals([d.status?.replicas, d.status?.updatedReplicas, d.status?.availableReplicas], [2, 1, 1]);
  await rollBack(c, ns, "worker");
  await waitRolledOut(c, ns, ["deployment/worker"]);
});

Deno.test("scaleToZero: the Deployment controller removes every pod", async () => {
  const c = live();
  const ns = await namespace("live-zero");
  await applyObjects(c.kc(), [deploymentManifest("idle", ns, { replicas: 2 })]);
  await waitRolledOut(c, ns, ["deployment/idle"]);
  await scaleToZero(c, ns, "idle");
  const d = await waitDeployment(
    c.kc(),
    ns,
    "idle",
    (d) => (d.status?.replicas ?? 0) === 0 && d.spec?.replicas === 0,
  );
  assertEquals(d.status?.availableReplicas ?? 0, 0);
  await eventually(async () => (await podsOf(c, ns, "idle")).length === 0, { what: "pods gone" });
});

Deno.test("disruptDuringRollout: an eviction mid-rollout is honoured; a PodDisruptionBudget the disruption controller computed refuses it", async () => {
  const c = live();
  const kc = c.kc();
  const ns = await namespace("live-disrupt");
  // minReadySeconds: the rollout lasts a few seconds (kwok starts pods at once). "guarded" rolls without a
  // surge pod: a surge pod counts as healthy for a PodDisruptionBudget, which would then allow one eviction
  const guarded = deploymentManifest("guarded", ns, { replicas: 2, minReadySeconds: 3 });
  (guarded.spec as Record<string, unknown>).strategy = {
    type: "RollingUpdate",
    rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
  };
  await applyObjects(kc, [deploymentManifest("front", ns, { replicas: 2, minReadySeconds: 3 }), guarded]);
  await waitRolledOut(c, ns, ["deployment/front", "deployment/guarded"]);

  const d = await disruptDuringRollout(c, ns, "front");
  assertEquals(d.evicted, true);
  // an old pod went before its replacement was available: the Deployment controller reports it
  await waitDeployment(kc, ns, "front", (d) => d.status?.availableReplicas === 1, {
    timeoutMs: 3000,
    what: "front: 1/2 available after the eviction",
  });
  await eventually(async () => !(await podsOf(c, ns, "front")).some((p) => p.metadata?.name === d.pod), {
    what: "evicted pod gone",
  });
  await waitRolledOut(c, ns, ["deployment/front"]);
  const front = await readDeployment(kc, ns, "front");
  assertEquals([front.status?.updatedReplicas, front.status?.availableReplicas], [2, 2]);

  await applyObjects(kc, [{
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: "guarded", namespace: ns },
    spec: { maxUnavailable: 0, selector: { matchLabels: { app: "guarded" } } },
  }]);
  const pdb = await eventually(async () => {
    const p = await kc.makeApiClient(PolicyV1Api).readNamespacedPodDisruptionBudget({
      name: "guarded",
      namespace: ns,
    });
    return p.status?.observedGeneration === p.metadata?.generation && p.status?.currentHealthy === 2
      ? p
      : undefined;
  }, { what: "PDB status from the disruption controller" });
  assertEquals(pdb.status?.disruptionsAllowed, 0);
  const refused = await disruptDuringRollout(c, ns, "guarded");
  assertEquals(refused.evicted, false);
  assertStringIncludes(refused.message ?? "", "disruption budget");
  await waitRolledOut(c, ns, ["deployment/guarded"]);
});

Deno.test("daemonSetPodsNotStartingOn: the DaemonSet's pod on that node stays ContainerCreating, 1 unavailable; repaired", async () => {
  const c = live();
  const kc = c.kc();
  const ns = await namespace("live-ds");
  await applyObjects(kc, [daemonSetManifest("node-agent", ns)]);
  await waitRolledOut(c, ns, ["daemonset/node-agent"]);
  const node = c.live!.nodes[1]!;
  const repair = await daemonSetPodsNotStartingOn(c, node, ns, "node-agent");
  const apps = kc.makeApiClient(AppsV1Api);
  const ds = await eventually(async () => {
    const d = await apps.readNamespacedDaemonSet({ name: "node-agent", namespace: ns });
    return d.status?.numberUnavailable === 1 ? d : undefined;
  }, { what: "DaemonSet numberUnavailable 1" });
  assertEquals([ds.status?.desiredNumberScheduled, ds.status?.numberReady], [3, 2]);
  const stuck = (await podsOf(c, ns, "daemonset/node-agent")).find((p) => p.spec?.nodeName === node);
  assertEquals(stuck?.status?.containerStatuses?.[0]?.state?.waiting?.reason, "ContainerCreating");
  const events = await c.kubectl([
    "get",
    "events",
    "-n",
    ns,
    "--field-selector",
    "reason=FailedCreatePodSandBox",
  ]);
  assertStringIncludes(events.stdout, node);

  await repair();
  await waitRolledOut(c, ns, ["daemonset/node-agent"]);
  const fixed = await apps.readNamespacedDaemonSet({ name: "node-agent", namespace: ns });
  assertEquals(fixed.status?.numberReady, 3);
});

Deno.test("makeNodeNotReady / deleteNode: NotReady after the grace period, pods there unavailable; back, and rescheduled", async () => {
  const c = live();
  const kc = c.kc();
  const ns = await namespace("live-nodes");
  await applyObjects(kc, [spreadDeployment("spread", ns), spreadDeployment("moved", ns)]);
  await waitRolledOut(c, ns, ["deployment/spread", "deployment/moved"]);
  const [sick, gone] = [c.live!.nodes[0]!, c.live!.nodes[2]!];

  // both faults at once (independent nodes and Deployments): the slow parts overlap
  await Promise.all([
    (async () => {
      const t0 = performance.now();
      await makeNodeNotReady(c, sick);
      const n = await waitNodeReady(c, sick, "Unknown", 90_000);
      console.log(
        `node ${sick}: kubelet stopped → Ready=Unknown in ${Math.round(performance.now() - t0)} ms`,
      );
      assertStringIncludes(
        n.status?.conditions?.find((x) => x.type === "Ready")?.message ?? "",
        "stopped posting",
      );
      // the node lifecycle controller writes Ready=Unknown, then the unreachable taint in an update of its own
      await eventually(async () => {
        const now = await kc.makeApiClient(CoreV1Api).readNode({ name: sick });
        return now.spec?.taints?.some((t) => t.key === "node.kubernetes.io/unreachable");
      }, { timeoutMs: 30_000, intervalMs: 250, what: `node ${sick} tainted unreachable` });
      const d = await waitDeployment(kc, ns, "spread", (d) => d.status?.availableReplicas === 2, {
        what: "spread: the pod on the NotReady node is unavailable",
      });
      assertEquals(d.status?.replicas, 3);
      await bringNodeBack(c, sick);
      await waitNodeReady(c, sick, "True");
      await waitDeployment(kc, ns, "spread", (d) => d.status?.availableReplicas === 3, {
        what: "spread: 3 again",
      });
    })(),
    (async () => {
      const victims = (await podsOf(c, ns, "moved")).filter((p) => p.spec?.nodeName === gone).map((p) =>
        p.metadata?.name
      );
      assertEquals(victims.length, 1);
      await deleteNode(c, gone);
      // pod GC deletes pods of a vanished node after 40 s; their ReplicaSet replaces them elsewhere
      const t0 = performance.now();
      let seen = "";
      try {
        await eventually(async () => {
          const pods = await podsOf(c, ns, "moved");
          seen = pods.map((p) =>
            `${p.metadata?.name}@${p.spec?.nodeName}:${p.status?.phase}${
              p.metadata?.deletionTimestamp ? ":deleting" : ""
            }`
          ).join(" ");
          return !pods.some((p) => victims.includes(p.metadata?.name)) && pods.length === 3;
        }, { timeoutMs: 180_000, intervalMs: 1000, what: "pod of the deleted node replaced" });
      } catch (e) {
        const log = await Deno.readTextFile(c.live!.controllerManager.logPath).catch(() => "");
        const gc = log.split("\n").filter((l) => /gc_controller|PodGC|orphan/i.test(l)).slice(-10).join("\n");
        throw new Error(`${(e as Error).message}\npods: ${seen}\npod GC log:\n${gc}`);
      }
      console.log(`node ${gone} deleted → its pod replaced in ${Math.round(performance.now() - t0)} ms`);
      await addNode(c, gone);
      await waitNodeReady(c, gone, "True");
    })(),
  ]);
  // the pods of "moved" found room again (topology spread: one per remaining node + the one back)
  await waitRolledOut(c, ns, ["deployment/moved"], 120);
});

Deno.test("imageWithTag keeps the repository (registry ports, digests)", () => {
  assertEquals(imageWithTag("quay.io/argoproj/argocd:v2.12.3", "x"), "quay.io/argoproj/argocd:x");
  assertEquals(imageWithTag("localhost:5000/app", "x"), "localhost:5000/app:x");
  assertEquals(imageWithTag("nginx@sha256:abc", "x"), "nginx:x");
  assertEquals(imageWithTag("redis", "x"), "redis:x");
});
