/**
 * The hand-written half of docs/tools.md: what each tool and each component of the tool tables
 * (checks/tools.ts) is, and notes on the shapes of real installs. `scripts/docs.ts` renders them next to what
 * it reads from the tables themselves (kinds, required, selectors, names, discovery) and from the corpus of
 * real installs KSIT is tested on (tests/fixtures/corpus/index.ts); tests/docs_test.ts fails when a component
 * has no words here or the markdown lags behind.
 */
import type { ToolType } from "../../api/types.ts";

export interface ToolDoc {
  /** One paragraph (markdown) on what KSIT checks for the tool. */
  intro: string;
  /** What each component of the tool table is, by component name. */
  components: Record<string, string>;
  /** How real installs differ and what KSIT does about it. */
  notes: string[];
}

export const TOOL_DOCS: Record<ToolType, ToolDoc> = {
  argocd: {
    intro:
      "Argo CD works when its application controller reconciles, its repo server renders manifests and — " +
      "in installs with a UI — its API server serves behind the `argocd-server` Service.",
    components: {
      "argocd-server":
        "The API server, UI and `argocd` CLI endpoint. The core install has none: then it is " +
        "not required.",
      "argocd-repo-server": "Renders manifests from Git, Helm and Kustomize sources.",
      "argocd-application-controller":
        "Compares and syncs Applications (a StatefulSet; a Deployment in some " +
        "installs).",
      "argocd-server-endpoints": "The `argocd-server` Service has a ready endpoint: what users and the CLI " +
        "actually reach. Required wherever argocd-server is installed.",
      "argocd-redis-ha-haproxy": "HA installs only: every component reaches Redis through HAProxy, so when " +
        "it is there it is required.",
      "argocd-redis":
        "The cache (a Deployment, or the HA install's `redis-ha-server` StatefulSet). Argo CD " +
        "keeps working without it, slower.",
      "argocd-dex-server": "SSO through Dex.",
      "argocd-applicationset-controller": "Generates Applications from ApplicationSets.",
      "argocd-notifications-controller": "Sends notifications on Application events.",
      "argocd-commit-server": "The source hydrator's commit server (installs with the hydrator only).",
    },
    notes: [
      "install.yaml, the HA install, the core install and the argo-helm chart under any release name are " +
      "found by their `app.kubernetes.io/name` labels; argocd-operator and OpenShift GitOps (workloads " +
      "named `<ArgoCD name>-<component>`) by `app.kubernetes.io/component` + `app.kubernetes.io/part-of=argocd`.",
    ],
  },
  flux: {
    intro: "Flux works when its four default controllers run; the image automation controllers are optional.",
    components: {
      "source-controller": "Fetches Git repositories, Helm repositories, OCI artifacts and buckets.",
      "kustomize-controller": "Applies Kustomizations.",
      "helm-controller": "Installs and upgrades HelmReleases.",
      "notification-controller": "Receives webhooks and sends alerts.",
      "image-reflector-controller": "Scans image registries (`--components-extra`).",
      "image-automation-controller": "Writes new image tags back to Git (`--components-extra`).",
      "source-watcher": "Flux 2.7+ extra component (`--components-extra=source-watcher`).",
    },
    notes: [
      "`flux install` and `flux bootstrap` use the same names and labels in any namespace; a Flux outside " +
      "`flux-system` is found by `app.kubernetes.io/part-of=flux`.",
    ],
  },
  prometheus: {
    intro: "A Prometheus install works when prometheus-operator runs and every Prometheus (or Prometheus " +
      "agent) it manages is available; Alertmanager is optional, and so are the exporters and Grafana that " +
      "kube-prometheus-stack and kube-prometheus ship.",
    components: {
      "prometheus-operator": "Manages the Prometheus, Alertmanager and PrometheusAgent objects.",
      "prometheus":
        "Every Prometheus StatefulSet the operator made (`prometheus-<name>`, each shard), or a " +
        "Prometheus agent (`prom-agent-<name>`, a StatefulSet or, with `mode: DaemonSet`, a DaemonSet). " +
        "The worst of them counts.",
      "alertmanager": "Every Alertmanager StatefulSet the operator made.",
      "grafana": "Dashboards (kube-prometheus-stack, kube-prometheus).",
      "kube-state-metrics": "Metrics about Kubernetes objects.",
      "node-exporter": "Node metrics (a DaemonSet: one pod per node).",
      "windows-exporter": "Windows node metrics (kube-prometheus-stack with `windowsMonitoring.enabled`).",
      "blackbox-exporter": "Probes of endpoints (kube-prometheus).",
      "prometheus-adapter": "The resource and custom metrics API (kube-prometheus).",
    },
    notes: [
      "kube-prometheus-stack names its operator `<release>-kube-prometheus-stack-operator`, cut to " +
      "`<release>-kube-prome-operator` for long release names: its labels find it whatever the release name.",
      "Grafana, kube-state-metrics and the exporters alone do not make a Prometheus install (they also run " +
      'on their own): a namespace with only those is "not installed".',
    ],
  },
  istio: {
    intro:
      "Istio works when istiod (of any revision) runs; gateways are optional; in ambient mode ztunnel and " +
      "istio-cni are required where they are installed.",
    components: {
      "istiod": "The control plane, any revision (`istiod`, `istiod-1-22`, …): the worst revision counts.",
      "istio-ingressgateway": "The istioctl-style ingress gateway (`istio: ingressgateway`).",
      "istio-egressgateway": "The istioctl-style egress gateway (`istio: egressgateway`).",
      "istio-gateway":
        "Gateways of the `istio/gateway` Helm chart under any release name (labelled `istio: " +
        "<release without istio->`), one component for all of them.",
      "ztunnel": "Ambient mode's node proxy (a DaemonSet).",
      "istio-cni": "The CNI node agent (ambient mode, or sidecars without init containers).",
    },
    notes: [
      "Gateways and waypoints that istiod deploys for Gateway API resources (`gateway.istio.io/managed`) " +
      "belong to the applications that declare them and are not judged.",
      "`istio-ingress` is read too, where Istio's docs install the gateway chart (skipped when the RBAC does " +
      "not allow it); a gateway alone does not make an Istio install.",
    ],
  },
};
