/**
 * A corpus install (tests/fixtures/corpus/) on a real API server: its rendered objects created in the test's
 * namespaces, and the status their controllers would write — healthy, or a named breakage — written through
 * /status by one helper (`setBreakage`), so these tests can later run against clusters whose controllers
 * write status themselves. EndpointSlices are made as the EndpointSlice controller would (there is none on a
 * bare API server).
 */
import { checkContext } from "../../cli/check.ts";
import type { ToolType } from "../../api/types.ts";
import type { TestCluster } from "./harness.ts";
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1DaemonSet,
  type V1Deployment,
  type V1StatefulSet,
} from "@kubernetes/client-node";
import {
  type Breakage,
  endpointSlicesFor,
  keyOf,
  type LoadedInstall,
  servicesOf,
  type Workload,
  workloadStatus,
} from "../fixtures/corpus.ts";

export interface OnServer {
  loaded: LoadedInstall;
  /** Writes `breakage` (undefined: healthy) for the workload or Service `key` (`Kind/name`). */
  setBreakage(key: string, breakage?: Breakage): Promise<void>;
}

const ignore409 = (e: unknown) => {
  if ((e as { code?: number }).code !== 409) throw e;
};

/** Creates the install's namespaces and objects, healthy. */
export async function seedCorpus(kc: KubeConfig, loaded: LoadedInstall): Promise<OnServer> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const disc = kc.makeApiClient(DiscoveryV1Api);
  const objects = kc.makeApiClient(KubernetesObjectApi);
  await Promise.all(
    Object.values(loaded.namespaces).map((name) =>
      core.createNamespace({ body: { metadata: { name } } }).catch(ignore409)
    ),
  );
  /** The object as created (generation from the server). */
  const live = new Map<string, Workload & { kind: string }>();
  await Promise.all(loaded.objects.map(async (o) => {
    const { status: _none, ...body } = structuredClone(o) as KubernetesObject & { status?: unknown };
    const created = await objects.create(body as KubernetesObject) as Workload & { kind: string };
    if (o.kind !== "Service") live.set(keyOf(o), { ...created, kind: o.kind });
  }));
  const services = servicesOf(loaded.objects);
  const broken = new Map<string, Breakage>();

  const writeStatus = async (w: Workload & { kind: string }, breakage?: Breakage) => {
    const name = w.metadata!.name!;
    const namespace = w.metadata!.namespace!;
    let current = w;
    if (breakage === "staleGeneration") {
      // a spec change the controller has not acted on: generation + 1, observedGeneration stays
      const patched = structuredClone(current) as V1Deployment;
      const tpl = patched.spec!.template!;
      tpl.metadata = {
        ...tpl.metadata,
        annotations: { ...tpl.metadata?.annotations, "ksit.io/restartedAt": String(Date.now()) },
      };
      current = { ...(await objects.replace(patched as KubernetesObject)), kind: w.kind } as typeof w;
    }
    const generation = current.metadata?.generation ?? 1;
    const status = workloadStatus(current, generation, breakage);
    const body = { ...current, status } as never;
    let written: Workload;
    if (w.kind === "Deployment") {
      written = await apps.replaceNamespacedDeploymentStatus({ name, namespace, body: body as V1Deployment });
    } else if (w.kind === "StatefulSet") {
      written = await apps.replaceNamespacedStatefulSetStatus({
        name,
        namespace,
        body: body as V1StatefulSet,
      });
    } else {
      written = await apps.replaceNamespacedDaemonSetStatus({ name, namespace, body: body as V1DaemonSet });
    }
    live.set(`${w.kind}/${name}`, { ...written, kind: w.kind });
  };

  const slices = () =>
    endpointSlicesFor(
      services,
      [...live.values()].map((w) => ({ workload: w, status: w.status })),
      new Set(
        [...broken].filter(([, b]) => b === "noReadyEndpoints").map(([k]) => k.slice("Service/".length)),
      ),
    );
  const writeSlices = async (only?: string) => {
    for (const slice of slices()) {
      const svc = slice.metadata?.labels?.["kubernetes.io/service-name"];
      if (only && svc !== only) continue;
      const namespace = slice.metadata!.namespace!;
      const name = slice.metadata!.name!;
      try {
        const cur = await disc.readNamespacedEndpointSlice({ name, namespace });
        slice.metadata!.resourceVersion = cur.metadata?.resourceVersion;
        await disc.replaceNamespacedEndpointSlice({ name, namespace, body: slice });
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw e;
        await disc.createNamespacedEndpointSlice({ namespace, body: slice });
      }
    }
  };

  await Promise.all([...live.values()].map((w) => writeStatus(w)));
  await writeSlices();

  return {
    loaded,
    async setBreakage(key, breakage) {
      if (breakage) broken.set(key, breakage);
      else broken.delete(key);
      if (key.startsWith("Service/")) {
        await writeSlices(key.slice("Service/".length));
        return;
      }
      const w = live.get(key);
      if (!w) throw new Error(`${key} is not a workload of ${loaded.install.id}`);
      await writeStatus(w, breakage);
    },
  };
}

/** What `check` says about `type` in `namespaces` of `cluster` (in-process, the CLI's own path). */
export async function checkTool(cluster: TestCluster, type: ToolType, namespaces: string[]) {
  const [r] = await checkContext(cluster.kubeconfigYaml, cluster.name, [type], {
    toolNamespace: [`${type}=${namespaces.join(",")}`],
  });
  return r!;
}
