/** What `gather` reads from one namespace of one workload cluster, and what the judges read. */
import type { V1Deployment, V1EndpointSlice, V1StatefulSet } from "@kubernetes/client-node";

export interface Snapshot {
  /** The namespace the lists were taken from (used in messages only). */
  namespace: string;
  deployments: V1Deployment[];
  statefulSets: V1StatefulSet[];
  /**
   * discovery.k8s.io/v1 EndpointSlices (label `kubernetes.io/service-name`), instead of the deprecated v1
   * Endpoints. The EndpointSlice controller copies the Service's labels onto its slices, so label selectors
   * written for the Service match them too. Absent when no component of the checked tools needs endpoints.
   */
  endpointSlices?: V1EndpointSlice[];
}
