import type { V1DaemonSet, V1Deployment, V1EndpointSlice, V1StatefulSet } from "@kubernetes/client-node";
import { assertEquals } from "../tests/support/assert.ts";
import {
  type Breakage,
  keyOf,
  loadCorpus,
  type LoadedInstall,
  withStatuses,
  type Workload,
} from "../tests/fixtures/corpus.ts";
import { loadFixture } from "../tests/fixtures/load.ts";
import { judgeEndpoints } from "./endpoints.ts";
import type { Verdict } from "./verdict.ts";
import { judgeDaemonSet, judgeDeployment, judgeStatefulSet } from "./workload.ts";

const argocd = await loadFixture("tools/argocd/install.yaml");
const kubePrometheus = await loadFixture("tools/prometheus/kube-prometheus.yaml");

/** A deep copy of the named object of a fixture list, changed by `change`. */
function variant<T extends { metadata?: { name?: string } }>(
  list: T[],
  name: string,
  change: (o: T) => void = () => {},
): T {
  const found = list.find((o) => o.metadata?.name === name);
  if (!found) throw new Error(`no ${name} in fixture`);
  const copy = structuredClone(found);
  change(copy);
  return copy;
}

const repoServer = (change?: (d: V1Deployment) => void) =>
  variant(argocd.deployments, "argocd-repo-server", change);
const prometheusK8s = (change?: (s: V1StatefulSet) => void) =>
  variant(kubePrometheus.statefulSets, "prometheus-k8s", change);

const pde = {
  type: "Progressing",
  status: "False",
  reason: "ProgressDeadlineExceeded",
  message: 'ReplicaSet "argocd-repo-server-4jjt5k6t5" has timed out progressing.',
};

interface Case<T> {
  name: string;
  object: T;
  status: string;
  reason: string;
  ready: string;
  message: string;
}

const deploymentCases: Case<V1Deployment>[] = [
  {
    name: "all replicas available",
    object: repoServer(),
    status: "Healthy",
    reason: "Available",
    ready: "2/2",
    message: "argocd-repo-server: 2/2 available",
  },
  {
    name: "0 of 2 available",
    object: repoServer((d) => (d.status!.availableReplicas = 0)),
    status: "Unhealthy",
    reason: "NoReplicasAvailable",
    ready: "0/2",
    message: "argocd-repo-server: 0/2 available",
  },
  {
    name: "availableReplicas absent (API omits zero)",
    object: repoServer((d) => delete d.status!.availableReplicas),
    status: "Unhealthy",
    reason: "NoReplicasAvailable",
    ready: "0/2",
    message: "argocd-repo-server: 0/2 available",
  },
  {
    name: "brand new, no status yet",
    object: repoServer((d) => {
      delete d.status;
      d.spec!.replicas = undefined;
    }),
    status: "Unhealthy",
    reason: "NoReplicasAvailable",
    ready: "0/1",
    message: "argocd-repo-server: 0/1 available (rollout in progress)",
  },
  {
    name: "1 of 2 available",
    object: repoServer((d) => (d.status!.availableReplicas = 1)),
    status: "Degraded",
    reason: "PartiallyAvailable",
    ready: "1/2",
    message: "argocd-repo-server: 1/2 available",
  },
  {
    name: "stale observedGeneration",
    object: repoServer((d) => (d.metadata!.generation = 2)),
    status: "Degraded",
    reason: "RolloutInProgress",
    ready: "2/2",
    message: "argocd-repo-server: rollout in progress (generation 2 not yet observed), 2/2 available",
  },
  {
    name: "stale observedGeneration and nothing available: nothing serves",
    object: repoServer((d) => {
      d.metadata!.generation = 2;
      d.status!.availableReplicas = 0;
    }),
    status: "Unhealthy",
    reason: "NoReplicasAvailable",
    ready: "0/2",
    message: "argocd-repo-server: 0/2 available (rollout in progress)",
  },
  {
    name: "ProgressDeadlineExceeded",
    object: repoServer((d) => {
      d.status!.availableReplicas = 1;
      d.status!.conditions = [d.status!.conditions![0]!, pde];
    }),
    status: "Unhealthy",
    reason: "ProgressDeadlineExceeded",
    ready: "1/2",
    message: `argocd-repo-server: rollout stuck, 1/2 available: ${pde.message}`,
  },
  {
    name: "ProgressDeadlineExceeded of an older generation is not trusted",
    object: repoServer((d) => {
      d.metadata!.generation = 3;
      d.status!.conditions = [d.status!.conditions![0]!, pde];
    }),
    status: "Degraded",
    reason: "RolloutInProgress",
    ready: "2/2",
    message: "argocd-repo-server: rollout in progress (generation 3 not yet observed), 2/2 available",
  },
  {
    name: "scaled to 0",
    object: repoServer((d) => {
      d.spec!.replicas = 0;
      d.status = { observedGeneration: 1 };
    }),
    status: "Unhealthy",
    reason: "ScaledToZero",
    ready: "0/0",
    message: "argocd-repo-server: scaled to 0 replicas",
  },
  {
    name: "rolling update: new ReplicaSet not fully rolled out yet",
    object: repoServer((d) => {
      d.status!.updatedReplicas = 1;
      d.status!.replicas = 3;
    }),
    status: "Degraded",
    reason: "RolloutInProgress",
    ready: "2/2",
    message: "argocd-repo-server: rollout in progress, 1/2 replicas updated, 2/2 available",
  },
  {
    // what the Deployment controller writes for 1 replica whose new pod never becomes ready (maxSurge 1,
    // maxUnavailable 0): the old pod still serves, the new one is counted as updated (issue 13)
    name: "stuck 1-replica rollout: one old and one new pod (status.replicas > spec.replicas)",
    object: repoServer((d) => {
      d.spec!.replicas = 1;
      d.status = { ...d.status, replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };
    }),
    status: "Degraded",
    reason: "RolloutInProgress",
    ready: "1/1",
    message:
      "argocd-repo-server: rollout in progress, 2 replicas for 1 desired, 1 unavailable (new pods not ready, old ones still serve), 1/1 available",
  },
];

for (const c of deploymentCases) {
  Deno.test(`judgeDeployment: ${c.name}`, () => {
    const v = judgeDeployment(c.object);
    assertEquals(
      { status: v.status, reason: v.reason, ready: v.ready, message: v.message },
      { status: c.status, reason: c.reason, ready: c.ready, message: c.message },
    );
    assertEquals(v.kind, "Deployment");
    assertEquals(v.workload, "argocd-repo-server");
  });
}

const statefulSetCases: Case<V1StatefulSet>[] = [
  {
    name: "all replicas available",
    object: prometheusK8s(),
    status: "Healthy",
    reason: "Available",
    ready: "2/2",
    message: "prometheus-k8s: 2/2 available",
  },
  {
    name: "mid-rollout: revisions differ, 1 of 2 pods updated",
    object: prometheusK8s((s) => {
      s.status!.updatedReplicas = 1;
      s.status!.currentReplicas = 1;
      s.status!.updateRevision = "prometheus-k8s-7d9f8c6b5";
    }),
    status: "Degraded",
    reason: "RolloutInProgress",
    ready: "2/2",
    message: "prometheus-k8s: rollout in progress, 1/2 pods updated, 2/2 available",
  },
  {
    name: "mid-rollout: every pod updated but currentRevision not yet switched",
    object: prometheusK8s((s) => (s.status!.updateRevision = "prometheus-k8s-7d9f8c6b5")),
    status: "Degraded",
    reason: "RolloutInProgress",
    ready: "2/2",
    message:
      "prometheus-k8s: rollout in progress, revision prometheus-k8s-cgdrrpc5v4 → prometheus-k8s-7d9f8c6b5, " +
      "2/2 available",
  },
  {
    name: "OnDelete strategy: differing revisions are the user's choice",
    object: prometheusK8s((s) => {
      s.spec!.updateStrategy = { type: "OnDelete" };
      s.status!.updatedReplicas = 0;
      s.status!.updateRevision = "prometheus-k8s-7d9f8c6b5";
    }),
    status: "Healthy",
    reason: "Available",
    ready: "2/2",
    message: "prometheus-k8s: 2/2 available",
  },
  {
    name: "partitioned rollout complete up to the partition",
    object: prometheusK8s((s) => {
      s.spec!.updateStrategy = { type: "RollingUpdate", rollingUpdate: { partition: 1 } };
      s.status!.updatedReplicas = 1;
      s.status!.updateRevision = "prometheus-k8s-7d9f8c6b5";
    }),
    status: "Healthy",
    reason: "Available",
    ready: "2/2",
    message: "prometheus-k8s: 2/2 available",
  },
  {
    name: "availableReplicas absent: readyReplicas counts",
    object: prometheusK8s((s) => {
      delete s.status!.availableReplicas;
      s.status!.readyReplicas = 1;
    }),
    status: "Degraded",
    reason: "PartiallyAvailable",
    ready: "1/2",
    message: "prometheus-k8s: 1/2 available",
  },
  {
    name: "no pod available",
    object: prometheusK8s((s) => {
      s.status!.availableReplicas = 0;
      s.status!.readyReplicas = 0;
    }),
    status: "Unhealthy",
    reason: "NoReplicasAvailable",
    ready: "0/2",
    message: "prometheus-k8s: 0/2 available",
  },
  {
    name: "stale observedGeneration",
    object: prometheusK8s((s) => (s.metadata!.generation = 5)),
    status: "Degraded",
    reason: "RolloutInProgress",
    ready: "2/2",
    message: "prometheus-k8s: rollout in progress (generation 5 not yet observed), 2/2 available",
  },
  {
    name: "scaled to 0",
    object: prometheusK8s((s) => {
      s.spec!.replicas = 0;
      s.status = { observedGeneration: 1, replicas: 0, currentRevision: "r", updateRevision: "r" };
    }),
    status: "Unhealthy",
    reason: "ScaledToZero",
    ready: "0/0",
    message: "prometheus-k8s: scaled to 0 replicas",
  },
];

for (const c of statefulSetCases) {
  Deno.test(`judgeStatefulSet: ${c.name}`, () => {
    const v = judgeStatefulSet(c.object);
    assertEquals(
      { status: v.status, reason: v.reason, ready: v.ready, message: v.message },
      { status: c.status, reason: c.reason, ready: c.ready, message: c.message },
    );
    assertEquals(v.kind, "StatefulSet");
  });
}

const serverSlices = argocd.endpointSlices.filter((s) =>
  s.metadata?.labels?.["kubernetes.io/service-name"] === "argocd-server"
);
const slicesWith = (change: (s: V1EndpointSlice) => void) =>
  serverSlices.map((s) => {
    const copy = structuredClone(s);
    change(copy);
    return copy;
  });

const endpointCases: Case<V1EndpointSlice[]>[] = [
  {
    name: "ready endpoints",
    object: serverSlices,
    status: "Healthy",
    reason: "EndpointsReady",
    ready: "2/2",
    message: "argocd-server: 2/2 endpoints ready",
  },
  {
    name: "one of two ready is enough",
    object: slicesWith((
      s,
    ) => (s.endpoints![0]!.conditions = { ready: false, serving: false, terminating: true })),
    status: "Healthy",
    reason: "EndpointsReady",
    ready: "1/2",
    message: "argocd-server: 1/2 endpoints ready",
  },
  {
    name: "conditions.ready absent means ready",
    object: slicesWith((s) => s.endpoints!.forEach((e) => delete e.conditions)),
    status: "Healthy",
    reason: "EndpointsReady",
    ready: "2/2",
    message: "argocd-server: 2/2 endpoints ready",
  },
  {
    name: "none ready",
    object: slicesWith((s) => s.endpoints!.forEach((e) => (e.conditions = { ready: false }))),
    status: "Unhealthy",
    reason: "NoReadyEndpoints",
    ready: "0/2",
    message: "argocd-server: Service has no ready endpoints (0/2)",
  },
  {
    name: "a slice without endpoints (no pod selected)",
    object: slicesWith((s) => (s.endpoints = [])),
    status: "Unhealthy",
    reason: "NoReadyEndpoints",
    ready: "0/0",
    message: "argocd-server: Service has no ready endpoints (0/0)",
  },
  {
    name: "no slice",
    object: [],
    status: "Missing",
    reason: "NoEndpoints",
    ready: "0/0",
    message: "argocd-server: no EndpointSlice for Service argocd-server",
  },
  {
    name: "dual-stack: the IPv6 slice lists the same pods",
    object: [
      ...serverSlices,
      ...slicesWith((s) => {
        s.metadata!.name = "argocd-server-v6";
        s.addressType = "IPv6";
        s.endpoints!.forEach((e, i) => (e.addresses = [`fd00::${i + 1}`]));
      }),
    ],
    status: "Healthy",
    reason: "EndpointsReady",
    ready: "2/2",
    message: "argocd-server: 2/2 endpoints ready",
  },
];

for (const c of endpointCases) {
  Deno.test(`judgeEndpoints: ${c.name}`, () => {
    const v = judgeEndpoints("argocd-server", c.object);
    assertEquals(
      { status: v.status, reason: v.reason, ready: v.ready, message: v.message },
      { status: c.status, reason: c.reason, ready: c.ready, message: c.message },
    );
    assertEquals([v.kind, v.workload], ["Service", "argocd-server"]);
  });
}

// ------------------------------------------------------------------ every kstatus rule, on corpus objects

const argocdCorpus = await loadCorpus("argocd/install-v3.5.1");
const kubePromCorpus = await loadCorpus("prometheus/kube-prometheus-v0.18.0");
const ambientCorpus = await loadCorpus("istio/ambient-1.30.3");

/** A workload of a corpus install with the status its controller writes (`breakage`), then `change`d. */
function corpusWorkload<T extends Workload>(
  from: LoadedInstall,
  key: string,
  breakage?: Breakage,
  change: (o: T) => void = () => {},
): T {
  const w = withStatuses(from, breakage ? new Map([[key, breakage]]) : new Map()).workloads
    .find((x) => keyOf(x) === key);
  if (!w) throw new Error(`no ${key} in ${from.install.id}`);
  change(w as T);
  return w as T;
}

const repo = (b?: Breakage, change?: (d: V1Deployment) => void) =>
  corpusWorkload<V1Deployment>(argocdCorpus, "Deployment/argocd-repo-server", b, change);
const alertmanager = (b?: Breakage, change?: (s: V1StatefulSet) => void) =>
  corpusWorkload<V1StatefulSet>(kubePromCorpus, "StatefulSet/alertmanager-main", b, change);
const controller = (b?: Breakage) =>
  corpusWorkload<V1StatefulSet>(argocdCorpus, "StatefulSet/argocd-application-controller", b);
const nodeExporter = (b?: Breakage, change?: (d: V1DaemonSet) => void) =>
  corpusWorkload<V1DaemonSet>(kubePromCorpus, "DaemonSet/node-exporter", b, change);
const ztunnel = (b?: Breakage) => corpusWorkload<V1DaemonSet>(ambientCorpus, "DaemonSet/ztunnel", b);

const deleting = (
  o: { metadata?: { deletionTimestamp?: Date } },
) => (o.metadata!.deletionTimestamp = new Date("2026-01-01T00:00:00Z"));
const stalled = { type: "Stalled", status: "True", reason: "Broken", message: "cannot progress" };
const reconciling = { type: "Reconciling", status: "True", reason: "Working", message: "updating pods" };

const kstatusCases: (Case<V1Deployment | V1StatefulSet | V1DaemonSet> & { judge: (o: never) => Verdict })[] =
  [
    // ---- Deployment (corpus: argocd-repo-server of Argo CD v3.5.1, 1 replica, default RollingUpdate 25 %/25 %)
    {
      name: "Deployment healthy as the controller writes it (Available + NewReplicaSetAvailable)",
      object: repo(),
      judge: judgeDeployment,
      status: "Healthy",
      reason: "Available",
      ready: "1/1",
      message: "argocd-repo-server: 1/1 available",
    },
    {
      name: "Deployment Terminating (deletionTimestamp)",
      object: repo(undefined, deleting),
      judge: judgeDeployment,
      status: "Unhealthy",
      reason: "Terminating",
      ready: "1/1",
      message: "argocd-repo-server: being deleted",
    },
    {
      name: "Deployment generic Stalled=True ⇒ Failed in kstatus",
      object: repo(undefined, (d) => d.status!.conditions!.push(stalled as never)),
      judge: judgeDeployment,
      status: "Unhealthy",
      reason: "Stalled",
      ready: "1/1",
      message: "argocd-repo-server: stalled, 1/1 available: cannot progress",
    },
    {
      name: "Deployment ProgressDeadlineExceeded (stuck rollout past the deadline)",
      object: repo("progressDeadline"),
      judge: judgeDeployment,
      status: "Unhealthy",
      reason: "ProgressDeadlineExceeded",
      ready: "1/1",
      message:
        'argocd-repo-server: rollout stuck, 1/1 available: ReplicaSet "argocd-repo-server-5d8f7c9b6" ' +
        "has timed out progressing.",
    },
    {
      name: "Deployment 0 available (crash loop)",
      object: repo("zeroAvailable"),
      judge: judgeDeployment,
      status: "Unhealthy",
      reason: "NoReplicasAvailable",
      ready: "0/1",
      message: "argocd-repo-server: 0/1 available",
    },
    {
      name: "Deployment LatestGenerationNotObserved",
      object: repo("staleGeneration"),
      judge: judgeDeployment,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "1/1",
      message: "argocd-repo-server: rollout in progress (generation 2 not yet observed), 1/1 available",
    },
    {
      name: "Deployment generic Reconciling=True",
      object: repo(undefined, (d) => d.status!.conditions!.push(reconciling as never)),
      judge: judgeDeployment,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "1/1",
      message: "argocd-repo-server: reconciling, 1/1 available: updating pods",
    },
    {
      name: "Deployment stuck 1-replica rollout: replicas 2, updated 1, available 1 (ExtraPods, surge)",
      object: repo("stuckRollout"),
      judge: judgeDeployment,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "1/1",
      message: "argocd-repo-server: rollout in progress, 2 replicas for 1 desired, 1 unavailable " +
        "(new pods not ready, old ones still serve), 1/1 available",
    },
    {
      name: "Deployment LessUpdated (updatedReplicas < spec.replicas)",
      object: repo(undefined, (d) => {
        d.spec!.replicas = 2;
        Object.assign(d.status!, { replicas: 2, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 });
      }),
      judge: judgeDeployment,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "2/2",
      message: "argocd-repo-server: rollout in progress, 1/2 replicas updated, 2/2 available",
    },
    {
      name: "Deployment LessAvailable (updatedReplicas > availableReplicas, no surge)",
      object: repo(undefined, (d) => {
        d.spec!.replicas = 2;
        Object.assign(d.status!, { replicas: 2, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 });
      }),
      judge: judgeDeployment,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "2/2",
      message: "argocd-repo-server: rollout in progress, 2 replicas, 1 unavailable " +
        "(new pods not ready, old ones still serve), 2/2 available",
    },
    {
      name: "Deployment unavailableReplicas > 0",
      object: repo(undefined, (d) => (d.status!.unavailableReplicas = 1)),
      judge: judgeDeployment,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "1/1",
      message: "argocd-repo-server: rollout in progress, 1 replica, 1 unavailable " +
        "(new pods not ready, old ones still serve), 1/1 available",
    },
    {
      name: "Deployment LessReady (readyReplicas < spec.replicas)",
      object: repo(undefined, (d) => delete d.status!.readyReplicas),
      judge: judgeDeployment,
      status: "Degraded",
      reason: "PartiallyAvailable",
      ready: "1/1",
      message: "argocd-repo-server: 0/1 ready, 1/1 available",
    },
    {
      name: "Deployment ReplicaSetNotAvailable (Progressing not NewReplicaSetAvailable, deadline set)",
      object: repo(undefined, (d) => {
        d.spec!.progressDeadlineSeconds = 600;
        d.status!.conditions![1] = {
          type: "Progressing",
          status: "True",
          reason: "ReplicaSetUpdated",
        } as never;
      }),
      judge: judgeDeployment,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "1/1",
      message: "argocd-repo-server: rollout in progress, new ReplicaSet not yet available " +
        "(Progressing True/ReplicaSetUpdated), 1/1 available",
    },
    {
      name: "Deployment without progressDeadlineSeconds: Progressing is not required (kstatus: MaxInt32)",
      object: repo(undefined, (d) => (d.status!.conditions = [d.status!.conditions![0]!])),
      judge: judgeDeployment,
      status: "Healthy",
      reason: "Available",
      ready: "1/1",
      message: "argocd-repo-server: 1/1 available",
    },
    {
      name: "Deployment DeploymentNotAvailable (condition Available False)",
      object: repo(undefined, (d) => {
        d.status!.conditions![0] = {
          type: "Available",
          status: "False",
          reason: "MinimumReplicasUnavailable",
        } as never;
      }),
      judge: judgeDeployment,
      status: "Degraded",
      reason: "NotAvailable",
      ready: "1/1",
      message: "argocd-repo-server: condition Available is False (MinimumReplicasUnavailable), 1/1 available",
    },
    // ---- StatefulSet (corpus: alertmanager-main of kube-prometheus v0.18.0, 3 replicas, made by the operator)
    {
      name: "StatefulSet healthy",
      object: alertmanager(),
      judge: judgeStatefulSet,
      status: "Healthy",
      reason: "Available",
      ready: "3/3",
      message: "alertmanager-main: 3/3 available",
    },
    {
      name: "StatefulSet Terminating",
      object: alertmanager(undefined, deleting),
      judge: judgeStatefulSet,
      status: "Unhealthy",
      reason: "Terminating",
      ready: "3/3",
      message: "alertmanager-main: being deleted",
    },
    {
      name: "StatefulSet 0 available",
      object: alertmanager("zeroAvailable"),
      judge: judgeStatefulSet,
      status: "Unhealthy",
      reason: "NoReplicasAvailable",
      ready: "0/3",
      message: "alertmanager-main: 0/3 available",
    },
    {
      name: "StatefulSet LatestGenerationNotObserved",
      object: alertmanager("staleGeneration"),
      judge: judgeStatefulSet,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "3/3",
      message: "alertmanager-main: rollout in progress (generation 2 not yet observed), 3/3 available",
    },
    {
      name: "StatefulSet stuck rollout: highest ordinal replaced, not ready (LessReady)",
      object: alertmanager("stuckRollout"),
      judge: judgeStatefulSet,
      status: "Degraded",
      reason: "PartiallyAvailable",
      ready: "2/3",
      message: "alertmanager-main: 2/3 available",
    },
    {
      name: "StatefulSet stuck rollout of its only replica: nothing serves",
      object: controller("stuckRollout"),
      judge: judgeStatefulSet,
      status: "Unhealthy",
      reason: "NoReplicasAvailable",
      ready: "0/1",
      message: "argocd-application-controller: 0/1 available",
    },
    {
      name: "StatefulSet LessReplicas (status.replicas < spec.replicas)",
      object: alertmanager(undefined, (s) => (s.status!.replicas = 2)),
      judge: judgeStatefulSet,
      status: "Degraded",
      reason: "PartiallyAvailable",
      ready: "3/3",
      message: "alertmanager-main: 2/3 pods created, 3/3 available",
    },
    {
      name: "StatefulSet ExtraPods (status.replicas > spec.replicas)",
      object: alertmanager(undefined, (s) => (s.status!.replicas = 4)),
      judge: judgeStatefulSet,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "3/3",
      message: "alertmanager-main: 4 pods for 3 desired (1 pending termination), 3/3 available",
    },
    {
      name: "StatefulSet LessCurrent (currentReplicas < spec.replicas)",
      object: alertmanager(undefined, (s) => (s.status!.currentReplicas = 2)),
      judge: judgeStatefulSet,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "3/3",
      message: "alertmanager-main: rollout in progress, 2/3 pods at the current revision, 3/3 available",
    },
    {
      name: "StatefulSet PartitionRollout (updated < replicas − partition)",
      object: alertmanager(undefined, (s) => {
        s.spec!.updateStrategy = { type: "RollingUpdate", rollingUpdate: { partition: 1 } };
        s.status!.updatedReplicas = 1;
      }),
      judge: judgeStatefulSet,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "3/3",
      message: "alertmanager-main: rollout in progress, 1/2 pods updated (partition 1), 3/3 available",
    },
    {
      name: "StatefulSet partition set: kstatus checks nothing past it",
      object: alertmanager(undefined, (s) => {
        s.spec!.updateStrategy = { type: "RollingUpdate", rollingUpdate: { partition: 0 } };
        s.status!.currentReplicas = 1;
        s.status!.updateRevision = "alertmanager-main-new";
      }),
      judge: judgeStatefulSet,
      status: "Healthy",
      reason: "Available",
      ready: "3/3",
      message: "alertmanager-main: 3/3 available",
    },
    {
      name: "StatefulSet OnDelete: rollout is the user's business",
      object: alertmanager(undefined, (s) => {
        s.spec!.updateStrategy = { type: "OnDelete" };
        s.status!.updatedReplicas = 0;
        s.status!.replicas = 4;
      }),
      judge: judgeStatefulSet,
      status: "Healthy",
      reason: "Available",
      ready: "3/3",
      message: "alertmanager-main: 3/3 available",
    },
    {
      name: "StatefulSet Stalled=True",
      object: alertmanager(undefined, (s) => (s.status!.conditions = [stalled as never])),
      judge: judgeStatefulSet,
      status: "Unhealthy",
      reason: "Stalled",
      ready: "3/3",
      message: "alertmanager-main: stalled, 3/3 available: cannot progress",
    },
    // ---- DaemonSet (corpus: node-exporter of kube-prometheus v0.18.0, ztunnel of Istio 1.30.3 ambient)
    {
      name: "DaemonSet healthy",
      object: nodeExporter(),
      judge: judgeDaemonSet,
      status: "Healthy",
      reason: "Available",
      ready: "3/3",
      message: "node-exporter: 3/3 nodes available",
    },
    {
      name: "DaemonSet no status yet (kstatus NoDesiredNumber)",
      object: nodeExporter(undefined, (d) => delete d.status),
      judge: judgeDaemonSet,
      status: "Unhealthy",
      reason: "NotObserved",
      ready: "0/0",
      message: "node-exporter: no status yet: the DaemonSet controller has not observed it",
    },
    {
      name: "DaemonSet observedGeneration missing (kstatus NoObservedGeneration)",
      object: nodeExporter(undefined, (d) => delete d.status!.observedGeneration),
      judge: judgeDaemonSet,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "3/3",
      message: "node-exporter: rollout in progress (generation 1 not yet observed), 3/3 nodes available",
    },
    {
      name: "DaemonSet Terminating",
      object: nodeExporter(undefined, deleting),
      judge: judgeDaemonSet,
      status: "Unhealthy",
      reason: "Terminating",
      ready: "3/3",
      message: "node-exporter: being deleted",
    },
    {
      name: "DaemonSet 0 available",
      object: ztunnel("zeroAvailable"),
      judge: judgeDaemonSet,
      status: "Unhealthy",
      reason: "NoReplicasAvailable",
      ready: "0/3",
      message: "ztunnel: 0/3 nodes available",
    },
    {
      name: "DaemonSet numberUnavailable (LessAvailable)",
      object: ztunnel("unavailablePods"),
      judge: judgeDaemonSet,
      status: "Degraded",
      reason: "PartiallyAvailable",
      ready: "2/3",
      message: "ztunnel: 2/3 nodes available, 1 unavailable",
    },
    {
      name: "DaemonSet stuck rollout (one node's new pod not ready)",
      object: ztunnel("stuckRollout"),
      judge: judgeDaemonSet,
      status: "Degraded",
      reason: "PartiallyAvailable",
      ready: "2/3",
      message: "ztunnel: 2/3 nodes available, 1 unavailable",
    },
    {
      name: "DaemonSet updatedNumberScheduled behind (LessUpdated)",
      object: ztunnel("updateBehind"),
      judge: judgeDaemonSet,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "3/3",
      message: "ztunnel: rollout in progress, 2/3 nodes updated, 3/3 nodes available",
    },
    {
      name: "DaemonSet LessCurrent (currentNumberScheduled < desired)",
      object: nodeExporter(undefined, (d) => (d.status!.currentNumberScheduled = 2)),
      judge: judgeDaemonSet,
      status: "Degraded",
      reason: "PartiallyAvailable",
      ready: "3/3",
      message: "node-exporter: pods scheduled on 2/3 nodes",
    },
    {
      name: "DaemonSet LessReady (numberReady < desired)",
      object: nodeExporter(undefined, (d) => (d.status!.numberReady = 2)),
      judge: judgeDaemonSet,
      status: "Degraded",
      reason: "PartiallyAvailable",
      ready: "3/3",
      message: "node-exporter: 2/3 nodes ready, 3/3 nodes available",
    },
    {
      name: "DaemonSet LatestGenerationNotObserved",
      object: ztunnel("staleGeneration"),
      judge: judgeDaemonSet,
      status: "Degraded",
      reason: "RolloutInProgress",
      ready: "3/3",
      message: "ztunnel: rollout in progress (generation 2 not yet observed), 3/3 nodes available",
    },
    {
      name: "DaemonSet on no node (desiredNumberScheduled 0): nothing to run, kstatus Current",
      object: nodeExporter(undefined, (d) =>
        Object.assign(d.status!, {
          desiredNumberScheduled: 0,
          currentNumberScheduled: 0,
          updatedNumberScheduled: 0,
          numberReady: 0,
          numberAvailable: 0,
        })),
      judge: judgeDaemonSet,
      status: "Healthy",
      reason: "Available",
      ready: "0/0",
      message: "node-exporter: no node to run on (0 scheduled)",
    },
    {
      name: "DaemonSet Stalled=True",
      object: nodeExporter(undefined, (d) => (d.status!.conditions = [stalled as never])),
      judge: judgeDaemonSet,
      status: "Unhealthy",
      reason: "Stalled",
      ready: "3/3",
      message: "node-exporter: stalled, 3/3 nodes available: cannot progress",
    },
  ];

for (const c of kstatusCases) {
  Deno.test(`kstatus rule on a corpus object: ${c.name}`, () => {
    const v = c.judge(c.object as never);
    assertEquals(
      { status: v.status, reason: v.reason, ready: v.ready, message: v.message },
      { status: c.status, reason: c.reason, ready: c.ready, message: c.message },
    );
  });
}

Deno.test("judge: a reference other than the name (several namespaces) names the workload", () => {
  assertEquals(
    judgeDaemonSet(ztunnel(), "istio-system/ztunnel").message,
    "istio-system/ztunnel: 3/3 nodes available",
  );
  assertEquals(judgeDeployment(repo(), "argocd/argocd-repo-server").workload, "argocd/argocd-repo-server");
});
