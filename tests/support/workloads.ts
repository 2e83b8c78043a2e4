/**
 * Helpers that create workloads and write their status through the /status subresource, for bare API servers
 * (no controllers, no kubelets) and for states no controller would write. On live clusters the controllers write
 * status: see tests/support/live.ts, live_workloads.ts and faults.ts.
 */
import {
  AppsV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1DeploymentCondition,
  type V1StatefulSet,
} from "@kubernetes/client-node";

export interface ReplicaStatus {
  replicas: number;
  available: number;
  /** Defaults to available. */
  ready?: number;
  /** Defaults to replicas. */
  updated?: number;
}

export function deploymentManifest(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  replicas = 1,
) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "main", image: "registry.invalid/placeholder:1" }] },
      },
    },
  } satisfies V1Deployment;
}

/**
 * Writes a Deployment's status (observedGeneration = generation unless given), with the Available and
 * Progressing conditions the Deployment controller writes for those numbers unless `conditions` are given.
 */
export async function setDeploymentStatus(
  kc: KubeConfig,
  namespace: string,
  name: string,
  s: ReplicaStatus & { observedGeneration?: number; conditions?: V1DeploymentCondition[] },
): Promise<V1Deployment> {
  const apps = kc.makeApiClient(AppsV1Api);
  const current = await apps.readNamespacedDeployment({ name, namespace });
  const now = new Date();
  const condition = (type: string, status: string, reason: string, message: string) =>
    ({
      type,
      status,
      reason,
      message,
      lastUpdateTime: now,
      lastTransitionTime: now,
    }) as V1DeploymentCondition;
  current.status = {
    observedGeneration: s.observedGeneration ?? current.metadata?.generation,
    replicas: s.replicas,
    updatedReplicas: s.updated ?? s.replicas,
    readyReplicas: s.ready ?? s.available,
    availableReplicas: s.available,
    unavailableReplicas: Math.max(0, s.replicas - s.available) || undefined,
    conditions: s.conditions ?? [
      s.available > 0
        ? condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        : condition(
          "Available",
          "False",
          "MinimumReplicasUnavailable",
          "Deployment does not have minimum availability.",
        ),
      condition(
        "Progressing",
        "True",
        "NewReplicaSetAvailable",
        `ReplicaSet "${name}" has successfully progressed.`,
      ),
    ],
  };
  return await apps.replaceNamespacedDeploymentStatus({ name, namespace, body: current });
}

/** Writes a StatefulSet's status. */
export async function setStatefulSetStatus(
  kc: KubeConfig,
  namespace: string,
  name: string,
  s: ReplicaStatus & { observedGeneration?: number },
): Promise<V1StatefulSet> {
  const apps = kc.makeApiClient(AppsV1Api);
  const current = await apps.readNamespacedStatefulSet({ name, namespace });
  current.status = {
    observedGeneration: s.observedGeneration ?? current.metadata?.generation,
    replicas: s.replicas,
    updatedReplicas: s.updated ?? s.replicas,
    readyReplicas: s.ready ?? s.available,
    availableReplicas: s.available,
    currentReplicas: s.replicas,
  };
  return await apps.replaceNamespacedStatefulSetStatus({ name, namespace, body: current });
}
