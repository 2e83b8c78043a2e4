/**
 * Inputs of the CLI golden tests: Integrations whose status is computed by the real judges (checks/) from the
 * tool fixtures (tests/fixtures/tools), at a fixed clock, plus Events and `check` results. Deterministic.
 */
import type { ClusterStatus, Integration, IntegrationTarget, ToolType } from "../../api/types.ts";
import { discoverySearched } from "../../checks/discovery.ts";
import { judgeCluster, unknownCluster } from "../../checks/judge.ts";
import { rollUp } from "../../checks/rollup.ts";
import type { CheckResult } from "../../cli/check_render.ts";
import type { KubeEvent } from "../../cli/describe_render.ts";
import { loadSnapshot, withAvailable } from "../fixtures/load.ts";

/** "Now" of every golden rendering. */
export const NOW = new Date("2026-03-01T12:00:00Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export interface Verdicts {
  argocd: ClusterStatus;
  argocdDegraded: ClusterStatus;
  argocdFailed: ClusterStatus;
  flux: ClusterStatus;
  fluxFailed: ClusterStatus;
  prometheus: ClusterStatus;
  istio: ClusterStatus;
}

async function judge(cluster: string, type: ToolType, path: string, change?: [string, number]) {
  let snapshot = await loadSnapshot(path);
  if (change) snapshot = withAvailable(snapshot, change[0], change[1]);
  return judgeCluster({ cluster, type, snapshot });
}

function integration(
  name: string,
  type: ToolType,
  clusters: ClusterStatus[],
  opts: { created: string; enabled?: boolean; targetClusters?: string[]; selector?: Record<string, string> },
): Integration {
  const enabled = opts.enabled !== false;
  return {
    apiVersion: "ksit.io/v1alpha1",
    kind: "Integration",
    metadata: {
      name,
      namespace: "ksit-system",
      uid: `00000000-0000-0000-0000-${name.padEnd(12, "0").slice(0, 12).replace(/[^0-9a-f]/g, "0")}`,
      generation: 2,
      resourceVersion: "1234",
      creationTimestamp: opts.created,
    },
    spec: {
      type,
      enabled,
      ...(opts.targetClusters ? { targetClusters: opts.targetClusters } : {}),
      ...(opts.selector ? { targetSelector: { matchLabels: opts.selector } } : {}),
      config: { healthCheckInterval: "30s" },
    },
    status: rollUp({ generation: 2, enabled, clusters, now: ago(7 * MIN) }),
  };
}

/** The Integrations `status` and `describe` render: one per phase worth showing. */
export async function goldenIntegrations(): Promise<Integration[]> {
  const [argo1, argo2, argo3, flux1, flux2, prom1, istio1] = await Promise.all([
    judge("cluster-1", "argocd", "tools/argocd/install.yaml"),
    judge("cluster-2", "argocd", "tools/argocd/install.yaml", ["argocd-repo-server", 1]),
    judge("cluster-3", "argocd", "tools/argocd/install.yaml"),
    judge("cluster-1", "flux", "tools/flux/install.yaml"),
    judge("cluster-2", "flux", "tools/flux/install.yaml", ["source-controller", 0]),
    judge("cluster-1", "prometheus", "tools/prometheus/kube-prometheus.yaml"),
    judge("cluster-1", "istio", "tools/istio/default.yaml"),
  ]);
  const unreachable = unknownCluster(
    "cluster-3",
    "ClusterUnreachable",
    "list deployments in namespace monitoring: no answer within 10000ms",
  );
  return [
    integration("argocd-prod", "argocd", [argo1, argo2, argo3], {
      created: ago(3 * DAY + 4 * HOUR),
      selector: { env: "prod" },
    }),
    integration("flux", "flux", [flux1, flux2], {
      created: ago(45 * MIN),
      targetClusters: ["cluster-1", "cluster-2"],
    }),
    integration("prometheus", "prometheus", [prom1, unreachable], {
      created: ago(90 * 1000),
      targetClusters: ["cluster-1", "cluster-3"],
    }),
    integration("istio", "istio", [istio1], { created: ago(400 * DAY), targetClusters: ["cluster-1"] }),
    integration("istio-canary", "istio", [], {
      created: ago(5 * HOUR),
      enabled: false,
      targetClusters: ["cluster-2"],
    }),
  ];
}

/** Events of argocd-prod as the controller records them. */
export function goldenEvents(i: Integration): KubeEvent[] {
  const involved = {
    kind: "Integration",
    name: i.metadata.name,
    namespace: i.metadata.namespace,
    uid: i.metadata.uid,
  };
  return [
    {
      type: "Warning",
      reason: "Degraded",
      message: "cluster-2: argocd-repo-server: 1/2 available",
      count: 3,
      firstTimestamp: ago(20 * MIN),
      lastTimestamp: ago(7 * MIN),
      source: { component: "ksit-controller" },
      involvedObject: involved,
      metadata: { name: "argocd-prod.1", namespace: "ksit-system" },
    },
    {
      type: "Normal",
      reason: "Running",
      message: "all 3 clusters healthy",
      count: 1,
      firstTimestamp: ago(3 * DAY),
      lastTimestamp: ago(3 * DAY),
      source: { component: "ksit-controller" },
      involvedObject: involved,
      metadata: { name: "argocd-prod.0", namespace: "ksit-system" },
    },
  ];
}

/** `check` results over three contexts and all four tools (prod-eu without Flux). */
export async function goldenCheckResults(): Promise<CheckResult[]> {
  const types: [ToolType, string, string][] = [
    ["argocd", "argocd", "tools/argocd/install.yaml"],
    ["flux", "flux-system", "tools/flux/install.yaml"],
    ["prometheus", "monitoring", "tools/prometheus/kube-prometheus.yaml"],
    ["istio", "istio-system", "tools/istio/default.yaml"],
  ];
  const out: CheckResult[] = [];
  for (const [type, namespace, path] of types) {
    out.push({ context: "kind-dev", type, namespace, verdict: await judge("kind-dev", type, path) });
    const change: [string, number] | undefined = type === "argocd"
      ? ["argocd-server", 0]
      : type === "prometheus"
      ? ["grafana", 0]
      : undefined;
    // prod-eu has no Flux: discovery found it nowhere
    const verdict = type === "flux"
      ? judgeCluster({
        cluster: "prod-eu",
        type,
        snapshot: { namespace, deployments: [], statefulSets: [] },
        discovery: { searched: discoverySearched(type), found: [] },
      })
      : await judge("prod-eu", type, path, change);
    out.push({ context: "prod-eu", type, namespace, verdict });
    out.push({
      context: "prod-us",
      type,
      namespace,
      verdict: unknownCluster(
        "prod-us",
        "ClusterUnreachable",
        `list deployments in namespace ${namespace}: https://10.0.0.9:6443: Connection refused`,
      ),
    });
  }
  return out;
}

/** IntegrationTargets of the clusters, judged by two serve replicas: cluster-3 is unreachable. */
export function goldenTargets(): IntegrationTarget[] {
  const target = (
    name: string,
    ready: "True" | "False",
    reason: string,
    message: string,
    judgedBy: string,
  ): IntegrationTarget => ({
    apiVersion: "ksit.io/v1alpha1",
    kind: "IntegrationTarget",
    metadata: { name, namespace: "ksit-system", creationTimestamp: ago(10 * DAY) },
    spec: { clusterName: name, labels: { env: "prod" } },
    status: {
      observedGeneration: 1,
      ...(ready === "True" ? { serverVersion: "v1.33.1" } : {}),
      conditions: [{ type: "Ready", status: ready, reason, message, lastTransitionTime: ago(HOUR) }],
      judgedBy,
    },
  });
  return [
    target("cluster-1", "True", "Connected", "connected", "ksit-7d9f8c6b5-2xkqp"),
    target("cluster-2", "True", "Connected", "connected", "ksit-7d9f8c6b5-9wzrt"),
    target(
      "cluster-3",
      "False",
      "ClusterUnreachable",
      "dial tcp 10.0.0.3:6443: connect: connection refused",
      "ksit-7d9f8c6b5-2xkqp",
    ),
  ];
}
