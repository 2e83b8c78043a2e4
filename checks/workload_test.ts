import type { V1Deployment, V1EndpointSlice, V1StatefulSet } from "@kubernetes/client-node";
import { assertEquals } from "../tests/support/assert.ts";
import { loadFixture } from "../tests/fixtures/load.ts";
import { judgeEndpoints } from "./endpoints.ts";
import { judgeDeployment, judgeStatefulSet } from "./workload.ts";

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
    message: "argocd-repo-server: rollout in progress, 1/1 replicas updated (2 pods for 1), 1/1 available",
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
    message: "prometheus-k8s: rollout in progress, 2/2 pods updated, 2/2 available",
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
