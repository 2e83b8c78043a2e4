/**
 * Workloads on live clusters (tests/support/live.ts): a tool fixture created as real objects whose status the
 * controllers write, waiting for rollouts the way a user does, and reading what Kubernetes reports.
 */
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Deployment,
  type V1EndpointSlice,
} from "@kubernetes/client-node";
import { type KubeObject, loadFixture } from "../fixtures/load.ts";
import type { TestCluster } from "./harness.ts";
import { eventually } from "./poll.ts";

/** Any manifest to apply (a Kubernetes object with whatever fields its kind has). */
export type Manifest = KubernetesObject & { [field: string]: unknown };

/** The field manager of objects the tests and the quickstart create. */
const FIELD_MANAGER = "ksit-tests";

const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet"];

/** `o` as a client creates it: without status (the controllers write it) and the metadata the server sets. */
export function toCreate(o: KubeObject): KubernetesObject {
  const { status: _status, ...rest } = o as KubeObject & { status?: unknown };
  const meta = { ...rest.metadata } as Record<string, unknown>;
  for (const k of ["generation", "resourceVersion", "uid", "creationTimestamp", "managedFields"]) {
    delete meta[k];
  }
  return { ...rest, metadata: meta } as KubernetesObject;
}

/**
 * The objects to create for a fixture on a live cluster: its Deployments, StatefulSets and DaemonSets without
 * status (the controllers write it), and for every Service its EndpointSlices belong to, the Service itself —
 * selecting the pods of the workload the slices point at, with the slices' ports — so the EndpointSlice
 * controller writes the slices anew from real pods.
 */
export function liveObjects(objects: KubeObject[]): KubernetesObject[] {
  const workloads = objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));
  const out: KubernetesObject[] = workloads.map(toCreate);
  const slices = objects.filter((o) => o.kind === "EndpointSlice") as unknown as V1EndpointSlice[];
  const services = new Map<string, V1EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.["kubernetes.io/service-name"];
    if (svc) services.set(svc, [...(services.get(svc) ?? []), s]);
  }
  for (const [name, list] of services) {
    const pods = list.flatMap((s) => s.endpoints ?? []).map((e) => e.targetRef?.name ?? "");
    // the workload whose pods the slices list (longest name that prefixes a pod name), else the same name
    const owner = workloads
      .filter((w) => pods.some((p) => p.startsWith(`${w.metadata.name}-`)))
      .sort((a, b) => b.metadata.name.length - a.metadata.name.length)[0] ??
      workloads.find((w) => w.metadata.name === name);
    const selector = (owner?.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)
      ?.selector?.matchLabels;
    if (!selector) continue;
    const ports = new Map<string, { name?: string; port: number; protocol?: string }>();
    for (const s of list) {
      for (const p of s.ports ?? []) {
        if (p.port) ports.set(`${p.name}/${p.port}`, { name: p.name, port: p.port, protocol: p.protocol });
      }
    }
    const labels = { ...(list[0]?.metadata?.labels ?? {}) };
    delete labels["kubernetes.io/service-name"];
    delete labels["endpointslice.kubernetes.io/managed-by"];
    out.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: list[0]?.metadata?.namespace, labels },
      spec: {
        selector,
        ports: [...ports.values()].map((p) => ({ ...p, targetPort: p.port })),
      },
    } as KubernetesObject);
  }
  return out;
}

/**
 * Creates a tool fixture (tests/fixtures/tools/…, or a URL) on a live cluster in `namespace` (created if
 * needed) as real objects, by server-side apply: running it again puts back what a test changed (an image, the
 * replicas), like `kubectl apply --server-side --force-conflicts` would.
 */
export async function installLive(kc: KubeConfig, fixture: string, namespace: string): Promise<void> {
  await createNamespace(kc, namespace);
  const fx = await loadFixture(fixture, { namespace });
  const api = kc.makeApiClient(KubernetesObjectApi);
  await Promise.all(
    liveObjects(fx.objects).map((o) =>
      api.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)
    ),
  );
}

/** `installLive`, then waits until every workload of the namespace is rolled out. */
export async function installTool(c: TestCluster, fixture: string, namespace: string): Promise<void> {
  await installLive(c.kc(), fixture, namespace);
  await waitRolledOut(c, namespace);
}

/** Creates a namespace (kept when it exists). */
export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } }).catch((e) => {
    if ((e as { code?: number }).code !== 409) throw e;
  });
}

/**
 * Waits until every Deployment, StatefulSet and DaemonSet in `namespace` (or just `workloads`, e.g.
 * `["deployment/argocd-server"]`) is rolled out, with `kubectl rollout status` as a user would.
 */
export async function waitRolledOut(
  c: TestCluster,
  namespace: string,
  workloads?: string[],
  timeoutS = 60,
): Promise<void> {
  let names = workloads;
  if (!names) {
    const list = await c.kubectl([
      "get",
      "deployments,statefulsets,daemonsets",
      "-n",
      namespace,
      "-o",
      "name",
    ]);
    if (list.code !== 0) throw new Error(`kubectl get in ${namespace}: ${list.stderr}`);
    names = list.stdout.split("\n").filter(Boolean);
  }
  await Promise.all(names.map(async (w) => {
    const r = await c.kubectl(["rollout", "status", w, "-n", namespace, `--timeout=${timeoutS}s`]);
    if (r.code !== 0) throw new Error(`${c.name}: ${namespace}/${w} not rolled out: ${r.stderr || r.stdout}`);
  }));
}

/** A Deployment as the API server returns it (the status is the Deployment controller's). */
export async function readDeployment(kc: KubeConfig, namespace: string, name: string): Promise<V1Deployment> {
  return await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace });
}

/** Polls Deployment `namespace/name` until `check` returns true for it; returns it. */
export async function waitDeployment(
  kc: KubeConfig,
  namespace: string,
  name: string,
  check: (d: V1Deployment) => boolean,
  opts: { timeoutMs?: number; what?: string } = {},
): Promise<V1Deployment> {
  return await eventually(async () => {
    const d = await readDeployment(kc, namespace, name);
    return check(d) ? d : undefined;
  }, {
    timeoutMs: opts.timeoutMs ?? 30_000,
    intervalMs: 200,
    what: opts.what ?? `deployment ${namespace}/${name}`,
  });
}

/** A small Deployment for tests (`replicas` pods of one container; 2 by default). */
export function deploymentManifest(
  name: string,
  namespace: string,
  opts: {
    replicas?: number;
    image?: string;
    progressDeadlineSeconds?: number;
    /** Seconds a new pod must be Ready before it counts as available: makes a rollout last that long. */
    minReadySeconds?: number;
    labels?: Record<string, string>;
  } = {},
): Manifest {
  const labels = opts.labels ?? { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: {
      replicas: opts.replicas ?? 2,
      ...(opts.progressDeadlineSeconds ? { progressDeadlineSeconds: opts.progressDeadlineSeconds } : {}),
      ...(opts.minReadySeconds ? { minReadySeconds: opts.minReadySeconds } : {}),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "main", image: opts.image ?? "registry.example/app:1.0.0" }] },
      },
    },
  };
}

/** A small DaemonSet for tests (one pod per node). */
export function daemonSetManifest(
  name: string,
  namespace: string,
  image = "registry.example/agent:1.0.0",
): Manifest {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name, namespace, labels },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: "agent", image }] } },
    },
  };
}

/**
 * `kubectl apply --server-side --force-conflicts -f -` of a YAML stream (e.g. an upstream install manifest), in
 * `namespace` when given. Throws with kubectl's message when it fails.
 */
export async function applyYaml(c: TestCluster, yaml: string, namespace?: string): Promise<void> {
  const args = ["apply", "--server-side", "--force-conflicts", `--field-manager=${FIELD_MANAGER}`, "-f", "-"];
  const r = await c.kubectl(namespace ? ["-n", namespace, ...args] : args, { stdin: yaml });
  if (r.code !== 0) throw new Error(`${c.name}: kubectl apply failed: ${r.stderr || r.stdout}`);
}

/** Server-side applies objects (test manifests) on a cluster. */
export async function applyObjects(kc: KubeConfig, objects: Manifest[]): Promise<void> {
  const api = kc.makeApiClient(KubernetesObjectApi);
  for (const o of objects) {
    await api.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }
}
