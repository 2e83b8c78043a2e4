/** TypeScript types of the KSIT objects, derived from the CRD schemas in `schema.ts`. */
import type { FromSchema } from "./from_schema.ts";
import type {
  clusterStatusSchema,
  COMPONENT_STATUSES,
  componentOverrideSchema,
  componentStatusSchema,
  conditionSchema,
  CREDENTIAL_FORMATS,
  INTEGRATION_PHASES,
  integrationSpecSchema,
  integrationStatusSchema,
  integrationTargetSpecSchema,
  integrationTargetStatusSchema,
  labelSelectorSchema,
  targetResultSchema,
  TOOL_TYPES,
  WORKLOAD_KINDS,
} from "./schema.ts";

export type ToolType = typeof TOOL_TYPES[number];
export type Phase = typeof INTEGRATION_PHASES[number];
export type ComponentHealth = typeof COMPONENT_STATUSES[number];
export type WorkloadKind = typeof WORKLOAD_KINDS[number];
export type CredentialFormat = typeof CREDENTIAL_FORMATS[number];

export type LabelSelector = FromSchema<typeof labelSelectorSchema>;
export type Condition = FromSchema<typeof conditionSchema>;
export type ComponentOverride = FromSchema<typeof componentOverrideSchema>;
export type ComponentStatus = FromSchema<typeof componentStatusSchema>;
export type ClusterStatus = FromSchema<typeof clusterStatusSchema>;

export type IntegrationSpec = FromSchema<typeof integrationSpecSchema>;
export type IntegrationStatus = FromSchema<typeof integrationStatusSchema>;
export type IntegrationTargetSpec = FromSchema<typeof integrationTargetSpecSchema>;
export type IntegrationTargetStatus = FromSchema<typeof integrationTargetStatusSchema>;
export type TargetResult = FromSchema<typeof targetResultSchema>;

/** The part of ObjectMeta KSIT reads and writes. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
}

export interface Integration {
  apiVersion: "ksit.io/v1alpha1";
  kind: "Integration";
  metadata: ObjectMeta;
  spec: IntegrationSpec;
  status?: IntegrationStatus;
}

export interface IntegrationTarget {
  apiVersion: "ksit.io/v1alpha1";
  kind: "IntegrationTarget";
  metadata: ObjectMeta;
  spec: IntegrationTargetSpec;
  status?: IntegrationTargetStatus;
}

/** Reasons of the IntegrationTarget Ready condition (README "Security model", docs/architecture.md). */
export const TARGET_REASONS = [
  "Connected",
  "SecretNotFound",
  /** The credential Secret's value is not usable (a kubeconfig, an Argo CD cluster config, a token). */
  "InvalidKubeconfig",
  /** spec.clusterProfileRef names a ClusterProfile serve cannot see. */
  "ClusterProfileNotFound",
  /** The ClusterProfile gives no usable server: no access provider, not the one named, no server in it. */
  "InvalidClusterProfile",
  /** exec / auth-provider credentials (a kubeconfig's, an Argo CD cluster's) without `--allow-exec-auth`. */
  "ExecAuthNotAllowed",
  /** The Secret's kubeconfig references a file (a Secret's kubeconfig must be self-contained). */
  "FileReferenceNotAllowed",
  /** Credentials for a plain http:// server. */
  "PlaintextCredentials",
  /** The server address is outside `serve --allowed-servers` / inside `--denied-servers`. */
  "ServerNotAllowed",
  /** The server does not answer like a Kubernetes API server (GET /version). */
  "NotKubernetes",
  "ClusterUnreachable",
  /** The API server answers but cannot serve reads (its /readyz fails, e.g. etcd down). */
  "ClusterNotReady",
  "Unauthorized",
  "Forbidden",
] as const;
export type TargetReason = typeof TARGET_REASONS[number];
