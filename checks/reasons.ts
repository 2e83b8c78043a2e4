/** The CamelCase reason vocabulary of KSIT verdicts, cluster phases and Integration conditions. */

/** Reasons of one workload / Service verdict (ComponentStatus.reason). */
export const COMPONENT_REASONS = {
  /** Deployment/StatefulSet: every desired replica available and rolled out. */
  Available: "Available",
  /** Service: at least one ready endpoint. */
  EndpointsReady: "EndpointsReady",
  /** stale observedGeneration, or not every replica updated yet (some available). */
  RolloutInProgress: "RolloutInProgress",
  /** 0 < available < desired. */
  PartiallyAvailable: "PartiallyAvailable",
  /** Deployment condition Progressing=False/ProgressDeadlineExceeded. */
  ProgressDeadlineExceeded: "ProgressDeadlineExceeded",
  /** desired > 0 and nothing available. */
  NoReplicasAvailable: "NoReplicasAvailable",
  /** spec.replicas = 0. */
  ScaledToZero: "ScaledToZero",
  /** Service: EndpointSlices exist but no endpoint is ready. */
  NoReadyEndpoints: "NoReadyEndpoints",
  /** Service: no EndpointSlice at all. */
  NoEndpoints: "NoEndpoints",
  /** No workload matched the component's selectors or names. */
  NotFound: "NotFound",
} as const;

/** Reasons of ClusterStatus (one cluster's verdict for one Integration). */
export const CLUSTER_REASONS = {
  RequiredComponentsHealthy: "RequiredComponentsHealthy",
  RequiredComponentMissing: "RequiredComponentMissing",
  RequiredComponentUnavailable: "RequiredComponentUnavailable",
  RequiredComponentDegraded: "RequiredComponentDegraded",
  OptionalComponentUnavailable: "OptionalComponentUnavailable",
  OptionalComponentDegraded: "OptionalComponentDegraded",
  /** Every component was ignored by overrides. */
  NoComponents: "NoComponents",
} as const;

/** Reasons of the Integration conditions (Ready, Degraded, Reconciling, Stalled), one per phase. */
export const INTEGRATION_REASONS = {
  Running: "AllHealthy",
  Degraded: "ComponentsDegraded",
  Failed: "ComponentsFailed",
  Unknown: "ClustersUnreachable",
  Pending: "NoTargetsMatched",
  Disabled: "Disabled",
} as const;
