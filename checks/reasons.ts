/** The CamelCase reason vocabulary of KSIT verdicts, cluster phases and Integration conditions. */

/** Reasons of one workload / Service verdict (ComponentStatus.reason). */
export const COMPONENT_REASONS = {
  /** Deployment/StatefulSet/DaemonSet: every desired replica (node) available and rolled out. */
  Available: "Available",
  /** Service: at least one ready endpoint. */
  EndpointsReady: "EndpointsReady",
  /**
   * Stale observedGeneration, Reconciling=True, not every replica updated yet, surge or old pods still there,
   * updated pods not available yet (some available).
   */
  RolloutInProgress: "RolloutInProgress",
  /** 0 < available < desired (or ready, created, scheduled < desired). */
  PartiallyAvailable: "PartiallyAvailable",
  /** Condition Stalled=True (kstatus' generic failure condition). */
  Stalled: "Stalled",
  /** metadata.deletionTimestamp is set: the workload is being deleted. */
  Terminating: "Terminating",
  /** DaemonSet without status.desiredNumberScheduled: its controller has not acted on it. */
  NotObserved: "NotObserved",
  /** Deployment whose condition Available is not True although the counters look fine. */
  NotAvailable: "NotAvailable",
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
  /** None of the tool's components was found: the tool is not installed there (phase NotInstalled). */
  ToolNotInstalled: "ToolNotInstalled",
  /**
   * spec.targetClusters names a cluster that no IntegrationTarget of the namespace has (phase Unknown). A
   * cluster that could not be checked otherwise carries its target's Ready reason (api/types.ts
   * TARGET_REASONS) or the reason a read failed (Unauthorized, Forbidden, ClusterUnreachable).
   */
  TargetNotFound: "TargetNotFound",
  /**
   * No `serve` replica wrote a result for the Integration's current generation on the target within a minute
   * (phase Unknown): the replica that owns the target is down or stuck (sharding, issue 16).
   */
  NotJudged: "NotJudged",
} as const;

/** Reasons of the Integration conditions (Ready, Degraded, Reconciling, Stalled), one per phase. */
export const INTEGRATION_REASONS = {
  Running: "AllHealthy",
  Degraded: "ComponentsDegraded",
  Failed: "ComponentsFailed",
  Unknown: "ClustersUnreachable",
  Pending: "NoTargetsMatched",
  Disabled: "Disabled",
  NotInstalled: "ToolNotInstalled",
} as const;

/**
 * Reasons of the Kubernetes Events `serve` records on an Integration: the phase it moved to (Warning on
 * Failed, Degraded, Unknown; Normal on NotInstalled), Recovered (Normal, back to Running), and
 * StatusWriteFailed (Warning: the API server refused the status, a summary was written instead); and on an
 * IntegrationTarget: InventoryNameClash (Warning: an inventory entry asks for the target's name, which this
 * target holds).
 */
export const EVENT_REASONS = {
  Failed: "Failed",
  Degraded: "Degraded",
  Unknown: "Unknown",
  NotInstalled: "NotInstalled",
  Recovered: "Recovered",
  StatusWriteFailed: "StatusWriteFailed",
  InventoryNameClash: "InventoryNameClash",
} as const;
export type EventReason = typeof EVENT_REASONS[keyof typeof EVENT_REASONS];
