/**
 * The corpus of real installs (tests/fixtures/corpus/) on a live workload cluster (issue 13): each install's
 * Deployments, StatefulSets, DaemonSets and Services created as upstream renders them, rolled out by
 * kube-controller-manager and kube-scheduler onto kwok's nodes — the test writes no status. Rolled out, the
 * install is judged Running; an image that never pulls rolled out to one required component of it (as
 * `kubectl set image`) makes it Degraded or Failed naming that component, as the component's kind and strategy
 * say (a surge rollout still serves; Recreate, or a StatefulSet of one, does not); `kubectl rollout undo` makes
 * it Running again. tests/corpus_test.ts holds every breakage of every component, with statuses written
 * through /status on a bare API server (stale generations and exact surge shapes cannot be caused on demand).
 */
import { assertEquals, assertStringIncludes } from "./support/assert.ts";
import type { KubernetesObject } from "@kubernetes/client-node";
import { KubernetesObjectApi } from "@kubernetes/client-node";
import type { ToolType } from "../api/types.ts";
import { breakagesOf, CORPUS, type CorpusInstall, keyOf, loadCorpus } from "./fixtures/corpus.ts";
import type { KubeObject } from "./fixtures/load.ts";
import { useHarness } from "./support/harness.ts";
import { eventually } from "./support/poll.ts";
import { adminKc } from "./support/serve.ts";
import { checkTool } from "./support/corpus.ts";
import { podsOf, rollBack, rollOutBadImage } from "./support/faults.ts";
import { NEVER_READY_TAG } from "./support/kwok_stages.ts";
import { createNamespace, toCreate, waitRolledOut } from "./support/live_workloads.ts";

const harness = useHarness({
  clusters: ["work"],
  live: ["work"],
  apiserverArgs: ["--service-cluster-ip-range=10.96.0.0/16"],
});

/** The test's namespace for corpus namespace `ns` of install number `i`. */
const rename = (i: number) => (ns: string) => `l${i}-${ns}`.slice(0, 63);

/** The priority classes every cluster has (kube-apiserver creates them); any other would have to exist. */
const SYSTEM_PRIORITY = new Set(["system-node-critical", "system-cluster-critical"]);

interface PodSpec {
  serviceAccountName?: string;
  serviceAccount?: string;
  priorityClassName?: string;
  volumes?: { name: string }[];
}

/**
 * The install's objects as a live cluster takes them, changed only where this cluster lacks what a real one has:
 * the ServiceAccounts its pods run as (the rendered installs create them along with RBAC the test does not need),
 * a volume for each StatefulSet volumeClaimTemplate (there is no storage provisioner: an emptyDir of the same
 * name), and no custom priority class (none is created). Status and server-set metadata are dropped: the
 * controllers write the status.
 */
function forLiveCluster(
  objects: readonly KubeObject[],
): { serviceAccounts: KubernetesObject[]; objects: KubernetesObject[] } {
  const accounts = new Map<string, KubernetesObject>();
  const out = objects
    .filter((o) => ["Deployment", "StatefulSet", "DaemonSet", "Service"].includes(o.kind))
    .map((o) => {
      const copy = structuredClone(toCreate(o)) as KubernetesObject & { spec?: Record<string, unknown> };
      if (o.kind === "Service") return copy as KubernetesObject;
      const spec = copy.spec as {
        template: { spec: PodSpec };
        volumeClaimTemplates?: { metadata: { name: string } }[];
      };
      const pod = spec.template.spec;
      const sa = pod.serviceAccountName ?? pod.serviceAccount;
      if (sa && sa !== "default") {
        const namespace = copy.metadata!.namespace!;
        accounts.set(`${namespace}/${sa}`, {
          apiVersion: "v1",
          kind: "ServiceAccount",
          metadata: { name: sa, namespace },
        });
      }
      if (pod.priorityClassName && !SYSTEM_PRIORITY.has(pod.priorityClassName)) delete pod.priorityClassName;
      for (const claim of spec.volumeClaimTemplates ?? []) {
        pod.volumes = [
          ...(pod.volumes ?? []),
          { name: claim.metadata.name, emptyDir: {} } as { name: string },
        ];
      }
      delete spec.volumeClaimTemplates;
      return copy as KubernetesObject;
    });
  return { serviceAccounts: [...accounts.values()], objects: out };
}

/** Polls `check` until its verdict has `phase`; returns that result (the last one seen is in the error). */
async function waitVerdict(
  type: ToolType,
  namespaces: string[],
  phase: string,
  what: string,
  timeoutMs = 90_000,
) {
  let last = "";
  try {
    return await eventually(async () => {
      const r = await checkTool(harness().cluster("work"), type, namespaces);
      last = `${r.verdict.phase}: ${r.verdict.message}`;
      return r.verdict.phase === phase ? r : undefined;
    }, { timeoutMs, intervalMs: 250, what });
  } catch (e) {
    throw new Error(`${(e as Error).message}; last verdict ${last}`);
  }
}

const timings: string[] = [];
Deno.test.afterAll(() =>
  console.log(`per install (roll out; each workload broken ⇒ its phase, undone): ${timings.join(", ")}`)
);

CORPUS.forEach((c: CorpusInstall, i: number) => {
  Deno.test(`corpus on a live cluster: ${c.id}: rolled out ⇒ Running; a bad image on a required component names it`, async () => {
    const t0 = performance.now();
    const h = harness();
    const work = h.cluster("work");
    const kc = adminKc(work);
    const loaded = await loadCorpus(c.id, rename(i));
    const namespaces = Object.values(loaded.namespaces);
    const live = forLiveCluster(loaded.objects);
    for (const ns of namespaces) await createNamespace(kc, ns);
    const api = kc.makeApiClient(KubernetesObjectApi);
    for (const sa of live.serviceAccounts) await api.create(sa);
    await Promise.all(live.objects.map((o) => api.create(o)));
    try {
      for (const ns of namespaces) await waitRolledOut(work, ns, undefined, 90);
      const healthy = await waitVerdict(c.tool, namespaces, "Running", `${c.id} Running once rolled out`);

      // one workload of each kind the install has (Deployment, StatefulSet, DaemonSet), a required
      // component's where there is one
      const required = new Set(
        (healthy.verdict.components ?? []).filter((x) => x.required).map((x) => x.name),
      );
      const byRequired = Object.entries(c.expect).sort(([a], [b]) =>
        Number(required.has(b)) - Number(required.has(a))
      );
      const broken: string[] = [];
      for (const kind of ["Deployment", "StatefulSet", "DaemonSet"]) {
        const found = byRequired.flatMap(([component, keys]) =>
          keys.filter((k) =>
            k.startsWith(`${kind}/`)
          ).map((key) => ({ component, key }))
        )[0];
        if (!found) continue;
        const { component, key } = found;
        const obj = loaded.objects.find((o) => keyOf(o) === key)!;
        const namespace = obj.metadata.namespace!;
        const ref = `${kind.toLowerCase()}/${obj.metadata.name}`;
        const health = breakagesOf(obj).find(([b]) => b === "stuckRollout")![1];
        const phase = required.has(component) && health === "Unhealthy" ? "Failed" : "Degraded";

        await rollOutBadImage(work, namespace, ref);
        const r = await waitVerdict(c.tool, namespaces, phase, `${c.id}: ${key} with a bad image ⇒ ${phase}`);
        const shown = namespaces.length > 1 ? `${namespace}/${obj.metadata.name}` : obj.metadata.name;
        assertStringIncludes(r.verdict.message ?? "", shown, `${c.id}: the message names ${shown}`);
        assertEquals(r.verdict.components?.find((x) => x.name === component)?.status, health, key);

        await rollBack(work, namespace, ref);
        if (kind === "StatefulSet") {
          // a StatefulSet does not replace a pod that never got ready after a rollback: its operator deletes it
          // (Kubernetes docs, "Forced rollback")
          const stuck = (await podsOf(work, namespace, ref)).filter((p) =>
            p.spec?.containers.some((x) => x.image?.endsWith(`:${NEVER_READY_TAG}`))
          );
          for (const p of stuck) await work.kubectl(["-n", namespace, "delete", "pod", p.metadata!.name!]);
        }
        await waitVerdict(c.tool, namespaces, "Running", `${c.id}: ${key} rolled back ⇒ Running`);
        broken.push(`${key} ⇒ ${phase}`);
      }
      timings.push(`${c.id} (${broken.join("; ")}) ${Math.round(performance.now() - t0)} ms`);
    } finally {
      // the next install may want the same host ports (node-exporter): free the nodes
      for (const ns of namespaces) {
        await work.kubectl(["delete", "namespace", ns, "--wait=false"]);
      }
    }
  });
});
