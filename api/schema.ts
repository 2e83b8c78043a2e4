/**
 * The OpenAPI v3 schemas of the KSIT CRDs (group ksit.io, version v1alpha1): the single source of truth.
 * `crds.ts` wraps them into CustomResourceDefinitions, `types.ts` derives the TypeScript types from them.
 */

export const GROUP = "ksit.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

export const TOOL_TYPES = ["argocd", "flux", "prometheus", "istio"] as const;
export const INTEGRATION_PHASES = [
  "Pending",
  "Running",
  "Degraded",
  "Failed",
  "Unknown",
  "Disabled",
  "NotInstalled",
] as const;
export const COMPONENT_STATUSES = ["Healthy", "Degraded", "Unhealthy", "Missing"] as const;
export const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "Service"] as const;
/**
 * How the Secret of `spec.kubeconfigSecretRef` holds a cluster's credentials (kube/credentials.ts reads each
 * under the same rules): a kubeconfig, an Argo CD cluster Secret, or a bearer token for the server of a
 * ClusterProfile.
 */
export const CREDENTIAL_FORMATS = ["kubeconfig", "argocd", "token"] as const;
/** The fleet inventories `serve` can make IntegrationTargets from (kube/inventory.ts). */
export const INVENTORY_SOURCES = ["capi", "argocd", "clusterprofile"] as const;
/** How many namespaces one Integration may name for its tool (each is a watch per kind on every target). */
export const MAX_TOOL_NAMESPACES = 16;

/** Go duration strings as kube-apiserver's CEL `duration()` understands them (`30s`, `1m30s`, `1h`). */
export const DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$";

/**
 * A duration with one term that alone is far above 24h (≥ 100h, 10000m, 100000s, 1e8ms, 1e11us, 1e14ns).
 * CEL's `duration()` fails with a type-conversion error on values past int64 nanoseconds (~292 years), so
 * the range rules test this first: "99999999999999h" gets the range message, and what is left for
 * `duration()` is at most ~10 terms of ≤ ~170h each, far from overflowing.
 */
export const HUGE_DURATION_PATTERN =
  "(^|[a-zµ])0*[1-9]([0-9]{2,}(\\.[0-9]*)?h|[0-9]{4,}(\\.[0-9]*)?m([0-9]|$)|" +
  "[0-9]{5,}(\\.[0-9]*)?s|[0-9]{8,}(\\.[0-9]*)?ms|[0-9]{11,}(\\.[0-9]*)?(us|µs)|[0-9]{14,}(\\.[0-9]*)?ns)";
const DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
const DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

const stringMap = { type: "object", additionalProperties: { type: "string" } } as const;

/** metav1.LabelSelector, with the operator/values rules the API server applies to built-in selectors. */
export const labelSelectorSchema = {
  type: "object",
  description: "A standard Kubernetes label selector (matchLabels and/or matchExpressions).",
  properties: {
    matchLabels: stringMap,
    matchExpressions: {
      type: "array",
      items: {
        type: "object",
        required: ["key", "operator"],
        properties: {
          key: { type: "string", minLength: 1, maxLength: 317 },
          operator: { type: "string", enum: ["In", "NotIn", "Exists", "DoesNotExist"] },
          values: { type: "array", items: { type: "string" } },
        },
        "x-kubernetes-validations": [
          {
            rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : true",
            message: "operator In and NotIn need at least one value",
          },
          {
            rule:
              "self.operator in ['Exists', 'DoesNotExist'] ? (!has(self.values) || size(self.values) == 0) : true",
            message: "operator Exists and DoesNotExist take no values",
          },
        ],
      },
    },
  },
  "x-kubernetes-map-type": "atomic",
} as const;

/** metav1.Condition. */
export const conditionSchema = {
  type: "object",
  required: ["type", "status", "lastTransitionTime", "reason", "message"],
  properties: {
    type: {
      type: "string",
      maxLength: 316,
      pattern:
        "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
    },
    status: { type: "string", enum: ["True", "False", "Unknown"] },
    observedGeneration: { type: "integer", format: "int64", minimum: 0 },
    lastTransitionTime: { type: "string", format: "date-time" },
    reason: {
      type: "string",
      minLength: 1,
      maxLength: 1024,
      pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
    },
    message: { type: "string", maxLength: 32768 },
  },
} as const;

const conditionsSchema = {
  type: "array",
  items: conditionSchema,
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
} as const;

export const integrationTargetSpecSchema = {
  type: "object",
  required: ["clusterName"],
  properties: {
    clusterName: {
      type: "string",
      minLength: 1,
      maxLength: 253,
      pattern: DNS_SUBDOMAIN,
      description: "The workload cluster's name, as Integrations' targetClusters refer to it.",
    },
    labels: {
      ...stringMap,
      description: "Labels used by Integration targetSelector, merged with metadata.labels (metadata wins).",
    },
    kubeconfigSecretRef: {
      type: "object",
      description:
        "The Secret holding the cluster's credentials, read in place (never copied). Defaults to " +
        "<clusterName>-kubeconfig, key kubeconfig, in the target's namespace.",
      properties: {
        name: { type: "string", minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN },
        namespace: {
          type: "string",
          minLength: 1,
          maxLength: 63,
          pattern: DNS_LABEL,
          description:
            "Default: the target's namespace. Another namespace only where serve reads Secrets for " +
            "an inventory source (--inventory / --credentials-from); elsewhere the target is SecretNotFound.",
        },
        key: {
          type: "string",
          minLength: 1,
          maxLength: 253,
          description: "The Secret's key: default kubeconfig (format kubeconfig), token (format token); " +
            "unused with format argocd (its fields name, server and config).",
        },
        format: {
          type: "string",
          enum: CREDENTIAL_FORMATS,
          description: "kubeconfig (default): a kubeconfig; argocd: an Argo CD cluster Secret (server, " +
            "config JSON); token: a bearer token alone, the server coming from spec.clusterProfileRef.",
        },
      },
    },
    clusterProfileRef: {
      type: "object",
      required: ["name"],
      description:
        "A ClusterProfile (multicluster.x-k8s.io) whose status.accessProviders give the server, CA " +
        "and TLS settings; the credential comes from kubeconfigSecretRef (format token, or the user of a " +
        "kubeconfig).",
      properties: {
        name: { type: "string", minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN },
        namespace: {
          type: "string",
          minLength: 1,
          maxLength: 63,
          pattern: DNS_LABEL,
          description: "Default: the target's namespace.",
        },
        accessProvider: {
          type: "string",
          minLength: 1,
          maxLength: 253,
          description: "The access provider whose cluster to use. Default: the first one the profile lists.",
        },
      },
    },
  },
  "x-kubernetes-validations": [
    {
      rule: "has(self.clusterProfileRef) || !has(self.kubeconfigSecretRef) || " +
        "!has(self.kubeconfigSecretRef.format) || self.kubeconfigSecretRef.format != 'token'",
      message: "a token Secret names no server: set spec.clusterProfileRef",
      fieldPath: ".kubeconfigSecretRef.format",
      reason: "FieldValueInvalid",
    },
    {
      rule: "!has(self.clusterProfileRef) || !has(self.kubeconfigSecretRef) || " +
        "!has(self.kubeconfigSecretRef.format) || self.kubeconfigSecretRef.format != 'argocd'",
      message: "an Argo CD cluster Secret names its own server: remove spec.clusterProfileRef",
      fieldPath: ".clusterProfileRef",
      reason: "FieldValueInvalid",
    },
  ],
} as const;

export const componentOverrideSchema = {
  type: "object",
  required: ["name"],
  description: "Override of one component of the tool table, or an extra component, for unusual installs.",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 253, description: "Component name (tool table name)." },
    kind: { type: "string", enum: WORKLOAD_KINDS },
    required: { type: "boolean", description: "true: unhealthy fails the cluster; false: it degrades it." },
    ignore: { type: "boolean", description: "Do not judge this component at all." },
    workloadName: { type: "string", maxLength: 253, description: "Exact workload name to match." },
    selector: labelSelectorSchema,
  },
} as const;

export const integrationSpecSchema = {
  type: "object",
  required: ["type"],
  properties: {
    type: { type: "string", enum: TOOL_TYPES, description: "The tool to check." },
    enabled: { type: "boolean", default: true, description: "false: Disabled, no calls to target clusters." },
    targetClusters: {
      type: "array",
      items: { type: "string", minLength: 1, maxLength: 253 },
      maxItems: 5000,
      "x-kubernetes-list-type": "set",
      description: "IntegrationTargets by spec.clusterName or metadata.name.",
    },
    targetSelector: { ...labelSelectorSchema, description: "Selects IntegrationTargets by their labels." },
    config: {
      type: "object",
      default: {},
      properties: {
        namespace: {
          type: "string",
          maxLength: 63,
          pattern: DNS_LABEL,
          description:
            "Namespace of the tool on the workload clusters. Unset (and no namespaces): the tool's default " +
            "namespaces, then discovery by the install's labels in every namespace (needs cluster-wide list).",
        },
        namespaces: {
          type: "array",
          maxItems: MAX_TOOL_NAMESPACES,
          items: { type: "string", minLength: 1, maxLength: 63, pattern: DNS_LABEL },
          "x-kubernetes-list-type": "set",
          description:
            "Several namespaces of the tool (e.g. istiod in istio-system and a gateway in istio-ingress); " +
            "judged together. Combined with namespace when both are set. No discovery when set.",
        },
        healthCheckInterval: {
          type: "string",
          default: "30s",
          maxLength: 32,
          pattern: DURATION_PATTERN,
          description: "Resync interval, a duration such as 30s or 2m (minimum 5s).",
          "x-kubernetes-validations": [
            {
              rule: `!self.matches(r'${DURATION_PATTERN}') || self.matches(r'${HUGE_DURATION_PATTERN}') || ` +
                `duration(self) >= duration('5s')`,
              message: "must be at least 5s",
            },
            {
              rule:
                `!self.matches(r'${DURATION_PATTERN}') || (!self.matches(r'${HUGE_DURATION_PATTERN}') && ` +
                `duration(self) <= duration('24h'))`,
              message: "must be at most 24h",
            },
          ],
        },
        components: {
          type: "array",
          maxItems: 64,
          items: componentOverrideSchema,
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
        },
      },
    },
  },
  "x-kubernetes-validations": [
    {
      rule: "(has(self.targetClusters) && size(self.targetClusters) > 0) || has(self.targetSelector)",
      message: "set spec.targetClusters or spec.targetSelector (or both)",
      fieldPath: ".targetClusters",
      reason: "FieldValueRequired",
    },
  ],
} as const;

export const componentStatusSchema = {
  type: "object",
  required: ["name", "status"],
  properties: {
    name: { type: "string" },
    kind: { type: "string", enum: WORKLOAD_KINDS },
    workload: { type: "string", description: "Name of the matched workload, if any." },
    required: { type: "boolean" },
    status: { type: "string", enum: COMPONENT_STATUSES },
    ready: { type: "string", description: "available/desired, e.g. 1/2" },
    reason: { type: "string" },
    message: { type: "string" },
  },
} as const;

/** A verdict on one cluster: what an Integration's status lists per cluster and a target's result holds. */
const verdictProperties = {
  phase: { type: "string", enum: INTEGRATION_PHASES },
  reason: { type: "string" },
  message: { type: "string" },
  components: { type: "array", items: componentStatusSchema },
} as const;

export const clusterStatusSchema = {
  type: "object",
  required: ["name", "phase"],
  properties: {
    name: { type: "string" },
    ...verdictProperties,
  },
} as const;

/** One Integration's verdict on this target, written by the replica that judges the target (issue 16). */
export const targetResultSchema = {
  type: "object",
  required: ["integration", "phase"],
  properties: {
    integration: { type: "string", description: "Name of the Integration (same namespace)." },
    observedGeneration: {
      type: "integer",
      format: "int64",
      description: "The Integration's metadata.generation this verdict was judged for.",
    },
    integrationUID: {
      type: "string",
      description:
        "The Integration's metadata.uid: a result of a deleted Integration is not taken for one of a new " +
        "Integration of the same name and generation.",
    },
    ...verdictProperties,
  },
} as const;

export const integrationTargetStatusSchema = {
  type: "object",
  properties: {
    observedGeneration: { type: "integer", format: "int64" },
    serverVersion: { type: "string" },
    conditions: conditionsSchema,
    judgedBy: {
      type: "string",
      description: "The serve replica that judges this target (its identity, e.g. the pod name).",
    },
    results: {
      type: "array",
      items: targetResultSchema,
      description:
        "With sharding (serve --sharding=dynamic|fixed): the verdict of every Integration that selects this " +
        "target, written by the replica that judges it; the leader rolls each Integration's status up from " +
        "these. Components are listed only for results that are not Running. Without sharding the one " +
        "judging replica keeps them in memory.",
    },
  },
} as const;

export const integrationStatusSchema = {
  type: "object",
  properties: {
    observedGeneration: { type: "integer", format: "int64" },
    phase: { type: "string", enum: INTEGRATION_PHASES },
    healthy: {
      type: "string",
      description:
        "healthy/targets, for the HEALTHY column (targets where the tool is not installed not counted)",
    },
    message: { type: "string" },
    summary: {
      type: "object",
      properties: {
        targets: { type: "integer" },
        healthy: { type: "integer" },
        degraded: { type: "integer" },
        failed: { type: "integer" },
        unknown: { type: "integer" },
        notInstalled: { type: "integer", description: "targets where the tool is not installed" },
      },
    },
    conditions: conditionsSchema,
    clusters: { type: "array", items: clusterStatusSchema },
    clustersOmitted: {
      type: "integer",
      description: "Clusters left out of status.clusters to keep the object small (the best ones first); " +
        "kubectl ksit check shows them all.",
    },
  },
} as const;
