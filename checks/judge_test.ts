import type { V1Deployment } from "@kubernetes/client-node";
import type { ComponentOverride, ComponentStatus, Phase, ToolType } from "../api/types.ts";
import {
  loadSnapshot,
  mutate,
  mutateEndpoints,
  withAvailable,
  without,
  withoutEndpoints,
  withoutLabels,
  withSpec,
  withStatus,
} from "../tests/fixtures/load.ts";
import { assert, assertEquals } from "../tests/support/assert.ts";
import { judgeCluster, unknownCluster } from "./judge.ts";
import type { Snapshot } from "./snapshot.ts";

const argocd = await loadSnapshot("tools/argocd/install.yaml");
const argocdHelm = await loadSnapshot("tools/argocd/helm-argo.yaml");
const argocdHa = await loadSnapshot("tools/argocd/ha-install.yaml");
const argocdGitops = await loadSnapshot("tools/argocd/install.yaml", { namespace: "gitops" });
const flux = await loadSnapshot("tools/flux/install.yaml");
const kpsPrometheus = await loadSnapshot("tools/prometheus/kps-prometheus.yaml");
const kpsKps = await loadSnapshot("tools/prometheus/kps-kps.yaml");
const kubePrometheus = await loadSnapshot("tools/prometheus/kube-prometheus.yaml");
const istio = await loadSnapshot("tools/istio/default.yaml");
const istioRev = await loadSnapshot("tools/istio/revisioned.yaml");

/** `snapshot` plus the Deployments of `other` (e.g. two istiod revisions side by side). */
function plusDeployments(snapshot: Snapshot, other: Snapshot, ...names: string[]): Snapshot {
  const copy = structuredClone(snapshot);
  copy.deployments.push(
    ...structuredClone(other.deployments.filter((d) => names.includes(d.metadata?.name ?? ""))),
  );
  return copy;
}

/** `snapshot` with StatefulSet `name` copied as `copyName` (a second Prometheus shard, ...). */
function plusStatefulSetCopy(snapshot: Snapshot, name: string, copyName: string): Snapshot {
  const copy = structuredClone(snapshot);
  const original = copy.statefulSets.find((s) => s.metadata?.name === name);
  if (!original) throw new Error(`no StatefulSet ${name}`);
  const clone = structuredClone(original);
  clone.metadata!.name = copyName;
  copy.statefulSets.push(clone);
  return copy;
}

/** The application controller as a Deployment (some installs), instead of the StatefulSet. */
function controllerAsDeployment(snapshot: Snapshot): Snapshot {
  const copy = structuredClone(snapshot);
  const sts = copy.statefulSets.find((s) => s.metadata?.name === "argocd-application-controller")!;
  copy.statefulSets = copy.statefulSets.filter((s) => s !== sts);
  const deployment: V1Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: sts.metadata,
    spec: { replicas: 1, selector: sts.spec!.selector, template: sts.spec!.template },
    status: {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    },
  };
  copy.deployments.push(deployment);
  return copy;
}

/** `snapshot` with one more Deployment named `name`, labelled `labels`, healthy. */
function plusDeployment(snapshot: Snapshot, name: string, labels: Record<string, string> = {}): Snapshot {
  const copy = structuredClone(snapshot);
  const template = structuredClone(copy.deployments[0]!);
  template.metadata = { ...template.metadata, name, labels };
  copy.deployments.push(template);
  return copy;
}

const pde = {
  type: "Progressing",
  status: "False",
  reason: "ProgressDeadlineExceeded",
  message: 'ReplicaSet "argocd-repo-server-4jjt5k6t5" has timed out progressing.',
};

type Expected = Pick<ComponentStatus, "status"> & Partial<ComponentStatus>;

interface Case {
  name: string;
  type: ToolType;
  snapshot: Snapshot;
  overrides?: ComponentOverride[];
  phase: Phase;
  reason: string;
  message: string;
  /** Asserted fields of some components (by component name). */
  components?: Record<string, Expected>;
  /** Component names that must not be in the result. */
  absent?: string[];
}

const ALL_REQUIRED = (n: number) => `${n}/${n} required components healthy`;

const cases: Case[] = [
  // ---------------- Argo CD ----------------
  {
    name: "argocd install.yaml: all healthy",
    type: "argocd",
    snapshot: argocd,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(4),
    components: {
      "argocd-server": {
        kind: "Deployment",
        workload: "argocd-server",
        required: true,
        status: "Healthy",
        ready: "2/2",
        reason: "Available",
        message: "argocd-server: 2/2 available",
      },
      "argocd-application-controller": { kind: "StatefulSet", status: "Healthy", ready: "1/1" },
      "argocd-server-endpoints": {
        kind: "Service",
        workload: "argocd-server",
        required: true,
        status: "Healthy",
        ready: "2/2",
        reason: "EndpointsReady",
        message: "argocd-server: 2/2 endpoints ready",
      },
      "argocd-redis": { workload: "argocd-redis", required: false, status: "Healthy" },
      "argocd-dex-server": { required: false, status: "Healthy" },
      "argocd-applicationset-controller": { required: false, status: "Healthy" },
      "argocd-notifications-controller": { required: false, status: "Healthy" },
    },
  },
  {
    name: "argocd: required component missing",
    type: "argocd",
    snapshot: without(argocd, "argocd-repo-server"),
    phase: "Failed",
    reason: "RequiredComponentMissing",
    message: "argocd-repo-server: no Deployment found in namespace argocd",
    components: {
      "argocd-repo-server": {
        kind: "Deployment",
        required: true,
        status: "Missing",
        reason: "NotFound",
        message: "argocd-repo-server: no Deployment found in namespace argocd",
      },
    },
  },
  {
    name: "argocd: 0/2 available",
    type: "argocd",
    snapshot: withAvailable(argocd, "argocd-repo-server", 0),
    phase: "Failed",
    reason: "RequiredComponentUnavailable",
    message: "argocd-repo-server: 0/2 available",
    components: {
      "argocd-repo-server": { status: "Unhealthy", ready: "0/2", reason: "NoReplicasAvailable" },
    },
  },
  {
    name: "argocd: 1/2 available",
    type: "argocd",
    snapshot: withAvailable(argocd, "argocd-repo-server", 1),
    phase: "Degraded",
    reason: "RequiredComponentDegraded",
    message: "argocd-repo-server: 1/2 available",
    components: {
      "argocd-repo-server": { status: "Degraded", ready: "1/2", reason: "PartiallyAvailable" },
    },
  },
  {
    name: "argocd: stale observedGeneration",
    type: "argocd",
    snapshot: mutate(argocd, "argocd-server", (d) => (d.metadata!.generation = 2), "Deployment"),
    phase: "Degraded",
    reason: "RequiredComponentDegraded",
    message: "argocd-server: rollout in progress (generation 2 not yet observed), 2/2 available",
    components: { "argocd-server": { status: "Degraded", reason: "RolloutInProgress", ready: "2/2" } },
  },
  {
    name: "argocd: ProgressDeadlineExceeded",
    type: "argocd",
    snapshot: withStatus(withAvailable(argocd, "argocd-repo-server", 1), "argocd-repo-server", {
      conditions: [pde],
    }),
    phase: "Failed",
    reason: "RequiredComponentUnavailable",
    message: `argocd-repo-server: rollout stuck, 1/2 available: ${pde.message}`,
    components: {
      "argocd-repo-server": { status: "Unhealthy", reason: "ProgressDeadlineExceeded", ready: "1/2" },
    },
  },
  {
    name: "argocd: application-controller StatefulSet mid-rollout",
    type: "argocd",
    snapshot: withStatus(argocd, "argocd-application-controller", {
      updatedReplicas: 0,
      updateRevision: "argocd-application-controller-5b6c7d8f9",
    }),
    phase: "Degraded",
    reason: "RequiredComponentDegraded",
    message: "argocd-application-controller: rollout in progress, 0/1 pods updated, 1/1 available",
    components: {
      "argocd-application-controller": {
        kind: "StatefulSet",
        status: "Degraded",
        reason: "RolloutInProgress",
      },
    },
  },
  {
    name: "argocd: application-controller as a Deployment",
    type: "argocd",
    snapshot: controllerAsDeployment(argocd),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(4),
    components: { "argocd-application-controller": { kind: "Deployment", status: "Healthy", ready: "1/1" } },
  },
  {
    name: "argocd: optional component not installed ⇒ still Running",
    type: "argocd",
    snapshot: without(argocd, "argocd-dex-server"),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: `${ALL_REQUIRED(4)}; optional not installed: argocd-dex-server`,
    components: {
      "argocd-dex-server": {
        kind: "Deployment",
        required: false,
        status: "Missing",
        reason: "NotFound",
        message: "argocd-dex-server: no Deployment found in namespace argocd",
      },
    },
  },
  {
    name: "argocd: optional component unhealthy ⇒ Degraded",
    type: "argocd",
    snapshot: withAvailable(argocd, "argocd-dex-server", 0),
    phase: "Degraded",
    reason: "OptionalComponentUnavailable",
    message: "argocd-dex-server: 0/1 available",
    components: {
      "argocd-dex-server": { required: false, status: "Unhealthy", reason: "NoReplicasAvailable" },
    },
  },
  {
    name: "argocd: a required problem outranks an optional one",
    type: "argocd",
    snapshot: withAvailable(withAvailable(argocd, "argocd-dex-server", 0), "argocd-repo-server", 1),
    phase: "Degraded",
    reason: "RequiredComponentDegraded",
    message: "argocd-repo-server: 1/2 available",
  },
  {
    name: "argocd: custom namespace, all healthy",
    type: "argocd",
    snapshot: argocdGitops,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(4),
  },
  {
    name: "argocd: custom namespace named in messages",
    type: "argocd",
    snapshot: without(argocdGitops, "argocd-repo-server"),
    phase: "Failed",
    reason: "RequiredComponentMissing",
    message: "argocd-repo-server: no Deployment found in namespace gitops",
  },
  {
    name: "argocd: Service argocd-server without EndpointSlices",
    type: "argocd",
    snapshot: withoutEndpoints(argocd, "argocd-server"),
    phase: "Failed",
    reason: "RequiredComponentMissing",
    message: "argocd-server-endpoints: no EndpointSlice of Service argocd-server in namespace argocd",
    components: {
      "argocd-server": { status: "Healthy" },
      "argocd-server-endpoints": { kind: "Service", status: "Missing", reason: "NotFound" },
    },
  },
  {
    name: "argocd: Service argocd-server without ready endpoints",
    type: "argocd",
    snapshot: mutateEndpoints(
      argocd,
      "argocd-server",
      (s) => s.endpoints!.forEach((e) => (e.conditions = { ready: false })),
    ),
    phase: "Failed",
    reason: "RequiredComponentUnavailable",
    message: "argocd-server: Service has no ready endpoints (0/2)",
    components: {
      "argocd-server-endpoints": { status: "Unhealthy", reason: "NoReadyEndpoints", ready: "0/2" },
    },
  },
  {
    name: "argocd: scaled to 0",
    type: "argocd",
    snapshot: withStatus(withSpec(argocd, "argocd-repo-server", { replicas: 0 }), "argocd-repo-server", {
      replicas: 0,
      availableReplicas: 0,
      readyReplicas: 0,
      updatedReplicas: 0,
    }),
    phase: "Failed",
    reason: "RequiredComponentUnavailable",
    message: "argocd-repo-server: scaled to 0 replicas",
    components: { "argocd-repo-server": { status: "Unhealthy", reason: "ScaledToZero", ready: "0/0" } },
  },
  {
    name: "argocd Helm chart, release argo",
    type: "argocd",
    snapshot: argocdHelm,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(4),
    components: {
      "argocd-server": {
        workload: "argo-argocd-server",
        status: "Healthy",
        message: "argo-argocd-server: 1/1 available",
      },
      "argocd-server-endpoints": { workload: "argo-argocd-server", status: "Healthy" },
      "argocd-application-controller": { workload: "argo-argocd-application-controller", status: "Healthy" },
      "argocd-redis": { workload: "argo-argocd-redis", status: "Healthy" },
    },
  },
  {
    name: "argocd Helm chart, release argo, found by name alone",
    type: "argocd",
    snapshot: withoutLabels(argocdHelm),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(4),
    components: {
      "argocd-server": { workload: "argo-argocd-server", status: "Healthy" },
      "argocd-repo-server": { workload: "argo-argocd-repo-server", status: "Healthy" },
      "argocd-server-endpoints": { workload: "argo-argocd-server", status: "Healthy" },
      "argocd-applicationset-controller": {
        workload: "argo-argocd-applicationset-controller",
        status: "Healthy",
      },
    },
  },
  {
    name: "argocd Helm chart: problem names the release-prefixed workload",
    type: "argocd",
    snapshot: withAvailable(argocdHelm, "argo-argocd-repo-server", 0),
    phase: "Failed",
    reason: "RequiredComponentUnavailable",
    message: "argo-argocd-repo-server: 0/1 available",
  },
  {
    name: "argocd HA: redis is the redis-ha StatefulSet, never the haproxy (which is required there)",
    type: "argocd",
    snapshot: argocdHa,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: `${
      ALL_REQUIRED(5)
    }; optional not installed: argocd-applicationset-controller, argocd-notifications-controller`,
    components: {
      "argocd-redis-ha-haproxy": {
        kind: "Deployment",
        workload: "argocd-redis-ha-haproxy",
        required: true,
        status: "Healthy",
      },
      "argocd-redis": {
        kind: "StatefulSet",
        workload: "argocd-redis-ha-server",
        status: "Healthy",
        ready: "3/3",
      },
    },
  },
  {
    name: "argocd HA by name alone: redis is still not the haproxy",
    type: "argocd",
    snapshot: withoutLabels(argocdHa),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: `${
      ALL_REQUIRED(5)
    }; optional not installed: argocd-applicationset-controller, argocd-notifications-controller`,
    components: { "argocd-redis": { workload: "argocd-redis-ha-server", status: "Healthy" } },
  },
  {
    name: "argocd HA by name alone, no redis-ha server: haproxy is not taken for argocd-redis",
    type: "argocd",
    snapshot: without(withoutLabels(argocdHa), "argocd-redis-ha-server"),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: `${ALL_REQUIRED(5)}; optional not installed: argocd-redis, argocd-applicationset-controller, ` +
      "argocd-notifications-controller",
    components: { "argocd-redis": { status: "Missing", kind: "Deployment" } },
  },
  {
    name: "argocd HA: redis-ha down ⇒ Degraded",
    type: "argocd",
    snapshot: withAvailable(argocdHa, "argocd-redis-ha-server", 0),
    phase: "Degraded",
    reason: "OptionalComponentUnavailable",
    message: "argocd-redis-ha-server: 0/3 available",
  },
  // ---------------- Flux ----------------
  {
    name: "flux install: all healthy",
    type: "flux",
    snapshot: flux,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(4),
    components: {
      "source-controller": { required: true, status: "Healthy", message: "source-controller: 1/1 available" },
      "image-reflector-controller": { required: false, status: "Healthy" },
      "image-automation-controller": { required: false, status: "Healthy" },
    },
  },
  {
    name: "flux: 1 of 4 controllers healthy ⇒ Failed",
    type: "flux",
    snapshot: withAvailable(
      withAvailable(withAvailable(flux, "kustomize-controller", 0), "helm-controller", 0),
      "notification-controller",
      0,
    ),
    phase: "Failed",
    reason: "RequiredComponentUnavailable",
    message: "kustomize-controller: 0/1 available",
    components: {
      "source-controller": { status: "Healthy" },
      "kustomize-controller": { status: "Unhealthy" },
      "helm-controller": { status: "Unhealthy" },
      "notification-controller": { status: "Unhealthy" },
    },
  },
  {
    name: "flux: only source-controller installed ⇒ Failed",
    type: "flux",
    snapshot: without(flux, "kustomize-controller", "helm-controller", "notification-controller"),
    phase: "Failed",
    reason: "RequiredComponentMissing",
    message: "kustomize-controller: no Deployment found in namespace flux-system",
  },
  {
    name: "flux: image automation not installed ⇒ Running",
    type: "flux",
    snapshot: without(flux, "image-reflector-controller", "image-automation-controller"),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: `${
      ALL_REQUIRED(4)
    }; optional not installed: image-reflector-controller, image-automation-controller`,
  },
  {
    name: "flux: found by name alone",
    type: "flux",
    snapshot: withoutLabels(flux),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(4),
  },
  // ---------------- Prometheus ----------------
  {
    name: "kube-prometheus-stack, release prometheus",
    type: "prometheus",
    snapshot: kpsPrometheus,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(2),
    components: {
      "prometheus-operator": { workload: "prometheus-kube-prometheus-operator", status: "Healthy" },
      prometheus: {
        kind: "StatefulSet",
        workload: "prometheus-prometheus-kube-prometheus-prometheus",
        status: "Healthy",
      },
      alertmanager: { workload: "alertmanager-prometheus-kube-prometheus-alertmanager", status: "Healthy" },
      grafana: { workload: "prometheus-grafana", status: "Healthy" },
    },
  },
  {
    name: "kube-prometheus-stack, release kps",
    type: "prometheus",
    snapshot: kpsKps,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(2),
    components: {
      "prometheus-operator": { workload: "kps-kube-prometheus-stack-operator", status: "Healthy" },
      prometheus: { workload: "prometheus-kps-kube-prometheus-stack-prometheus", status: "Healthy" },
      alertmanager: { workload: "alertmanager-kps-kube-prometheus-stack-alertmanager", status: "Healthy" },
      grafana: { workload: "kps-grafana", status: "Healthy" },
    },
  },
  {
    name: "kube-prometheus-stack, release prometheus, found by name alone",
    type: "prometheus",
    snapshot: withoutLabels(kpsPrometheus),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(2),
    components: {
      "prometheus-operator": { workload: "prometheus-kube-prometheus-operator", status: "Healthy" },
      prometheus: { workload: "prometheus-prometheus-kube-prometheus-prometheus", status: "Healthy" },
      grafana: { workload: "prometheus-grafana", status: "Healthy" },
    },
  },
  {
    name: "kube-prometheus-stack, release kps, found by name alone",
    type: "prometheus",
    snapshot: withoutLabels(kpsKps),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(2),
    components: {
      "prometheus-operator": { workload: "kps-kube-prometheus-stack-operator", status: "Healthy" },
    },
  },
  {
    name: "kube-prometheus (plain names)",
    type: "prometheus",
    snapshot: kubePrometheus,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(2),
    components: {
      "prometheus-operator": { workload: "prometheus-operator", status: "Healthy" },
      prometheus: { workload: "prometheus-k8s", status: "Healthy", ready: "2/2" },
      alertmanager: { workload: "alertmanager-main", status: "Healthy", ready: "3/3" },
      grafana: { workload: "grafana", status: "Healthy" },
    },
  },
  {
    name: "kps: Prometheus down ⇒ Failed",
    type: "prometheus",
    snapshot: withAvailable(kpsKps, "prometheus-kps-kube-prometheus-stack-prometheus", 0),
    phase: "Failed",
    reason: "RequiredComponentUnavailable",
    message: "prometheus-kps-kube-prometheus-stack-prometheus: 0/1 available",
  },
  {
    name: "kps: two Prometheus shards, one down: worst named, ready summed",
    type: "prometheus",
    snapshot: withAvailable(
      plusStatefulSetCopy(
        kpsKps,
        "prometheus-kps-kube-prometheus-stack-prometheus",
        "prometheus-kps-kube-prometheus-stack-prometheus-shard-1",
      ),
      "prometheus-kps-kube-prometheus-stack-prometheus-shard-1",
      0,
    ),
    phase: "Failed",
    reason: "RequiredComponentUnavailable",
    message: "prometheus-kps-kube-prometheus-stack-prometheus-shard-1: 0/1 available",
    components: {
      prometheus: {
        workload: "prometheus-kps-kube-prometheus-stack-prometheus," +
          "prometheus-kps-kube-prometheus-stack-prometheus-shard-1",
        status: "Unhealthy",
        ready: "1/2",
        reason: "NoReplicasAvailable",
      },
    },
  },
  {
    name: "kube-prometheus: Alertmanager mid-rollout ⇒ Degraded",
    type: "prometheus",
    snapshot: withStatus(kubePrometheus, "alertmanager-main", {
      updatedReplicas: 1,
      updateRevision: "alertmanager-main-new",
    }),
    phase: "Degraded",
    reason: "OptionalComponentDegraded",
    message: "alertmanager-main: rollout in progress, 1/3 pods updated, 3/3 available",
  },
  {
    name: "kps: no Grafana ⇒ Running",
    type: "prometheus",
    snapshot: without(kpsKps, "kps-grafana"),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: `${ALL_REQUIRED(2)}; optional not installed: grafana`,
  },
  {
    name: "prometheus: operator missing",
    type: "prometheus",
    snapshot: without(kpsPrometheus, "prometheus-kube-prometheus-operator"),
    phase: "Failed",
    reason: "RequiredComponentMissing",
    message: "prometheus-operator: no Deployment found in namespace monitoring",
  },
  // ---------------- Istio ----------------
  {
    name: "istio default revision",
    type: "istio",
    snapshot: istio,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(1),
    components: {
      istiod: { workload: "istiod", status: "Healthy" },
      "istio-ingressgateway": { required: false, workload: "istio-ingressgateway", status: "Healthy" },
      "istio-egressgateway": { required: false, workload: "istio-egressgateway", status: "Healthy" },
    },
  },
  {
    name: "istio revision 1-22",
    type: "istio",
    snapshot: istioRev,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(1),
    components: {
      istiod: { workload: "istiod-1-22", status: "Healthy", message: "istiod-1-22: 1/1 available" },
    },
  },
  {
    name: "istio revision 1-22 found by name alone",
    type: "istio",
    snapshot: withoutLabels(istioRev),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(1),
    components: { istiod: { workload: "istiod-1-22", status: "Healthy" } },
  },
  {
    name: "istio canary upgrade: both revisions healthy",
    type: "istio",
    snapshot: plusDeployments(istioRev, istio, "istiod"),
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(1),
    components: {
      istiod: {
        workload: "istiod,istiod-1-22",
        status: "Healthy",
        ready: "2/2",
        message: "istiod: 1/1 available; istiod-1-22: 1/1 available",
      },
    },
  },
  {
    name: "istio canary upgrade: new revision down",
    type: "istio",
    snapshot: withAvailable(plusDeployments(istioRev, istio, "istiod"), "istiod-1-22", 0),
    phase: "Failed",
    reason: "RequiredComponentUnavailable",
    message: "istiod-1-22: 0/1 available",
    components: { istiod: { workload: "istiod,istiod-1-22", status: "Unhealthy", ready: "1/2" } },
  },
  {
    name: "istio: ingress gateway 1/2 ⇒ Degraded",
    type: "istio",
    snapshot: withAvailable(
      withSpec(istio, "istio-ingressgateway", { replicas: 2 }),
      "istio-ingressgateway",
      1,
    ),
    phase: "Degraded",
    reason: "OptionalComponentDegraded",
    message: "istio-ingressgateway: 1/2 available",
  },
  // ---------------- overrides ----------------
  {
    name: "override: an optional component made required",
    type: "argocd",
    snapshot: without(argocd, "argocd-dex-server"),
    overrides: [{ name: "argocd-dex-server", required: true }],
    phase: "Failed",
    reason: "RequiredComponentMissing",
    message: "argocd-dex-server: no Deployment found in namespace argocd",
    components: { "argocd-dex-server": { required: true, status: "Missing" } },
  },
  {
    name: "override: a required component made optional",
    type: "argocd",
    snapshot: withAvailable(argocd, "argocd-repo-server", 0),
    overrides: [{ name: "argocd-repo-server", required: false }],
    phase: "Degraded",
    reason: "OptionalComponentUnavailable",
    message: "argocd-repo-server: 0/2 available",
  },
  {
    name: "override: custom selector finds a renamed, relabelled workload",
    type: "argocd",
    snapshot: mutate(argocd, "argocd-repo-server", (d) => {
      d.metadata!.name = "repo";
      d.metadata!.labels = { app: "my-repo" };
    }, "Deployment"),
    overrides: [{ name: "argocd-repo-server", selector: { matchLabels: { app: "my-repo" } } }],
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(4),
    components: {
      "argocd-repo-server": { workload: "repo", status: "Healthy", message: "repo: 2/2 available" },
    },
  },
  {
    name: "override: custom selector with matchExpressions",
    type: "argocd",
    snapshot: mutate(argocd, "argocd-repo-server", (d) => {
      d.metadata!.name = "repo";
      d.metadata!.labels = { app: "my-repo", tier: "git" };
    }, "Deployment"),
    overrides: [{
      name: "argocd-repo-server",
      selector: {
        matchExpressions: [
          { key: "app", operator: "In", values: ["my-repo", "their-repo"] },
          { key: "tier", operator: "Exists" },
          { key: "deprecated", operator: "DoesNotExist" },
        ],
      },
    }],
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(4),
    components: { "argocd-repo-server": { workload: "repo", status: "Healthy" } },
  },
  {
    name: "without the override the relabelled workload is missing",
    type: "argocd",
    snapshot: mutate(argocd, "argocd-repo-server", (d) => {
      d.metadata!.name = "repo";
      d.metadata!.labels = { app: "my-repo" };
    }, "Deployment"),
    phase: "Failed",
    reason: "RequiredComponentMissing",
    message: "argocd-repo-server: no Deployment found in namespace argocd",
  },
  {
    name: "override: selector that matches nothing",
    type: "argocd",
    snapshot: argocd,
    overrides: [{ name: "argocd-repo-server", selector: { matchLabels: { app: "nope" } } }],
    phase: "Failed",
    reason: "RequiredComponentMissing",
    message: "argocd-repo-server: no Deployment matching the override's selector found in namespace argocd",
  },
  {
    name: "override: ignore a required component",
    type: "argocd",
    snapshot: withAvailable(argocd, "argocd-repo-server", 0),
    overrides: [{ name: "argocd-repo-server", ignore: true }],
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(3),
    absent: ["argocd-repo-server"],
  },
  {
    name: "override: workloadName",
    type: "flux",
    snapshot: mutate(flux, "source-controller", (d) => {
      d.metadata!.name = "flux-source";
      d.metadata!.labels = {};
    }, "Deployment"),
    overrides: [{ name: "source-controller", workloadName: "flux-source" }],
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(4),
    components: { "source-controller": { workload: "flux-source", status: "Healthy" } },
  },
  {
    name: "override: kind replaced (application controller must be a Deployment)",
    type: "argocd",
    snapshot: argocd,
    overrides: [{ name: "argocd-application-controller", kind: "Deployment" }],
    phase: "Failed",
    reason: "RequiredComponentMissing",
    message: "argocd-application-controller: no Deployment found in namespace argocd",
  },
  {
    name: "override: extra component, missing",
    type: "argocd",
    snapshot: argocd,
    overrides: [{ name: "argocd-image-updater" }],
    phase: "Failed",
    reason: "RequiredComponentMissing",
    message: "argocd-image-updater: no Deployment named argocd-image-updater found in namespace argocd",
    components: { "argocd-image-updater": { kind: "Deployment", required: true, status: "Missing" } },
  },
  {
    name: "override: extra component, present",
    type: "argocd",
    snapshot: plusDeployment(argocd, "argocd-image-updater"),
    overrides: [{ name: "argocd-image-updater" }],
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: ALL_REQUIRED(5),
    components: { "argocd-image-updater": { workload: "argocd-image-updater", status: "Healthy" } },
  },
  {
    name: "override: extra optional StatefulSet by selector",
    type: "flux",
    snapshot: flux,
    overrides: [{
      name: "cache",
      kind: "StatefulSet",
      required: false,
      selector: { matchLabels: { app: "cache" } },
    }],
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: `${ALL_REQUIRED(4)}; optional not installed: cache`,
    components: { cache: { kind: "StatefulSet", required: false, status: "Missing" } },
  },
  {
    name: "override: an explicit rule claims first, so a table rule cannot take the same workload",
    type: "argocd",
    snapshot: argocd,
    overrides: [{ name: "main-redis", required: false, workloadName: "argocd-redis" }],
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: `${ALL_REQUIRED(4)}; optional not installed: argocd-redis`,
    components: {
      "main-redis": { workload: "argocd-redis", status: "Healthy" },
      "argocd-redis": { status: "Missing" },
    },
  },
  {
    name: "override: every component ignored",
    type: "istio",
    snapshot: istio,
    overrides: [
      "istiod",
      "istio-ingressgateway",
      "istio-egressgateway",
      "istio-gateway",
      "ztunnel",
      "istio-cni",
    ].map((name) => ({
      name,
      ignore: true,
    })),
    phase: "Running",
    reason: "NoComponents",
    message: "no components to check (all ignored by spec.config.components)",
  },
];

for (const c of cases) {
  Deno.test(`judgeCluster: ${c.name}`, () => {
    const got = judgeCluster({
      cluster: "cluster-1",
      type: c.type,
      snapshot: c.snapshot,
      overrides: c.overrides,
    });
    assertEquals(
      { name: got.name, phase: got.phase, reason: got.reason, message: got.message },
      { name: "cluster-1", phase: c.phase, reason: c.reason, message: c.message },
    );
    const byName = new Map((got.components ?? []).map((x) => [x.name, x]));
    for (const [name, expected] of Object.entries(c.components ?? {})) {
      const actual = byName.get(name);
      assert(actual, `component ${name} missing from ${[...byName.keys()].join(", ")}`);
      const picked = Object.fromEntries(
        Object.keys(expected).map((k) => [k, actual[k as keyof ComponentStatus]]),
      );
      assertEquals(picked, expected, `component ${name}`);
    }
    for (const name of c.absent ?? []) assert(!byName.has(name), `component ${name} should not be judged`);
  });
}

const healthyFixtures: [string, ToolType, Snapshot][] = [
  ["argocd install", "argocd", argocd],
  ["argocd helm", "argocd", argocdHelm],
  ["argocd ha", "argocd", argocdHa],
  ["argocd ha, names only", "argocd", withoutLabels(argocdHa)],
  ["flux", "flux", flux],
  ["kps prometheus", "prometheus", kpsPrometheus],
  ["kps prometheus, names only", "prometheus", withoutLabels(kpsPrometheus)],
  ["kps kps", "prometheus", kpsKps],
  ["kube-prometheus", "prometheus", kubePrometheus],
  ["istio", "istio", istio],
  ["istio canary", "istio", plusDeployments(istioRev, istio, "istiod")],
];

Deno.test("judgeCluster: no workload belongs to two components, in any fixture", () => {
  for (const [label, type, snapshot] of healthyFixtures) {
    const seen = new Map<string, string>();
    for (const c of judgeCluster({ cluster: "c", type, snapshot }).components ?? []) {
      for (const w of c.workload?.split(",") ?? []) {
        const key = `${c.kind}/${w}`;
        assert(!seen.has(key), `${label}: ${key} matched by ${seen.get(key)} and ${c.name}`);
        seen.set(key, c.name);
      }
    }
  }
});

Deno.test("judgeCluster: the same snapshot in another list order gives a deep-equal verdict", () => {
  for (const [label, type, snapshot] of healthyFixtures) {
    const shuffled: Snapshot = {
      namespace: snapshot.namespace,
      deployments: [...snapshot.deployments].reverse(),
      statefulSets: [...snapshot.statefulSets].reverse(),
      daemonSets: [...(snapshot.daemonSets ?? [])].reverse(),
      endpointSlices: [...(snapshot.endpointSlices ?? [])].reverse(),
    };
    assertEquals(
      judgeCluster({ cluster: "c", type, snapshot: shuffled }),
      judgeCluster({ cluster: "c", type, snapshot }),
      label,
    );
  }
});

Deno.test("judgeCluster: components keep table order, then extras in override order", () => {
  const got = judgeCluster({
    cluster: "c",
    type: "istio",
    snapshot: istio,
    overrides: [{ name: "z-extra", required: false }, { name: "a-extra", required: false }],
  });
  assertEquals(got.components?.map((c) => c.name), [
    "istiod",
    "istio-ingressgateway",
    "istio-egressgateway",
    // istio-gateway, ztunnel, istio-cni: other install shapes, not listed when absent
    "z-extra",
    "a-extra",
  ]);
});

Deno.test("judgeCluster: a missing component carries neither workload nor ready", () => {
  const got = judgeCluster({ cluster: "c", type: "argocd", snapshot: without(argocd, "argocd-dex-server") });
  assertEquals(got.components?.find((c) => c.name === "argocd-dex-server"), {
    name: "argocd-dex-server",
    kind: "Deployment",
    required: false,
    status: "Missing",
    reason: "NotFound",
    message: "argocd-dex-server: no Deployment found in namespace argocd",
  });
});

Deno.test("judgeCluster: a Service component with EndpointSlices not gathered says so", () => {
  const { endpointSlices: _, ...noSlices } = argocd;
  const got = judgeCluster({ cluster: "c", type: "argocd", snapshot: noSlices });
  assertEquals(got.phase, "Failed");
  assertEquals(
    got.message,
    "argocd-server-endpoints: EndpointSlices were not listed in namespace argocd (internal error: gather without endpoints)",
  );
});

Deno.test("unknownCluster: phase Unknown with the given reason and message, no components", () => {
  assertEquals(
    unknownCluster("cluster-3", "ClusterUnreachable", "dial tcp 10.0.0.3:6443: connection refused"),
    {
      name: "cluster-3",
      phase: "Unknown",
      reason: "ClusterUnreachable",
      message: "dial tcp 10.0.0.3:6443: connection refused",
      components: [],
    },
  );
});

// ------------------------------------------------------------------ not installed, discovery, several namespaces

const empty = (namespace: string): Snapshot => ({ namespace, deployments: [], statefulSets: [] });

Deno.test("judgeCluster: nothing of the tool ⇒ NotInstalled, where KSIT looked in the message", () => {
  assertEquals(judgeCluster({ cluster: "c", type: "argocd", snapshot: empty("argocd") }), {
    name: "c",
    phase: "NotInstalled",
    reason: "ToolNotInstalled",
    message: "argocd: not installed (no Argo CD workload in namespace argocd)",
    components: [],
  });
  const searched = judgeCluster({
    cluster: "c",
    type: "istio",
    snapshot: { ...empty("istio-system"), namespaces: ["istio-system", "istio-ingress"] },
    discovery: { searched: "Deployments labelled istio", found: [] },
  });
  assertEquals(
    searched.message,
    "istio: not installed (no Istio workload in namespaces istio-system, istio-ingress; none elsewhere " +
      "either: searched Deployments labelled istio)",
  );
  const refused = judgeCluster({
    cluster: "c",
    type: "flux",
    snapshot: empty("flux-system"),
    discovery: { searched: "x", found: [], forbidden: "list deployments in all namespaces: 403 Forbidden" },
  });
  assertEquals(refused.phase, "NotInstalled");
  assertEquals(
    refused.message,
    "flux: not installed (no Flux workload in namespace flux-system; other namespaces not searched: list " +
      "deployments in all namespaces: 403 Forbidden — to find it anywhere grant list on deployments, " +
      "statefulsets and daemonsets cluster-wide (deploy/workload-rbac/clusterrole.yaml), or set the tool's " +
      "namespaces)",
  );
});

Deno.test("judgeCluster: generic software alone (grafana) is not a Prometheus install", () => {
  const grafanaOnly = {
    ...empty("monitoring"),
    deployments: kubePrometheus.deployments.filter((d) => d.metadata?.name === "grafana"),
  };
  assertEquals(
    judgeCluster({ cluster: "c", type: "prometheus", snapshot: grafanaOnly }).phase,
    "NotInstalled",
  );
});

Deno.test("judgeCluster: found by discovery ⇒ the message says where", () => {
  const got = judgeCluster({
    cluster: "c",
    type: "argocd",
    snapshot: argocdGitops,
    discovery: { searched: "x", found: ["gitops"] },
  });
  assertEquals(got.message, "4/4 required components healthy (found in namespace gitops)");
});

Deno.test("judgeCluster: several namespaces ⇒ workloads named namespace/name, Missing says all of them", () => {
  const istioSystem = structuredClone(istio);
  const gateway = structuredClone(
    istio.deployments.find((d) => d.metadata?.name === "istio-ingressgateway")!,
  );
  gateway.metadata = { ...gateway.metadata, namespace: "istio-ingress" };
  const snapshot: Snapshot = {
    namespace: "istio-system",
    namespaces: ["istio-system", "istio-ingress"],
    deployments: [
      ...istioSystem.deployments.filter((d) => d.metadata?.name === "istiod"),
      withAvailable({ ...empty("istio-ingress"), deployments: [gateway] }, "istio-ingressgateway", 0)
        .deployments[0]!,
    ],
    statefulSets: [],
    daemonSets: [],
  };
  const got = judgeCluster({ cluster: "c", type: "istio", snapshot });
  assertEquals(got.phase, "Degraded");
  assertEquals(got.message, "istio-ingress/istio-ingressgateway: 0/1 available");
  assertEquals(got.components?.find((x) => x.name === "istiod")?.workload, "istio-system/istiod");
  const noGateway = judgeCluster({
    cluster: "c",
    type: "istio",
    snapshot: { ...snapshot, deployments: snapshot.deployments.slice(0, 1) },
  });
  assertEquals(
    noGateway.components?.find((x) => x.name === "istio-egressgateway")?.message,
    "istio-egressgateway: no Deployment found in namespaces istio-system, istio-ingress",
  );
  // a gateway alone is not an Istio install (istiod may run elsewhere: discovery looks for it)
  const gatewayOnly = judgeCluster({
    cluster: "c",
    type: "istio",
    snapshot: { ...snapshot, deployments: [gateway] },
  });
  assertEquals(gatewayOnly.phase, "NotInstalled");
});

Deno.test("judgeCluster: required only where installed — argocd-server and its endpoints, haproxy", () => {
  const core = without(withoutEndpoints(argocd, "argocd-server"), "argocd-server", "argocd-dex-server");
  const got = judgeCluster({ cluster: "c", type: "argocd", snapshot: core });
  assertEquals(got.phase, "Running", got.message);
  assert(!got.components?.some((x) => x.name === "argocd-server" || x.name === "argocd-server-endpoints"));
  const noEndpoints = judgeCluster({
    cluster: "c",
    type: "argocd",
    snapshot: withoutEndpoints(argocd, "argocd-server"),
  });
  assertEquals([noEndpoints.phase, noEndpoints.reason], ["Failed", "RequiredComponentMissing"]);
  const haproxyDown = judgeCluster({
    cluster: "c",
    type: "argocd",
    snapshot: withAvailable(argocdHa, "argocd-redis-ha-haproxy", 0),
  });
  assertEquals([haproxyDown.phase, haproxyDown.message], [
    "Failed",
    "argocd-redis-ha-haproxy: 0/3 available",
  ]);
});

Deno.test("judgeCluster: an override's explicit required drops the table's 'required only if found'", () => {
  const core = without(argocd, "argocd-server");
  const got = judgeCluster({
    cluster: "c",
    type: "argocd",
    snapshot: core,
    overrides: [{ name: "argocd-server", required: true }],
  });
  assertEquals([got.phase, got.reason], ["Failed", "RequiredComponentMissing"]);
});

Deno.test("judgeCluster: an argocd-operator (OpenShift GitOps) install, workloads named <ArgoCD>-<component>", () => {
  const operator = JSON.parse(
    JSON.stringify(argocd).replaceAll('"argocd-', '"openshift-gitops-'),
  ) as Snapshot;
  const got = judgeCluster({ cluster: "c", type: "argocd", snapshot: operator });
  assertEquals(got.phase, "Running", got.message);
  const byName = Object.fromEntries((got.components ?? []).map((x) => [x.name, x.workload]));
  assertEquals(byName["argocd-server"], "openshift-gitops-server");
  assertEquals(byName["argocd-application-controller"], "openshift-gitops-application-controller");
  assertEquals(byName["argocd-server-endpoints"], "openshift-gitops-server");
  const down = judgeCluster({
    cluster: "c",
    type: "argocd",
    snapshot: withAvailable(operator, "openshift-gitops-repo-server", 0),
  });
  assertEquals([down.phase, down.message], ["Failed", "openshift-gitops-repo-server: 0/2 available"]);
});
