/**
 * The tool tables: which workloads make up Argo CD, Flux, Prometheus and Istio, how to find them, and which
 * are required. A component is found by label selector first (the upstream installs' own labels), by name
 * second (exact names and Helm-release-prefixed forms), so custom namespaces and release names work.
 */
import type { ComponentOverride, ToolType, WorkloadKind } from "../api/types.ts";

/** How a workload name may look when labels did not find the component. */
export type NameMatcher =
  /** exactly this name */
  | { exact: string }
  /** `<anything>-<suffix>`: a Helm release prefix, e.g. suffix `argocd-server` matches `argo-argocd-server` */
  | { suffix: string }
  /** `<prefix>-<anything>`: e.g. prefix `istiod` matches `istiod-1-22` */
  | { prefix: string };

export interface ComponentRule {
  /** Component name, unique within the tool; overrides refer to it. */
  name: string;
  /** Accepted workload kinds; the first is reported when nothing matched. `Service` = its EndpointSlices. */
  kinds: readonly WorkloadKind[];
  required: boolean;
  /** Alternative `matchLabels` (any one matching is enough), tried first. */
  selectors: readonly Readonly<Record<string, string>>[];
  /** Tried only when no selector matched anything. */
  names: readonly NameMatcher[];
}

export interface ToolTable {
  type: ToolType;
  defaultNamespace: string;
  components: readonly ComponentRule[];
}

const K8S_NAME = "app.kubernetes.io/name";
const PART_OF = "app.kubernetes.io/part-of";
const COMPONENT = "app.kubernetes.io/component";
const MANAGED_BY = "app.kubernetes.io/managed-by";

/** Argo CD component named `argocd-<short>`, labelled `app.kubernetes.io/name: argocd-<short>` (install.yaml and chart). */
function argo(short: string, kinds: readonly WorkloadKind[], required: boolean): ComponentRule {
  const name = `argocd-${short}`;
  return {
    name,
    kinds,
    required,
    selectors: [{ [K8S_NAME]: name }],
    names: [{ exact: name }, { suffix: name }],
  };
}

/** Flux controller from `flux install` (and the community chart): same name in every install. */
function flux(name: string, required: boolean): ComponentRule {
  return {
    name,
    kinds: ["Deployment"],
    required,
    selectors: [{ [COMPONENT]: name, [PART_OF]: "flux" }, { app: name }],
    names: [{ exact: name }, { suffix: name }],
  };
}

function gateway(direction: "ingress" | "egress"): ComponentRule {
  const name = `istio-${direction}gateway`;
  return {
    name,
    kinds: ["Deployment"],
    required: false,
    selectors: [{ istio: `${direction}gateway` }, { app: name }],
    names: [{ exact: name }, { suffix: `${direction}gateway` }],
  };
}

export const TOOL_TABLES: Readonly<Record<ToolType, ToolTable>> = {
  argocd: {
    type: "argocd",
    defaultNamespace: "argocd",
    components: [
      argo("server", ["Deployment"], true),
      argo("repo-server", ["Deployment"], true),
      argo("application-controller", ["StatefulSet", "Deployment"], true),
      {
        name: "argocd-server-endpoints",
        kinds: ["Service"],
        required: true,
        selectors: [{ [K8S_NAME]: "argocd-server" }],
        names: [{ exact: "argocd-server" }, { suffix: "argocd-server" }],
      },
      {
        // argocd-redis Deployment, or the HA install's argocd-redis-ha-server StatefulSet (chart: <release>-redis-ha-server).
        name: "argocd-redis",
        kinds: ["Deployment", "StatefulSet"],
        required: false,
        selectors: [{ [K8S_NAME]: "argocd-redis" }, { [K8S_NAME]: "argocd-redis-ha" }],
        names: [{ exact: "argocd-redis" }, { suffix: "argocd-redis" }, { suffix: "redis-ha-server" }],
      },
      argo("dex-server", ["Deployment"], false),
      argo("applicationset-controller", ["Deployment"], false),
      argo("notifications-controller", ["Deployment"], false),
    ],
  },
  flux: {
    type: "flux",
    defaultNamespace: "flux-system",
    components: [
      flux("source-controller", true),
      flux("kustomize-controller", true),
      flux("helm-controller", true),
      flux("notification-controller", true),
      flux("image-reflector-controller", false),
      flux("image-automation-controller", false),
    ],
  },
  prometheus: {
    type: "prometheus",
    defaultNamespace: "monitoring",
    components: [
      {
        // kube-prometheus-stack names it <release>-kube-prometheus-stack-operator, or <release>-kube-prometheus-operator
        // when "<release>-kube-prometheus-stack" is longer than 26 characters; kube-prometheus: prometheus-operator.
        name: "prometheus-operator",
        kinds: ["Deployment"],
        required: true,
        selectors: [
          { app: "kube-prometheus-stack-operator" },
          { [K8S_NAME]: "kube-prometheus-stack-prometheus-operator" },
          { [K8S_NAME]: "prometheus-operator" },
        ],
        names: [
          { exact: "prometheus-operator" },
          { suffix: "kube-prometheus-stack-operator" },
          { suffix: "kube-prometheus-operator" },
        ],
      },
      {
        // StatefulSets prometheus-<Prometheus CR name>[-shard-N], created by the operator.
        name: "prometheus",
        kinds: ["StatefulSet"],
        required: true,
        selectors: [{ [K8S_NAME]: "prometheus", [MANAGED_BY]: "prometheus-operator" }],
        names: [{ prefix: "prometheus" }],
      },
      {
        name: "alertmanager",
        kinds: ["StatefulSet"],
        required: false,
        selectors: [{ [K8S_NAME]: "alertmanager" }],
        names: [{ prefix: "alertmanager" }],
      },
      {
        name: "grafana",
        kinds: ["Deployment"],
        required: false,
        selectors: [{ [K8S_NAME]: "grafana" }],
        names: [{ exact: "grafana" }, { suffix: "grafana" }],
      },
    ],
  },
  istio: {
    type: "istio",
    defaultNamespace: "istio-system",
    components: [
      {
        // Any revision: istiod, istiod-1-22, ...
        name: "istiod",
        kinds: ["Deployment"],
        required: true,
        selectors: [{ app: "istiod" }, { istio: "pilot" }],
        names: [{ exact: "istiod" }, { prefix: "istiod" }],
      },
      gateway("ingress"),
      gateway("egress"),
    ],
  },
};

/** The tool table of one tool type. */
export function toolTable(type: ToolType): ToolTable {
  return TOOL_TABLES[type];
}

/** True when `name` has the shape `matcher` describes. */
export function nameMatches(matcher: NameMatcher, name: string): boolean {
  if ("exact" in matcher) return name === matcher.exact;
  if ("suffix" in matcher) {
    return name.length > matcher.suffix.length + 1 && name.endsWith(`-${matcher.suffix}`);
  }
  return name.length > matcher.prefix.length + 1 && name.startsWith(`${matcher.prefix}-`);
}

/**
 * True when judging `type` (with these overrides) needs EndpointSlices, so `gather` lists them only then
 * (Argo CD, or an override that adds or turns a component into kind Service).
 */
export function needsEndpoints(type: ToolType, overrides: readonly ComponentOverride[] = []): boolean {
  const byName = new Map(overrides.map((o) => [o.name, o]));
  const fromTable = TOOL_TABLES[type].components.some((c) => {
    const o = byName.get(c.name);
    if (o?.ignore) return false;
    return o?.kind ? o.kind === "Service" : c.kinds.includes("Service");
  });
  const known = new Set(TOOL_TABLES[type].components.map((c) => c.name));
  return fromTable || overrides.some((o) => !known.has(o.name) && !o.ignore && o.kind === "Service");
}
