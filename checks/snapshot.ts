/** What `gather` reads from the namespaces of one workload cluster, and what the judges read. */
import type { V1DaemonSet, V1Deployment, V1EndpointSlice, V1StatefulSet } from "@kubernetes/client-node";

export interface Snapshot {
  /** The namespace the lists were taken from (the first, when there are several); messages only. */
  namespace: string;
  /**
   * Every namespace the lists were taken from, when more than one (istiod in istio-system, a gateway in
   * istio-ingress). Workloads are then shown as `namespace/name`.
   */
  namespaces?: string[];
  deployments: V1Deployment[];
  statefulSets: V1StatefulSet[];
  /** Absent when no component of the checked tools can be a DaemonSet. */
  daemonSets?: V1DaemonSet[];
  /**
   * discovery.k8s.io/v1 EndpointSlices (label `kubernetes.io/service-name`), instead of the deprecated v1
   * Endpoints. The EndpointSlice controller copies the Service's labels onto its slices, so label selectors
   * written for the Service match them too. Absent when no component of the checked tools needs endpoints.
   */
  endpointSlices?: V1EndpointSlice[];
}

/** The namespaces of a snapshot. */
export function snapshotNamespaces(s: Snapshot): string[] {
  return s.namespaces?.length ? s.namespaces : [s.namespace];
}

/**
 * One snapshot of several (one per namespace, in order): the lists concatenated; a list that any part lacks
 * (not gathered there) is absent from the result only if every part lacks it.
 */
export function mergeSnapshots(parts: readonly Snapshot[]): Snapshot {
  const first = parts[0];
  if (!first) throw new Error("mergeSnapshots: no snapshot");
  if (parts.length === 1) return first;
  const namespaces = [...new Set(parts.flatMap(snapshotNamespaces))];
  const merged: Snapshot = {
    namespace: namespaces[0] ?? first.namespace,
    ...(namespaces.length > 1 ? { namespaces } : {}),
    deployments: parts.flatMap((p) => p.deployments),
    statefulSets: parts.flatMap((p) => p.statefulSets),
  };
  if (parts.some((p) => p.daemonSets)) merged.daemonSets = parts.flatMap((p) => p.daemonSets ?? []);
  if (parts.some((p) => p.endpointSlices)) {
    merged.endpointSlices = parts.flatMap((p) => p.endpointSlices ?? []);
  }
  return merged;
}
