/**
 * Live workload clusters: a harness cluster that runs the real controllers beside its kube-apiserver, so every
 * workload status a test sees is written by Kubernetes itself, never by the test.
 *
 *   kube-controller-manager  Deployment, ReplicaSet, StatefulSet, DaemonSet, EndpointSlice, node lifecycle,
 *                            pod GC, namespace, garbage collector, ServiceAccount + token, root CA publisher…
 *   kube-scheduler           places pods on the nodes
 *   kwok                     the kubelets of a few fake Nodes (kwok-node-1…): heartbeats (node Leases), pod
 *                            IPs, pods Running/Ready — and, through KSIT's Stages (tests/support/kwok_stages.ts),
 *                            image pull back-off, crash loops, pods that never start on a broken node
 *
 * How to use one (bare API servers stay the default; only the clusters named in `live` get controllers):
 *
 * ```ts
 * const harness = useHarness({ clusters: ["cp", "cluster-1"], live: ["cluster-1"] });
 * const c1 = harness().cluster("cluster-1");
 * await installLive(c1.kc(), "tools/argocd/install.yaml", "argocd");   // real objects, no status written
 * await waitRolledOut(c1, "argocd");                                     // kubectl rollout status, every workload
 * await rollOutBadImage(c1, "argocd", "argocd-repo-server");             // faults.ts: kubectl set image …
 * await rollBack(c1, "argocd", "argocd-repo-server");                    // kubectl rollout undo
 * ```
 *
 * - tests/support/live_workloads.ts: `installLive` (a tool fixture as real Deployments/StatefulSets/Services,
 *   status dropped; server-side apply, so running it again puts back what a test changed), `installTool`
 *   (that + `waitRolledOut`), `waitRolledOut` (`kubectl rollout status`), `readDeployment`/`waitDeployment`,
 *   `deploymentManifest`/`daemonSetManifest` + `applyObjects` for small test workloads, `applyYaml` for a YAML
 *   stream as an upstream install ships it (`kubectl apply --server-side`).
 * - tests/support/faults.ts: failures injected the way they happen — `rollOutBadImage`, `crashLoop`,
 *   `makeNodeNotReady`/`bringNodeBack`, `deleteNode`, `scaleToZero`, `disruptDuringRollout`,
 *   `daemonSetPodsNotStartingOn`, `rollBack` — each a real kubectl operation (or an API call kubectl lacks).
 * - `cluster.live.nodes` names the fake nodes; `cluster.live.rssKiB()` the controllers' memory.
 * - Timing: kube-controller-manager runs with `--node-monitor-grace-period=20s` (a node whose kubelet stops is
 *   NotReady after ~20 s; the default is 50 s); kwok renews node Leases every 2.5 s (10 s lease). A Deployment's
 *   own `progressDeadlineSeconds` decides when a stuck rollout is `ProgressDeadlineExceeded` — tests shorten it
 *   on the object, as a user would.
 * - Not simulated: volumes (PVCs stay Pending: no provisioner), Services' data plane (ClusterIPs are allocated
 *   and EndpointSlices written, nothing routes), container logs/exec, resource usage.
 *
 * Every process is tracked by the harness reaper and logs into the cluster's directory
 * (`kube-controller-manager.log`, `kube-scheduler.log`, `kwok.log`).
 */
import { CoreV1Api, CustomObjectsApi, type KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { Harness, Proc, TestCluster } from "./harness.ts";
import { KSIT_STAGES } from "./kwok_stages.ts";
import { eventually } from "./poll.ts";
import { freePort } from "./ports.ts";
import type { Testbin } from "./testbin.ts";

export interface LiveOptions {
  /** How many fake nodes kwok runs (default 3): kwok-node-1, kwok-node-2, … */
  nodes?: number;
  /** kube-controller-manager's --node-monitor-grace-period (default 20s). */
  nodeMonitorGracePeriod?: string;
}

/** The label (and annotation) that marks a fake node; kwok manages the nodes that carry the label. */
export const FAKE_NODE_LABEL = "kwok.x-k8s.io/node";
export const FAKE_NODE_VALUE = "fake";

/** kwok renews each node's Lease every 10 s / 4 (kube-controller-manager watches the Leases). */
const NODE_LEASE_SECONDS = 10;

/** What a detached harness records to find the controllers again. */
export interface LiveState {
  nodes: string[];
  procs: { name: string; pid: number; args: string[]; port?: number }[];
}

/** The names of the fake nodes of a live cluster. */
export function fakeNodeNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `kwok-node-${i + 1}`);
}

/** A fake Node as kwok expects it: labelled for kwok, with capacity and an InternalIP of its own. */
export function fakeNode(name: string, index: number) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        [FAKE_NODE_LABEL]: FAKE_NODE_VALUE,
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": `zone-${String.fromCharCode(97 + (index % 3))}`,
      },
      annotations: { [FAKE_NODE_LABEL]: FAKE_NODE_VALUE, "node.alpha.kubernetes.io/ttl": "0" },
    },
    status: {
      allocatable: { cpu: "32", memory: "128Gi", pods: "250", "ephemeral-storage": "500Gi" },
      capacity: { cpu: "32", memory: "128Gi", pods: "250", "ephemeral-storage": "500Gi" },
      addresses: [
        { type: "InternalIP", address: `10.1.0.${index + 1}` },
        { type: "Hostname", address: name },
      ],
    },
  };
}

/** Fails with a clear message when the test binaries predate live clusters. */
export async function requireLiveBinaries(bin: Testbin): Promise<void> {
  for (
    const p of [bin.kubeControllerManager, bin.kubeScheduler, bin.kwok, `${bin.kwokStages}/stages-crd.yaml`]
  ) {
    try {
      await Deno.stat(p);
    } catch {
      throw new Error(`live clusters need ${p}; run scripts/testbin.sh (it builds the controllers and kwok)`);
    }
  }
}

/** kube-controller-manager, kube-scheduler and kwok of one harness cluster. */
export class LiveControllers {
  readonly nodes: string[];
  readonly controllerManager: Proc;
  readonly scheduler: Proc;
  readonly kwok: Proc;
  private readonly ports: { kcm: number; scheduler: number };
  /** Milliseconds `start()` took (controllers healthy, every node Ready). */
  startupMs = 0;

  constructor(readonly cluster: TestCluster, opts: LiveOptions = {}, state?: LiveState) {
    const h = cluster.harness;
    const dir = cluster.dir;
    this.nodes = state?.nodes ?? fakeNodeNames(opts.nodes ?? 3);
    const old = (name: string) => state?.procs.find((p) => p.name === name);
    this.ports = {
      kcm: old("kube-controller-manager")?.port ?? freePort(),
      scheduler: old("kube-scheduler")?.port ?? freePort(),
    };
    const serving = [
      "--bind-address=127.0.0.1",
      `--tls-cert-file=${h.dir}/serving.crt`,
      `--tls-private-key-file=${h.dir}/serving.key`,
    ];
    const kcmArgs = old("kube-controller-manager")?.args ?? [
      `--kubeconfig=${cluster.kubeconfigPath}`,
      ...serving,
      `--secure-port=${this.ports.kcm}`,
      "--leader-elect=false",
      "--controllers=*",
      // ServiceAccount token Secrets and the kube-root-ca.crt ConfigMap, as on a real cluster
      `--service-account-private-key-file=${h.dir}/sa.key`,
      `--root-ca-file=${h.dir}/ca.crt`,
      "--use-service-account-credentials=false",
      // a node whose kubelet stops is NotReady after this (default 50s)
      "--node-monitor-period=2s",
      `--node-monitor-grace-period=${opts.nodeMonitorGracePeriod ?? "20s"}`,
      "--kube-api-qps=200",
      "--kube-api-burst=400",
      "--profiling=false",
      "--v=1",
    ];
    const schedulerArgs = old("kube-scheduler")?.args ?? [
      `--kubeconfig=${cluster.kubeconfigPath}`,
      ...serving,
      `--secure-port=${this.ports.scheduler}`,
      "--leader-elect=false",
      "--profiling=false",
      "--v=1",
    ];
    const kwokArgs = old("kwok")?.args ?? [
      `--kubeconfig=${cluster.kubeconfigPath}`,
      "--manage-all-nodes=false",
      `--manage-nodes-with-label-selector=${FAKE_NODE_LABEL}=${FAKE_NODE_VALUE}`,
      // stages are Stage objects in the cluster, so fault helpers can add some at run time
      "--enable-crds=Stage",
      "--cidr=10.244.0.0/16",
      `--node-lease-duration-seconds=${NODE_LEASE_SECONDS}`,
    ];
    const bin = h.bin;
    this.controllerManager = h.proc(
      "kube-controller-manager",
      bin.kubeControllerManager,
      kcmArgs,
      `${dir}/kube-controller-manager.log`,
    );
    this.scheduler = h.proc("kube-scheduler", bin.kubeScheduler, schedulerArgs, `${dir}/kube-scheduler.log`);
    this.kwok = h.proc("kwok", bin.kwok, kwokArgs, `${dir}/kwok.log`);
    if (state) {
      for (const p of this.procs) {
        const s = old(p.name);
        if (s) p.pid = s.pid;
      }
    }
  }

  private get procs(): Proc[] {
    return [this.controllerManager, this.scheduler, this.kwok];
  }

  /** Every controller process is alive. */
  get running(): boolean {
    return this.procs.every((p) => p.running);
  }

  state(): LiveState {
    const port = (p: Proc) =>
      p === this.controllerManager ? this.ports.kcm : p === this.scheduler ? this.ports.scheduler : undefined;
    return {
      nodes: this.nodes,
      procs: this.procs.map((p) => ({ name: p.name, pid: p.pid!, args: p.args, port: port(p) })),
    };
  }

  /**
   * Starts the three processes and the fake nodes, all at once, and waits until the controllers answer
   * /healthz, every node is Ready and the ServiceAccount controller has run (pods can be created).
   */
  async start(): Promise<void> {
    const t0 = performance.now();
    const h = this.cluster.harness;
    await requireLiveBinaries(h.bin);
    const kc = this.cluster.kc();
    try {
      await Promise.all([
        this.controllerManager.start().then(() => this.healthz(this.controllerManager, this.ports.kcm)),
        this.scheduler.start().then(() => this.healthz(this.scheduler, this.ports.scheduler)),
        (async () => {
          await Promise.all([installStages(kc, h.bin), createNodes(kc, this.nodes)]);
          await this.kwok.start();
        })(),
      ]);
      const core = kc.makeApiClient(CoreV1Api);
      await eventually(async () => {
        for (const p of this.procs) if (!p.running) throw new Error(`${p.name} exited`);
        const nodes = await core.listNode({ labelSelector: `${FAKE_NODE_LABEL}=${FAKE_NODE_VALUE}` });
        const ready = nodes.items.filter((n) =>
          n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
        );
        if (ready.length < this.nodes.length) return false;
        await core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
        return true;
      }, {
        timeoutMs: 60_000,
        intervalMs: 100,
        what: `${this.cluster.name}: nodes Ready and controllers running`,
      });
    } catch (e) {
      const tails = await Promise.all(this.procs.map(async (p) => `--- ${p.name}:\n${await p.tail(15)}`));
      throw new Error(
        `${this.cluster.name}: live controllers not ready: ${(e as Error).message}\n${tails.join("\n")}`,
      );
    }
    this.startupMs = Math.round(performance.now() - t0);
  }

  private async healthz(p: Proc, port: number) {
    const client = this.cluster.harness.httpClient;
    await eventually(async () => {
      if (!p.running) throw new Error(`${p.name} exited`);
      const res = await fetch(`https://127.0.0.1:${port}/healthz`, {
        client,
        signal: AbortSignal.timeout(2000),
      });
      await res.body?.cancel();
      return res.status === 200;
    }, { timeoutMs: 60_000, intervalMs: 100, what: `${this.cluster.name} ${p.name} /healthz` });
  }

  /** Stops the three processes (SIGKILL by default: nothing to shut down gracefully in a test). */
  async stop(signal: Deno.Signal = "SIGKILL"): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop(signal)));
  }

  /** Resident memory of each controller process, KiB (VmRSS). */
  async rssKiB(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of this.procs) {
      const text = p.pid ? await Deno.readTextFile(`/proc/${p.pid}/status`).catch(() => "") : "";
      out[p.name] = Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? 0);
    }
    return out;
  }
}

type Obj = { apiVersion: string; kind: string; metadata: { name: string } };

async function readYamlObjects(path: string): Promise<Obj[]> {
  return parseAllDocuments(await Deno.readTextFile(path)).map((d) => d.toJS() as Obj).filter((o) => o?.kind);
}

/** kwok's Stage CRD, its default node and pod stages (from the kwok module) and KSIT's Stages. */
async function installStages(kc: KubeConfig, bin: Testbin): Promise<void> {
  const objects = kc.makeApiClient(KubernetesObjectApi);
  const [crd] = await readYamlObjects(`${bin.kwokStages}/stages-crd.yaml`);
  await objects.create(crd!).catch(ignoreConflict);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const defaults: Obj[] = [];
  for (const f of [...Deno.readDirSync(bin.kwokStages)].map((e) => e.name).sort()) {
    if (f.endsWith(".yaml") && f !== "stages-crd.yaml") {
      defaults.push(...await readYamlObjects(`${bin.kwokStages}/${f}`));
    }
  }
  // a new CRD is served a moment after it is created: retry until the first Stage is accepted
  const stages = [...defaults, ...KSIT_STAGES];
  await eventually(async () => {
    await createStage(custom, stages[0]!);
    return true;
  }, { timeoutMs: 30_000, intervalMs: 100, what: "kwok Stage CRD served" });
  await Promise.all(stages.slice(1).map((s) => createStage(custom, s)));
}

/** Creates (or keeps) a kwok Stage. */
export async function createStage(custom: CustomObjectsApi, stage: object): Promise<void> {
  await custom.createClusterCustomObject({
    group: "kwok.x-k8s.io",
    version: "v1alpha1",
    plural: "stages",
    body: stage,
  }).catch(ignoreConflict);
}

async function createNodes(kc: KubeConfig, names: string[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await Promise.all(names.map((n, i) => core.createNode({ body: fakeNode(n, i) }).catch(ignoreConflict)));
}

function ignoreConflict(e: unknown): void {
  if ((e as { code?: number }).code !== 409) throw e;
}

/** The controllers of `cluster` (throws when it is a bare API server). */
export function liveOf(cluster: TestCluster): LiveControllers {
  if (!cluster.live) {
    throw new Error(
      `${cluster.name} is a bare API server; start it with Harness.start({ live: ["${cluster.name}"] })`,
    );
  }
  return cluster.live;
}

export type { Harness };
