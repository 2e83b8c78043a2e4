/**
 * The tool tables: which workloads make up Argo CD, Flux, Prometheus and Istio, how to find them, which are
 * required, where each tool lives by default and how to find it elsewhere. Written from the corpus of real
 * installs (tests/fixtures/corpus/: the upstream manifests and charts, newest releases and one older minor):
 * every workload of every corpus install is claimed by a component below or matched by an `ignored` rule
 * with its reason (checks/tools_corpus_test.ts enforces it).
 *
 * A component is found by label selector first (the installs' own labels), by name second (exact names,
 * Helm-release-prefixed forms, revision suffixes), so custom namespaces and release names work.
 */
import type { ComponentOverride, LabelSelector, ToolType, WorkloadKind } from "../api/types.ts";

/** How a workload name may look when labels did not find the component. */
export type NameMatcher =
  /** exactly this name */
  | { exact: string; kinds?: readonly WorkloadKind[] }
  /** `<anything>-<suffix>`: a Helm release prefix, e.g. suffix `argocd-server` matches `argo-argocd-server` */
  | { suffix: string; kinds?: readonly WorkloadKind[] }
  /** `<prefix>-<anything>`: e.g. prefix `istiod` matches `istiod-1-22` */
  | { prefix: string; kinds?: readonly WorkloadKind[] };

export interface ComponentRule {
  /** Component name, unique within the tool; overrides refer to it. */
  name: string;
  /** Accepted workload kinds; the first is reported when nothing matched. `Service` = its EndpointSlices. */
  kinds: readonly WorkloadKind[];
  /** Unhealthy or missing fails the cluster (see `requiredIfFound`). */
  required: boolean;
  /**
   * Required only when the component of this name (the component itself, or another) was found; otherwise
   * judged as optional. For parts that some real installs leave out: Argo CD core has no argocd-server,
   * only Argo CD with redis-ha has haproxy, only Istio ambient has ztunnel and istio-cni.
   */
  requiredIfFound?: string;
  /**
   * Finding this component means the tool is installed (default true). False for generic software a tool
   * ships but that also runs on its own (grafana, redis, exporters): alone they do not make an install.
   */
  identifies?: boolean;
  /**
   * Part of only some installs' shape (a mode, an extra controller, an exporter of one distribution): when it
   * is missing, the Running message does not list it under "optional not installed". Implied by
   * `requiredIfFound`.
   */
  quietIfMissing?: boolean;
  /**
   * Alternatives of one kind (Istio's gateways): when one member is found, the missing others are not listed
   * under "optional not installed".
   */
  group?: string;
  /** Alternative label selectors (any one matching is enough), tried first. */
  selectors: readonly LabelSelector[];
  /** Tried only when no selector matched anything. */
  names: readonly NameMatcher[];
  /** Broader selectors, tried with `names` (a Service labelled like several: the operator's `<cr>-server`). */
  fallbackSelectors?: readonly LabelSelector[];
}

/** A workload of the tool's namespaces that belongs to no component, on purpose. */
export interface IgnoredRule {
  kinds: readonly WorkloadKind[];
  selector: LabelSelector;
  /** Why it is not judged. */
  why: string;
}

/** One cluster-wide list that finds the tool outside its default namespaces. */
export interface DiscoveryRule {
  kind: "Deployment" | "StatefulSet" | "DaemonSet";
  /** A label selector in the API's string form. */
  labelSelector: string;
}

export interface ToolTable {
  type: ToolType;
  /** For messages: "Argo CD". */
  displayName: string;
  /**
   * Where the upstream installs put the tool. The first is the tool's own; the others are documented extras
   * (Istio's gateway chart in istio-ingress) that are read only when the RBAC allows it.
   */
  defaultNamespaces: readonly string[];
  /** Lists (one each) that find the tool in any namespace by its installs' labels. */
  discovery: readonly DiscoveryRule[];
  components: readonly ComponentRule[];
  ignored: readonly IgnoredRule[];
}

const K8S_NAME = "app.kubernetes.io/name";
const PART_OF = "app.kubernetes.io/part-of";
const COMPONENT = "app.kubernetes.io/component";
const MANAGED_BY = "app.kubernetes.io/managed-by";

/** A selector of exact labels. */
function labels(matchLabels: Record<string, string>): LabelSelector {
  return { matchLabels };
}

/**
 * Argo CD component named `argocd-<short>`, labelled `app.kubernetes.io/name: argocd-<short>` (install.yaml and
 * the chart), or `app.kubernetes.io/component: <short>` + `part-of: argocd` (also argocd-operator / OpenShift
 * GitOps, whose workloads are named `<ArgoCD name>-<short>`).
 */
function argo(short: string, kinds: readonly WorkloadKind[], required: boolean): ComponentRule {
  const name = `argocd-${short}`;
  return {
    name,
    kinds,
    required,
    selectors: [labels({ [K8S_NAME]: name }), labels({ [COMPONENT]: short, [PART_OF]: "argocd" })],
    names: [{ exact: name }, { suffix: name }],
  };
}

/** Flux controller (`flux install`, flux2 manifests/): same name in every install, labelled with it. */
function flux(name: string, required: boolean): ComponentRule {
  return {
    name,
    kinds: ["Deployment"],
    required,
    selectors: [labels({ [COMPONENT]: name, [PART_OF]: "flux" }), labels({ app: name })],
    names: [{ exact: name }, { suffix: name }],
  };
}

/**
 * The istioctl-style gateways (charts/gateways/istio-ingress|egress): `istio: <direction>gateway`. Gateways
 * do not identify an Istio install: a default namespace holding only a gateway (istio-ingress) while istiod
 * runs elsewhere must still lead to discovery of istiod.
 */
function gateway(direction: "ingress" | "egress"): ComponentRule {
  const name = `istio-${direction}gateway`;
  return {
    name,
    kinds: ["Deployment"],
    required: false,
    identifies: false,
    group: "gateway",
    selectors: [labels({ istio: `${direction}gateway` }), labels({ app: name })],
    names: [{ exact: name }, { suffix: `${direction}gateway` }],
  };
}

/** An optional exporter or add-on a Prometheus install ships, labelled `app.kubernetes.io/name: <label>`. */
function addOn(name: string, kind: WorkloadKind, k8sNames: string[], names: NameMatcher[]): ComponentRule {
  return {
    name,
    kinds: [kind],
    required: false,
    identifies: false,
    selectors: k8sNames.map((n) => labels({ [K8S_NAME]: n })),
    names,
  };
}

export const TOOL_TABLES: Readonly<Record<ToolType, ToolTable>> = {
  argocd: {
    type: "argocd",
    displayName: "Argo CD",
    defaultNamespaces: ["argocd"],
    // install.yaml, HA, core and the argo-helm chart all label their workloads part-of=argocd
    discovery: [{ kind: "Deployment", labelSelector: `${PART_OF}=argocd` }],
    components: [
      // absent from the core install (no API server, UI or dex)
      { ...argo("server", ["Deployment"], true), requiredIfFound: "argocd-server" },
      argo("repo-server", ["Deployment"], true),
      argo("application-controller", ["StatefulSet", "Deployment"], true),
      {
        name: "argocd-server-endpoints",
        kinds: ["Service"],
        required: true,
        requiredIfFound: "argocd-server",
        selectors: [labels({ [K8S_NAME]: "argocd-server" })],
        names: [{ exact: "argocd-server" }, { suffix: "argocd-server" }],
        // argocd-operator: <cr>-server (and <cr>-server-metrics, the same pods)
        fallbackSelectors: [labels({ [COMPONENT]: "server", [PART_OF]: "argocd" })],
      },
      {
        // HA only: every component reaches redis through haproxy (install: argocd-redis-ha-haproxy; chart's
        // redis-ha subchart: <release>-redis-ha-haproxy, labels app=redis-ha, component=haproxy). Before
        // argocd-redis, whose chart selector app=redis-ha would otherwise take it.
        name: "argocd-redis-ha-haproxy",
        kinds: ["Deployment"],
        required: true,
        requiredIfFound: "argocd-redis-ha-haproxy",
        identifies: false,
        selectors: [
          labels({ [K8S_NAME]: "argocd-redis-ha-haproxy" }),
          labels({ app: "redis-ha", component: "haproxy" }),
        ],
        names: [{ suffix: "redis-ha-haproxy" }],
      },
      {
        // argocd-redis Deployment, or the HA install's argocd-redis-ha-server StatefulSet (chart: <release>-redis-ha-server).
        name: "argocd-redis",
        kinds: ["Deployment", "StatefulSet"],
        required: false,
        identifies: false,
        selectors: [
          labels({ [K8S_NAME]: "argocd-redis" }),
          labels({ [K8S_NAME]: "argocd-redis-ha" }),
          labels({ app: "redis-ha" }),
        ],
        names: [{ exact: "argocd-redis" }, { suffix: "argocd-redis" }, { suffix: "redis-ha-server" }],
      },
      argo("dex-server", ["Deployment"], false),
      argo("applicationset-controller", ["Deployment"], false),
      argo("notifications-controller", ["Deployment"], false),
      // the source hydrator's (install-with-hydrator.yaml)
      { ...argo("commit-server", ["Deployment"], false), quietIfMissing: true },
    ],
    ignored: [],
  },
  flux: {
    type: "flux",
    displayName: "Flux",
    defaultNamespaces: ["flux-system"],
    discovery: [{ kind: "Deployment", labelSelector: `${PART_OF}=flux` }],
    components: [
      flux("source-controller", true),
      flux("kustomize-controller", true),
      flux("helm-controller", true),
      flux("notification-controller", true),
      flux("image-reflector-controller", false),
      flux("image-automation-controller", false),
      // --components-extra=source-watcher (flux2 manifests/install has it since v2.7)
      { ...flux("source-watcher", false), quietIfMissing: true },
    ],
    ignored: [],
  },
  prometheus: {
    type: "prometheus",
    displayName: "Prometheus",
    defaultNamespaces: ["monitoring"],
    discovery: [
      {
        kind: "Deployment",
        labelSelector: `${K8S_NAME} in (prometheus-operator,kube-prometheus-stack-prometheus-operator)`,
      },
      // the operator-made StatefulSets, which may live in other namespaces than the operator
      {
        kind: "StatefulSet",
        labelSelector: `${MANAGED_BY}=prometheus-operator,${K8S_NAME} in (prometheus,prometheus-agent)`,
      },
    ],
    components: [
      {
        // kube-prometheus-stack names it <fullname>-operator, fullname being "<release>-kube-prometheus-stack"
        // cut at 26 characters (release telemetry-stack: telemetry-stack-kube-prome-operator), so its labels
        // find it; kube-prometheus: prometheus-operator.
        name: "prometheus-operator",
        kinds: ["Deployment"],
        required: true,
        selectors: [
          labels({ app: "kube-prometheus-stack-operator" }),
          labels({ [K8S_NAME]: "kube-prometheus-stack-prometheus-operator" }),
          labels({ [K8S_NAME]: "prometheus-operator" }),
          // kube-prometheus-stack with nameOverride (app: <name>-operator)
          labels({ [COMPONENT]: "prometheus-operator" }),
        ],
        names: [
          { exact: "prometheus-operator" },
          { suffix: "kube-prometheus-stack-operator" },
          { suffix: "kube-prometheus-operator" },
        ],
      },
      {
        // StatefulSets prometheus-<Prometheus>[-shard-N], or in agent mode prom-agent-<PrometheusAgent>
        // (a DaemonSet with the agent's mode: DaemonSet), made by the operator with these labels.
        name: "prometheus",
        kinds: ["StatefulSet", "DaemonSet"],
        required: true,
        selectors: [
          labels({ [K8S_NAME]: "prometheus", [MANAGED_BY]: "prometheus-operator" }),
          labels({ [K8S_NAME]: "prometheus-agent", [MANAGED_BY]: "prometheus-operator" }),
        ],
        names: [{ prefix: "prometheus", kinds: ["StatefulSet"] }, { prefix: "prom-agent" }],
      },
      {
        name: "alertmanager",
        kinds: ["StatefulSet"],
        required: false,
        selectors: [labels({ [K8S_NAME]: "alertmanager" })],
        names: [{ prefix: "alertmanager" }],
      },
      addOn("grafana", "Deployment", ["grafana"], [{ exact: "grafana" }, { suffix: "grafana" }]),
      addOn("kube-state-metrics", "Deployment", ["kube-state-metrics"], [
        { exact: "kube-state-metrics" },
        { suffix: "kube-state-metrics" },
      ]),
      // kube-prometheus-stack: <release>-prometheus-node-exporter; kube-prometheus: node-exporter
      addOn("node-exporter", "DaemonSet", ["prometheus-node-exporter", "node-exporter"], [
        { exact: "node-exporter" },
        { suffix: "prometheus-node-exporter" },
      ]),
      // kube-prometheus-stack with windowsMonitoring.enabled
      {
        ...addOn("windows-exporter", "DaemonSet", ["prometheus-windows-exporter", "windows-exporter"], [
          { suffix: "prometheus-windows-exporter" },
        ]),
        quietIfMissing: true,
      },
      // kube-prometheus only
      {
        ...addOn("blackbox-exporter", "Deployment", ["blackbox-exporter"], [{ exact: "blackbox-exporter" }]),
        quietIfMissing: true,
      },
      {
        ...addOn("prometheus-adapter", "Deployment", ["prometheus-adapter"], [{
          exact: "prometheus-adapter",
        }]),
        quietIfMissing: true,
      },
    ],
    ignored: [],
  },
  istio: {
    type: "istio",
    displayName: "Istio",
    // istio-ingress: where Istio's docs install the gateway chart (`helm install istio-ingress istio/gateway
    // -n istio-ingress`)
    defaultNamespaces: ["istio-system", "istio-ingress"],
    discovery: [
      // istiod (istio=pilot) and every gateway carry the `istio` label; the ambient DaemonSets part-of=istio
      // (they count where istiod was found somewhere: GKE wants istio-cni in kube-system)
      { kind: "Deployment", labelSelector: "istio" },
      { kind: "DaemonSet", labelSelector: `${PART_OF}=istio` },
    ],
    components: [
      {
        // Any revision: istiod, istiod-1-22, ...
        name: "istiod",
        kinds: ["Deployment"],
        required: true,
        selectors: [labels({ app: "istiod" }), labels({ istio: "pilot" })],
        names: [{ exact: "istiod" }, { prefix: "istiod" }],
      },
      gateway("ingress"),
      gateway("egress"),
      {
        // The gateway chart (istio/gateway): a Deployment named after the release, labelled app=<release> and
        // istio=<release without "istio-">, so only the `istio` label says what it is. After the two above,
        // which take istio=ingressgateway|egressgateway; one component for any number of such gateways.
        name: "istio-gateway",
        kinds: ["Deployment"],
        required: false,
        identifies: false,
        quietIfMissing: true,
        group: "gateway",
        selectors: [{
          matchExpressions: [
            { key: "istio", operator: "Exists" },
            { key: "istio", operator: "NotIn", values: ["pilot"] },
            { key: "gateway.istio.io/managed", operator: "DoesNotExist" },
          ],
        }],
        names: [],
      },
      {
        // ambient mode (the ztunnel chart)
        name: "ztunnel",
        kinds: ["DaemonSet"],
        required: true,
        requiredIfFound: "ztunnel",
        identifies: false,
        selectors: [labels({ [K8S_NAME]: "ztunnel" }), labels({ app: "ztunnel" })],
        names: [{ exact: "ztunnel" }],
      },
      {
        // the istio-cni chart: ambient mode, or sidecars without init containers
        name: "istio-cni",
        kinds: ["DaemonSet"],
        required: true,
        requiredIfFound: "istio-cni",
        identifies: false,
        selectors: [labels({ "k8s-app": "istio-cni-node" }), labels({ [K8S_NAME]: "istio-cni" })],
        names: [{ exact: "istio-cni-node" }],
      },
    ],
    ignored: [
      {
        kinds: ["Deployment"],
        selector: { matchExpressions: [{ key: "gateway.istio.io/managed", operator: "Exists" }] },
        why:
          "gateways and waypoints istiod deploys for Gateway API resources belong to the applications that " +
          "declare them, not to the Istio install",
      },
    ],
  },
};

/** True when `name` has the shape `matcher` describes (kinds are checked by the caller). */
export function nameMatches(matcher: NameMatcher, name: string): boolean {
  if ("exact" in matcher) return name === matcher.exact;
  if ("suffix" in matcher) {
    return name.length > matcher.suffix.length + 1 && name.endsWith(`-${matcher.suffix}`);
  }
  return name.length > matcher.prefix.length + 1 && name.startsWith(`${matcher.prefix}-`);
}

/** The kinds judging `type` (with these overrides) may meet: what `gather` must list. */
function kindsNeeded(type: ToolType, overrides: readonly ComponentOverride[]): Set<WorkloadKind> {
  const byName = new Map(overrides.map((o) => [o.name, o]));
  const kinds = new Set<WorkloadKind>();
  for (const c of TOOL_TABLES[type].components) {
    const o = byName.get(c.name);
    if (o?.ignore) continue;
    for (const k of o?.kind ? [o.kind] : c.kinds) kinds.add(k);
  }
  const known = new Set(TOOL_TABLES[type].components.map((c) => c.name));
  for (const o of overrides) if (!known.has(o.name) && !o.ignore) kinds.add(o.kind ?? "Deployment");
  return kinds;
}

/**
 * True when judging `type` (with these overrides) needs EndpointSlices, so `gather` lists them only then
 * (Argo CD, or an override that adds or turns a component into kind Service).
 */
export function needsEndpoints(type: ToolType, overrides: readonly ComponentOverride[] = []): boolean {
  return kindsNeeded(type, overrides).has("Service");
}

/**
 * True when judging `type` (with these overrides) needs StatefulSets (Argo CD's application controller and
 * Redis HA, Prometheus and Alertmanager, or an override of kind StatefulSet), so `gather` and the caches list
 * and watch them only then: Flux and Istio have none, and a watch that can never matter costs memory and a
 * stream per target and namespace.
 */
export function needsStatefulSets(type: ToolType, overrides: readonly ComponentOverride[] = []): boolean {
  return kindsNeeded(type, overrides).has("StatefulSet");
}

/**
 * True when judging `type` (with these overrides) needs DaemonSets (Prometheus' node exporter, Istio's
 * ztunnel and istio-cni, or an override of kind DaemonSet), so `gather` and the caches list them only then.
 */
export function needsDaemonSets(type: ToolType, overrides: readonly ComponentOverride[] = []): boolean {
  return kindsNeeded(type, overrides).has("DaemonSet");
}
