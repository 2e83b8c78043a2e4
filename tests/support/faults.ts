/**
 * Failures injected on live clusters (tests/support/live.ts) the way they happen to users — a bad image rolled
 * out, a container that crashes, a node whose kubelet stops, a node deleted, a Deployment scaled to zero, a
 * pod evicted during a rollout, a node that cannot start a DaemonSet's pod — never by writing status. Each is a
 * real kubectl operation (the Eviction API, which kubectl has no verb for, through `kubectl create --raw`),
 * and what follows is the real controllers' doing. Every helper returns the kubectl arguments it ran, so
 * tests and the quickstart can print the command a user would type.
 */
import { CoreV1Api, CustomObjectsApi, type V1Pod } from "@kubernetes/client-node";
import type { TestCluster } from "./harness.ts";
import { CRASH_LOOP_TAG, NEVER_READY_TAG, podsNeverStartOn, podsNeverStartStageName } from "./kwok_stages.ts";
import { createStage, FAKE_NODE_LABEL, FAKE_NODE_VALUE, fakeNode, liveOf } from "./live.ts";
import { eventually } from "./poll.ts";

/** `kind/name` as kubectl takes it; a bare name is a Deployment. */
function ref(name: string): string {
  return name.includes("/") ? name : `deployment/${name}`;
}

async function kubectl(c: TestCluster, args: string[], stdin?: string): Promise<string> {
  const r = await c.kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.code !== 0) throw new Error(`${c.name}: kubectl ${args.join(" ")} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** `image` with its tag replaced by `tag` (a digest is dropped): `quay.io/argoproj/argocd:v2.12.3` → `…:tag`. */
export function imageWithTag(image: string, tag: string): string {
  const noDigest = image.split("@")[0]!;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const repo = colon > slash ? noDigest.slice(0, colon) : noDigest;
  return `${repo}:${tag}`;
}

/** `kubectl set image` arguments that give every container of `workload` its image with `tag`. */
export async function setImageArgs(c: TestCluster, namespace: string, workload: string, tag: string) {
  const out = await kubectl(c, [
    "get",
    ref(workload),
    "-n",
    namespace,
    "-o",
    'jsonpath={range .spec.template.spec.containers[*]}{.name}={.image}{"\\n"}{end}',
  ]);
  const images = out.split("\n").filter(Boolean).map((l) => {
    const [name, image] = l.split("=");
    return `${name}=${imageWithTag(image!, tag)}`;
  });
  return ["-n", namespace, "set", "image", ref(workload), ...images];
}

/**
 * Rolls out an image that cannot be pulled (tag `ksit-never-ready`) to every container of `workload`: the new
 * pods wait in ImagePullBackOff, the rollout stalls (Deployment: `updatedReplicas < replicas`, and after
 * `progressDeadlineSeconds` condition Progressing=False, reason ProgressDeadlineExceeded). Returns the kubectl
 * arguments (`-n ns set image deployment/x c=repo:ksit-never-ready`).
 */
export async function rollOutBadImage(
  c: TestCluster,
  namespace: string,
  workload: string,
): Promise<string[]> {
  const args = await setImageArgs(c, namespace, workload, NEVER_READY_TAG);
  await kubectl(c, args);
  return args;
}

/**
 * Rolls out an image whose container exits 1 on start (tag `ksit-crash-loop`): the new pods are Running but
 * never Ready, in CrashLoopBackOff with a rising restartCount.
 */
export async function crashLoop(c: TestCluster, namespace: string, workload: string): Promise<string[]> {
  const args = await setImageArgs(c, namespace, workload, CRASH_LOOP_TAG);
  await kubectl(c, args);
  return args;
}

/** `kubectl rollout undo`: back to the previous revision. */
export async function rollBack(c: TestCluster, namespace: string, workload: string): Promise<string[]> {
  const args = ["-n", namespace, "rollout", "undo", ref(workload)];
  await kubectl(c, args);
  return args;
}

/** `kubectl scale --replicas=0`. */
export async function scaleToZero(c: TestCluster, namespace: string, workload: string): Promise<string[]> {
  const args = ["-n", namespace, "scale", ref(workload), "--replicas=0"];
  await kubectl(c, args);
  return args;
}

/**
 * The kubelet of `node` stops: kwok stops managing it (its label goes), so the node Lease is no longer renewed
 * and no pod on it is updated. kube-controller-manager then marks the node Ready=Unknown ("Kubelet stopped
 * posting node status") after its grace period (20 s in live clusters), taints it unreachable and marks its
 * pods NotReady — so the workloads with pods there lose available replicas.
 */
export async function makeNodeNotReady(c: TestCluster, node: string): Promise<string[]> {
  liveOf(c);
  const args = ["label", "node", node, `${FAKE_NODE_LABEL}-`];
  await kubectl(c, args);
  return args;
}

/** The kubelet of `node` is back: kwok manages it again, it renews the Lease and reports Ready, pods too. */
export async function bringNodeBack(c: TestCluster, node: string): Promise<string[]> {
  const args = ["label", "--overwrite", "node", node, `${FAKE_NODE_LABEL}=${FAKE_NODE_VALUE}`];
  await kubectl(c, args);
  return args;
}

/**
 * `kubectl delete node`: the Node object goes; kube-controller-manager's pod GC deletes the pods bound to it
 * (after its 40 s quarantine) and their ReplicaSets/StatefulSets create replacements on the other nodes.
 */
export async function deleteNode(c: TestCluster, node: string): Promise<string[]> {
  liveOf(c);
  const args = ["delete", "node", node, "--wait=false"];
  await kubectl(c, args);
  return args;
}

/** A fake node joins (again): kwok makes it Ready. */
export async function addNode(c: TestCluster, node: string): Promise<void> {
  const live = liveOf(c);
  const index = Math.max(0, live.nodes.indexOf(node));
  await c.kc().makeApiClient(CoreV1Api).createNode({ body: fakeNode(node, index) }).catch((e) => {
    if ((e as { code?: number }).code !== 409) throw e;
  });
}

/** Waits until node `node`'s Ready condition has `status` ("True", "Unknown" or "False"). */
export async function waitNodeReady(c: TestCluster, node: string, status: string, timeoutMs = 60_000) {
  const core = c.kc().makeApiClient(CoreV1Api);
  return await eventually(async () => {
    const n = await core.readNode({ name: node });
    return n.status?.conditions?.find((x) => x.type === "Ready")?.status === status ? n : undefined;
  }, { timeoutMs, intervalMs: 250, what: `${c.name}: node ${node} Ready=${status}` });
}

/** Pods of a workload (by its selector) in `namespace`. */
export async function podsOf(c: TestCluster, namespace: string, workload: string): Promise<V1Pod[]> {
  const w = JSON.parse(await kubectl(c, ["get", ref(workload), "-n", namespace, "-o", "json"])) as {
    spec?: { selector?: { matchLabels?: Record<string, string> } };
  };
  const labels = w.spec?.selector?.matchLabels ?? {};
  const labelSelector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
  const list = await c.kc().makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector });
  return list.items;
}

const isReady = (p: V1Pod) =>
  !p.metadata?.deletionTimestamp &&
  p.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True");

export interface Disruption {
  /** The pod the Eviction API was asked to evict. */
  pod: string;
  /** True when it was evicted; false when a PodDisruptionBudget refused (HTTP 429). */
  evicted: boolean;
  /** The API's message when refused. */
  message?: string;
}

/**
 * A voluntary disruption in the middle of a rollout: `kubectl rollout restart`, then at once one Ready pod of
 * the Deployment is evicted through the Eviction API (as `kubectl drain` does), which a PodDisruptionBudget
 * may refuse. (kwok starts pods at once: give the Deployment `minReadySeconds` for a rollout that lasts.)
 */
export async function disruptDuringRollout(
  c: TestCluster,
  namespace: string,
  workload: string,
): Promise<Disruption> {
  const before = new Set((await podsOf(c, namespace, workload)).map((p) => p.metadata?.name));
  await kubectl(c, ["-n", namespace, "rollout", "restart", ref(workload)]);
  // a Ready pod of the old revision (the rollout has not replaced it yet); the rollout may delete it first
  for (let attempt = 0;; attempt++) {
    const pods = (await podsOf(c, namespace, workload)).filter(isReady);
    const victim = (pods.find((p) => before.has(p.metadata?.name)) ?? pods[0])?.metadata?.name;
    if (!victim) throw new Error(`${namespace}/${workload} has no Ready pod to evict`);
    const body = JSON.stringify({
      apiVersion: "policy/v1",
      kind: "Eviction",
      metadata: { name: victim, namespace },
    });
    const r = await c.kubectl(
      ["create", "--raw", `/api/v1/namespaces/${namespace}/pods/${victim}/eviction`, "-f", "-"],
      { stdin: body },
    );
    if (r.code === 0) return { pod: victim, evicted: true };
    if (/TooManyRequests|disruption budget/i.test(r.stderr)) {
      return { pod: victim, evicted: false, message: r.stderr.trim() };
    }
    if (!/NotFound/.test(r.stderr) || attempt >= 5) {
      throw new Error(`${c.name}: evicting ${namespace}/${victim} failed: ${r.stderr}`);
    }
  }
}

/**
 * The container runtime of `node` stops creating pods: every new pod placed there stays in ContainerCreating
 * (a kwok Stage). The DaemonSet `daemonSet`'s pod on that node is deleted (as after a node reboot) and its
 * replacement never starts, so the DaemonSet reports one pod unavailable. Returns a function that repairs the
 * node (the Stage goes, the stuck pod is replaced).
 */
export async function daemonSetPodsNotStartingOn(
  c: TestCluster,
  node: string,
  namespace: string,
  daemonSet: string,
): Promise<() => Promise<void>> {
  liveOf(c);
  const custom = c.kc().makeApiClient(CustomObjectsApi);
  await createStage(custom, podsNeverStartOn(node));
  const dsRef = daemonSet.includes("/") ? daemonSet : `daemonset/${daemonSet}`;
  const onNode = async () => (await podsOf(c, namespace, dsRef)).filter((p) => p.spec?.nodeName === node);
  // kwok reads Stages through a watch: if the replacement pod still started, the Stage was not seen yet
  for (let attempt = 0;; attempt++) {
    const old = (await onNode()).filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!);
    for (const p of old) await kubectl(c, ["-n", namespace, "delete", "pod", p, "--wait=false"]);
    const fresh = await eventually(async () => {
      const now = (await onNode()).filter((p) =>
        !old.includes(p.metadata!.name!) && !p.metadata?.deletionTimestamp
      );
      const p = now[0];
      if (!p) return undefined;
      const waiting = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      return waiting === "ContainerCreating" ? "stuck" : isReady(p) ? "started" : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200, what: `${namespace}/${daemonSet}'s new pod on ${node}` });
    if (fresh === "stuck") break;
    if (attempt >= 4) throw new Error(`the pod of ${daemonSet} on ${node} keeps starting`);
    await new Promise((r) => setTimeout(r, 500)); // give kwok's Stage watch a moment
  }
  return async () => {
    await custom.deleteClusterCustomObject({
      group: "kwok.x-k8s.io",
      version: "v1alpha1",
      plural: "stages",
      name: podsNeverStartStageName(node),
    });
    for (const p of await onNode()) {
      await kubectl(c, ["-n", namespace, "delete", "pod", p.metadata!.name!, "--wait=false"]);
    }
  };
}
