/**
 * The hand-written half of docs/troubleshooting.md: for every reason, phase, status and exit code that KSIT
 * reports — what it means, the likely causes, the commands that confirm it and the fix — and the problems of
 * the controller itself. `scripts/docs.ts` renders them in the order of the code's own tables (api/schema.ts,
 * api/types.ts, checks/reasons.ts, cli/errors.ts); the `Record<…>` types make `deno task check` fail when a
 * table gains an entry that has no words here, and tests/docs_test.ts fails when the markdown lags behind.
 *
 * Commands use `ksit-system` for KSIT's namespace and these placeholders, which tests/quickstart_test.ts fills
 * in from the quickstart to run every command (`QUICKSTART_VALUES`): a command that cannot run there says why
 * (`skip`), one that confirms a problem the quickstart does not have gives its exit code there (`exit`).
 */
import type { ComponentHealth, Phase, TargetReason } from "../../api/types.ts";
import type { CLUSTER_REASONS, COMPONENT_REASONS, EventReason } from "../../checks/reasons.ts";
import type { ExitReason } from "../../cli/errors.ts";

/** A shell command of a "Confirm" list. */
export type Command = string | {
  sh: string;
  /** Why it cannot run on the quickstart (no controller pod there, a placeholder it has no value for, …). */
  skip?: string;
  /** Its exit code on the healthy quickstart, when not 0. */
  exit?: number;
};

export interface ReasonDoc {
  /** What it means: one short paragraph (markdown). */
  means: string;
  causes?: string[];
  confirm?: Command[];
  fix?: string[];
}

/** Placeholders of the commands, and what the quickstart test substitutes for them. */
export const QUICKSTART_VALUES: Record<string, string> = {
  "<integration>": "argocd",
  "<target>": "cluster-1",
  "<context>": "cluster-1",
  "<tool>": "argocd",
  "<tool-namespace>": "argocd",
  "<workload>": "argocd-repo-server",
  "<service>": "argocd-server",
  "<secret>": "cluster-1-kubeconfig",
  "<label>": "app.kubernetes.io/name=argocd-repo-server",
};

const NO_POD =
  "the quickstart runs serve as a local process (its log: .ksit/quickstart/serve.log), not a pod";
const SECURITY = "[Security model](../README.md#security-model)";
const TARGET_MESSAGE =
  `kubectl get integrationtarget <target> -n ksit-system -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}{"\\n"}'`;
const TARGET_LIST = "kubectl ksit target list -n ksit-system";
const STORED_KUBECONFIG =
  "kubectl get secret <secret> -n ksit-system -o jsonpath='{.data.kubeconfig}' | base64 -d > target.kubeconfig";
const DESCRIBE = "kubectl ksit describe <integration> -n ksit-system";
const CHECK = "kubectl ksit check --context <context> --type <tool> -o wide";
const PODS = "kubectl --context <context> -n <tool-namespace> get pods -l <label> -o wide";
const RE_ADD = "kubectl ksit target add <target> --context <context> --service-account -n ksit-system";

export const PHASE_DOCS: Record<Phase, ReasonDoc> = {
  Pending: {
    means: "The Integration selects no IntegrationTarget at all: `spec.targetSelector` matches none and " +
      "`spec.targetClusters` is empty (condition `Reconciling=True`). (An Integration with no `status` at " +
      "all has not been judged by a controller: see [Integrations never get a status](#controller-no-status).)",
    causes: [
      "`spec.targetSelector` matches no target: the labels are on another target, or in another namespace " +
      "(an Integration selects only the IntegrationTargets of its own namespace).",
    ],
    confirm: [
      "kubectl get integration <integration> -n ksit-system -o jsonpath='{.spec.targetSelector}{\"\\n\"}'",
      "kubectl get integrationtargets -n ksit-system --show-labels",
      "kubectl get integrationtargets -n ksit-system -o custom-columns=NAME:.metadata.name,LABELS:.spec.labels",
    ],
    fix: [
      "Give the targets the labels the selector asks for (`kubectl ksit target add <target> --context <context> " +
      "--label env=prod`, or `kubectl label integrationtarget <target> env=prod -n ksit-system`), or name " +
      "them in `spec.targetClusters`.",
    ],
  },
  Running: {
    means: "Every required component is healthy on every cluster where the tool is installed (condition " +
      "reason `AllHealthy`). Optional components that are not installed are listed in the message and do " +
      "not count against it.",
  },
  Degraded: {
    means: "Every required component serves, but something is not at full strength: a required component " +
      "has fewer replicas available than desired or is rolling out, or an optional one is unhealthy " +
      "(condition reason `ComponentsDegraded`, `Degraded=True`). The message names the worst cluster and " +
      "component.",
    causes: ["See the cluster's reason in `describe`, and that reason's section below."],
    confirm: [DESCRIBE, "kubectl get integration <integration> -n ksit-system -o yaml"],
    fix: ["Follow the component's reason ([component reasons](#component-reasons))."],
  },
  Failed: {
    means: "A required component is missing or unavailable on at least one cluster (condition reason " +
      "`ComponentsFailed`, `Degraded=True` and `Stalled=True`). The tool does not work there.",
    causes: ["See the cluster's reason in `describe`, and that reason's section below."],
    confirm: [
      DESCRIBE,
      "kubectl ksit status -n ksit-system --exit-code",
    ],
    fix: ["Follow the component's reason ([component reasons](#component-reasons))."],
  },
  Unknown: {
    means: "No failure was seen, but at least one cluster could not be checked (condition reason " +
      "`ClustersUnreachable`, `Ready=Unknown`). KSIT never keeps the last good verdict of a cluster it cannot " +
      "read.",
    causes: [
      "The cluster's IntegrationTarget is not Ready: its reason is the cluster's reason " +
      "([target reasons](#integrationtarget-reasons)).",
      "`spec.targetClusters` names a cluster no target has ([`TargetNotFound`](#cluster-targetnotfound)).",
      "The workloads could not be read (`Forbidden`, `Unauthorized`, `ClusterUnreachable` with the failing " +
      "namespace in the message).",
    ],
    confirm: [DESCRIBE, TARGET_LIST],
    fix: ["Follow the cluster's reason."],
  },
  Disabled: {
    means: "`spec.enabled` is `false`: the Integration is not checked and no cluster is contacted for it " +
      "(condition reason `Disabled`).",
    confirm: ["kubectl get integration <integration> -n ksit-system -o jsonpath='{.spec.enabled}{\"\\n\"}'"],
    fix: [
      '`kubectl patch integration <integration> -n ksit-system --type merge -p \'{"spec":{"enabled":true}}\'`',
    ],
  },
  NotInstalled: {
    means:
      "The tool is on none of the Integration's clusters (condition reason `ToolNotInstalled`). A cluster " +
      "without the tool is never `Failed`: it is left out of HEALTHY and counted in `summary.notInstalled`.",
    causes: ["See [`ToolNotInstalled`](#cluster-toolnotinstalled)."],
    confirm: [CHECK],
    fix: ["See [`ToolNotInstalled`](#cluster-toolnotinstalled)."],
  },
};

export const COMPONENT_STATUS_DOCS: Record<ComponentHealth, ReasonDoc> = {
  Healthy: { means: "Every desired replica (or node, for a DaemonSet) is available and rolled out." },
  Degraded: {
    means: "It serves, but not fully: some replicas unavailable, or a rollout in progress. A required " +
      "component that is Degraded makes the cluster Degraded, never Failed.",
  },
  Unhealthy: {
    means: "It does not serve: nothing available, scaled to zero, being deleted, stalled or past its " +
      "progress deadline. Required: the cluster is Failed; optional: Degraded.",
  },
  Missing: {
    means:
      "No workload matched the component (reason `NotFound`, or `NoEndpoints` for a Service). Required: " +
      'the cluster is Failed; optional: it is listed as "optional not installed" and the cluster stays ' +
      "Running.",
  },
};

export const COMPONENT_REASON_DOCS: Record<keyof typeof COMPONENT_REASONS, ReasonDoc> = {
  Available: {
    means:
      "Healthy: every desired replica (DaemonSet: every scheduled node) is available and on the newest " +
      "spec.",
  },
  EndpointsReady: { means: "Healthy: the Service has at least one ready endpoint in its EndpointSlices." },
  RolloutInProgress: {
    means:
      "Degraded: the workload serves but is not on its newest spec yet — the controller has not observed " +
      "the new generation, not every replica is updated, surge or old pods are still there, or the updated " +
      "pods are not available. Normal for a few seconds during every rollout.",
    causes: [
      "A rollout that is still running.",
      "A stuck rollout: the new pods cannot pull their image (`ImagePullBackOff`), crash (`CrashLoopBackOff`), " +
      "are not scheduled (`Pending`), or fail their readiness probe, while the old pods still serve. A " +
      "Deployment then becomes [`ProgressDeadlineExceeded`](#component-progressdeadlineexceeded) after its " +
      "`progressDeadlineSeconds` (600 s by default).",
    ],
    confirm: [
      "kubectl --context <context> -n <tool-namespace> rollout status deployment/<workload> --timeout=10s",
      PODS,
    ],
    fix: [
      "Wait, if it is a rollout that progresses.",
      "Otherwise fix what the new pods report (`kubectl describe pod`), or go back: " +
      "`kubectl --context <context> -n <tool-namespace> rollout undo deployment/<workload>`.",
    ],
  },
  PartiallyAvailable: {
    means: "Degraded: some but not all desired replicas are available (or ready, created, scheduled).",
    causes: [
      "Pods crashing or failing readiness probes.",
      "A node that is NotReady or gone (its pods are not ready until they are replaced).",
      "Not enough CPU or memory to schedule every replica; a DaemonSet whose pods do not start on some nodes.",
    ],
    confirm: [
      PODS,
      "kubectl --context <context> get nodes",
    ],
    fix: ["Fix the pods or nodes that are not ready; the verdict follows within about a second."],
  },
  Stalled: {
    means:
      "Unhealthy: the workload has the condition `Stalled=True` (kstatus' generic failure condition, set " +
      "by some controllers and operators).",
    confirm: [
      "kubectl --context <context> -n <tool-namespace> get deployment <workload> -o jsonpath='{.status.conditions}{\"\\n\"}'",
    ],
    fix: ["Act on the condition's message; the controller that set it clears it."],
  },
  Terminating: {
    means: "Unhealthy: the workload is being deleted (`metadata.deletionTimestamp` is set).",
    causes: ["An uninstall in progress; a finalizer that does not finish."],
    confirm: [
      "kubectl --context <context> -n <tool-namespace> get deployment <workload> -o jsonpath='{.metadata.deletionTimestamp} {.metadata.finalizers}{\"\\n\"}'",
    ],
    fix: ["Reinstall the tool when the deletion is done, or remove the finalizer that blocks it."],
  },
  NotObserved: {
    means:
      "Unhealthy: a DaemonSet has no `status.desiredNumberScheduled` — its controller has not acted on it.",
    causes: ["It was just created; kube-controller-manager is not running on that cluster."],
    confirm: ["kubectl --context <context> -n <tool-namespace> get daemonsets -o wide"],
    fix: ["Check the cluster's kube-controller-manager."],
  },
  NotAvailable: {
    means: "Degraded: a Deployment's condition `Available` is not `True` although its counters look fine " +
      "(e.g. during `minReadySeconds`).",
    confirm: [
      "kubectl --context <context> -n <tool-namespace> get deployment <workload> -o jsonpath='{.status.conditions}{\"\\n\"}'",
    ],
    fix: ["Usually passes by itself; otherwise read the condition's reason and message."],
  },
  ProgressDeadlineExceeded: {
    means: "Unhealthy: the Deployment controller gave up on a rollout — condition `Progressing=False` with " +
      "reason `ProgressDeadlineExceeded`, after `spec.progressDeadlineSeconds` without progress. Old pods may " +
      "still serve, but the rollout is stuck (the quickstart's break demo ends here).",
    causes: [
      "New pods that never become ready: an image tag that does not exist, a crash at start-up, a failing " +
      "readiness probe, a quota, or no room on the nodes.",
    ],
    confirm: [
      "kubectl --context <context> -n <tool-namespace> rollout status deployment/<workload> --timeout=10s",
      PODS,
    ],
    fix: [
      "Fix the new pods and roll out again, or go back: " +
      "`kubectl --context <context> -n <tool-namespace> rollout undo deployment/<workload>`.",
    ],
  },
  NoReplicasAvailable: {
    means:
      "Unhealthy: replicas are desired but none is available — nothing serves, even if a rollout is in " +
      "progress.",
    causes: [
      "Every pod crash-looping, failing readiness, or not pulling its image.",
      "No node can run the pods (all NotReady, taints, resources).",
    ],
    confirm: [PODS, "kubectl --context <context> -n <tool-namespace> describe deployment <workload>"],
    fix: ["Fix the pods; roll back a bad rollout (`kubectl rollout undo`)."],
  },
  ScaledToZero: {
    means: "Unhealthy: `spec.replicas` is 0.",
    causes: ["Someone or something scaled it down: `kubectl scale`, a GitOps sync, a cost-saving job."],
    confirm: [
      "kubectl --context <context> -n <tool-namespace> get deployment <workload> -o jsonpath='{.spec.replicas}{\"\\n\"}'",
    ],
    fix: [
      "`kubectl --context <context> -n <tool-namespace> scale deployment/<workload> --replicas=1`.",
      "If it is meant to be off, say so in the Integration: `spec.config.components` with `required: false` " +
      "or `ignore: true` for that component ([overriding a component](tools.md#overriding-a-component)).",
    ],
  },
  NoReadyEndpoints: {
    means: "Unhealthy: the Service has EndpointSlices but no ready endpoint — no pod behind it can take " +
      "traffic.",
    causes: ["The pods behind the Service are not ready; the Service's selector matches no running pod."],
    confirm: [
      "kubectl --context <context> -n <tool-namespace> get endpointslices -l kubernetes.io/service-name=<service> -o wide",
    ],
    fix: ["Fix the pods the Service selects (see the Deployment's own reason)."],
  },
  NoEndpoints: {
    means: "Missing: the Service has no EndpointSlice at all.",
    causes: [
      "The Service does not exist under that name; it has no selector; the EndpointSlice controller " +
      "(kube-controller-manager) is not running.",
    ],
    confirm: [
      "kubectl --context <context> -n <tool-namespace> get service <service>",
      "kubectl --context <context> -n <tool-namespace> get endpointslices -l kubernetes.io/service-name=<service>",
    ],
    fix: [
      "Restore the Service, or point the component at the right one ([overrides](tools.md#overriding-a-component)).",
    ],
  },
  NotFound: {
    means: "Missing: no workload matched the component's labels or names in the namespaces KSIT read.",
    causes: [
      'The component is not installed (for an optional one that is fine: "optional not installed").',
      "It is installed under labels and a name KSIT does not recognise, or in a namespace KSIT does not read.",
      "The credentials may read only some namespaces (a namespaced Role): KSIT reads exactly those.",
    ],
    confirm: [
      CHECK,
      "kubectl --context <context> get deployments,statefulsets,daemonsets -A -l app.kubernetes.io/part-of=<tool>",
    ],
    fix: [
      "Name the namespaces in `spec.config.namespaces` ([custom namespace](tools.md#a-custom-namespace)).",
      "Tell KSIT the workload's name or labels, or make the component optional or ignored " +
      "([overriding a component](tools.md#overriding-a-component)); [tools.md](tools.md) lists how each " +
      "component is found.",
    ],
  },
};

export const CLUSTER_REASON_DOCS: Record<keyof typeof CLUSTER_REASONS, ReasonDoc> = {
  RequiredComponentsHealthy: {
    means: "Running: every required component is healthy. The message counts them and lists optional " +
      "components that are not installed.",
  },
  RequiredComponentMissing: {
    means: "Failed: a required component was not found ([`NotFound`](#component-notfound)) while other " +
      "components of the tool were.",
    confirm: [DESCRIBE, CHECK],
    fix: ["See [`NotFound`](#component-notfound)."],
  },
  RequiredComponentUnavailable: {
    means: "Failed: a required component is Unhealthy (nothing available, scaled to zero, stuck rollout, …).",
    confirm: [DESCRIBE],
    fix: ["Follow the component's own reason (shown by `describe`)."],
  },
  RequiredComponentDegraded: {
    means: "Degraded: a required component serves with fewer replicas than desired or is rolling out.",
    confirm: [DESCRIBE],
    fix: ["Follow the component's own reason (shown by `describe`)."],
  },
  OptionalComponentUnavailable: {
    means: "Degraded: an optional component (e.g. Argo CD's dex-server, Prometheus' Alertmanager) is " +
      "installed but Unhealthy. The tool's core still works.",
    confirm: [DESCRIBE],
    fix: [
      "Follow the component's own reason, or make KSIT ignore a component you do not care about " +
      "([overriding a component](tools.md#overriding-a-component)).",
    ],
  },
  OptionalComponentDegraded: {
    means: "Degraded: an optional component serves with fewer replicas than desired or is rolling out.",
    confirm: [DESCRIBE],
    fix: ["Follow the component's own reason."],
  },
  NoComponents: {
    means:
      "Running: every component is ignored by `spec.config.components` (`ignore: true`), so nothing is " +
      "checked.",
    confirm: [
      "kubectl get integration <integration> -n ksit-system -o jsonpath='{.spec.config.components}{\"\\n\"}'",
    ],
    fix: ["Remove the `ignore: true` overrides that should not be there."],
  },
  ToolNotInstalled: {
    means:
      "NotInstalled: nothing that identifies the tool was found on the cluster. The message says where " +
      "KSIT looked, whether it searched other namespaces by the installs' labels, and — when the credentials " +
      "may not list cluster-wide — how to let it.",
    causes: [
      "The tool is not installed there (then the Integration's selector may be too wide).",
      "It is in another namespace and the credentials may only read some namespaces (discovery refused).",
      "`spec.config.namespace(s)` is set to the wrong namespace (no discovery then).",
      "It is installed without the labels of the upstream installs.",
    ],
    confirm: [
      CHECK,
      "kubectl --context <context> get deployments -A -l app.kubernetes.io/part-of=<tool>",
    ],
    fix: [
      "Set `spec.config.namespace` ([custom namespace](tools.md#a-custom-namespace)), or grant cluster-wide " +
      "list with the ClusterRole of `deploy/workload-rbac/` (what `target add --service-account` applies).",
      "Narrow `spec.targetSelector` / `spec.targetClusters` to the clusters that have the tool.",
    ],
  },
  TargetNotFound: {
    means: "Unknown: `spec.targetClusters` names a cluster that no IntegrationTarget in the Integration's " +
      "namespace has (neither as `spec.clusterName` nor as its name).",
    causes: ["A typo; the target is in another namespace; it was never added or was deleted."],
    confirm: [
      TARGET_LIST,
      "kubectl get integration <integration> -n ksit-system -o jsonpath='{.spec.targetClusters}{\"\\n\"}'",
    ],
    fix: [`Register the cluster (\`${RE_ADD}\`) or correct the name.`],
  },
  NotJudged: {
    means: "Unknown: the target is selected, but no `serve` replica has written its verdict for the " +
      "Integration's current generation (the IntegrationTarget's `status.results`) within 2 minutes. The " +
      "replica that owns the target (`status.judgedBy`) is down, cannot reach the control plane, or is stuck.",
    causes: [
      "With several replicas: the owner died and its Lease has not expired yet, or no replica is running.",
      "The controller cannot write IntegrationTarget status (RBAC, API server errors).",
    ],
    confirm: [
      `${TARGET_LIST} -o wide`,
      "kubectl get leases -n ksit-system -l ksit.io/replica-of",
      {
        sh: "kubectl logs -n ksit-system deploy/ksit --all-containers --prefix | grep -i 'target'",
        skip: NO_POD,
      },
    ],
    fix: [
      "Bring the controller's replicas back (`kubectl get pods -n ksit-system`); the others take the target " +
      "over within the lease duration, and the next check writes its result.",
    ],
  },
};

export const TARGET_REASON_DOCS: Record<TargetReason, ReasonDoc> = {
  Connected: {
    means: "Ready: the stored kubeconfig works and the server answers `GET /version` like Kubernetes. A " +
      "warning follows in the message when `insecure-skip-tls-verify` is set.",
  },
  SecretNotFound: {
    means:
      "The target's credential Secret (`spec.kubeconfigSecretRef`, default `<clusterName>-kubeconfig`, " +
      "key `kubeconfig`, in the target's namespace) is not there — or it is, but without the labels " +
      "`serve --secret-selector` (chart `secrets.labelSelector`) asks for, or in a namespace `serve` does not " +
      "read Secrets of (a Secret of another namespace is read only where an inventory source is: " +
      "`--inventory` / `--credentials-from`, chart `inventories`). The message says which and what to do.",
    causes: [
      "The target was created by hand without its Secret, or the Secret was deleted.",
      "A selector is set and the Secret lacks its label (`kubectl ksit target add` sets " +
      "`ksit.io/kubeconfig=true`).",
      "A Cluster API cluster whose control plane is not up yet: Cluster API writes `<cluster>-kubeconfig` " +
      "then.",
      "A ClusterProfile target whose token Secret (KEP-5339's secret reader convention: a Secret named after " +
      "the cluster in KSIT's namespace, key `token`) was never stored.",
      "A target imported with `kubectl ksit target import --from argocd` (or capi) while `serve` runs without " +
      "`--credentials-from <source>=<namespace>`.",
    ],
    confirm: [
      TARGET_MESSAGE,
      "kubectl get secret <secret> -n ksit-system --show-labels",
      {
        sh:
          "kubectl get deployment ksit -n ksit-system -o jsonpath='{.spec.template.spec.containers[0].args}{\"\\n\"}'",
        skip: "the quickstart runs serve as a local process, not a Deployment",
      },
    ],
    fix: [
      `Store it again: \`${RE_ADD}\`.`,
      "Or label a Secret you made yourself: `kubectl label secret <secret> -n ksit-system " +
      "ksit.io/kubeconfig=true`.",
    ],
  },
  InvalidKubeconfig: {
    means:
      "The Secret's value is not usable credentials: the key is missing, it is not base64 UTF-8 text or " +
      "YAML, it is larger than 256 KiB or nested deeper than 32 levels, it has no context or its context names " +
      "no cluster, or the server is not an http(s) URL; for an Argo CD cluster Secret, `server` or `config` " +
      "is missing, `config` is not JSON or a field has the wrong type, or it is Argo CD's in-cluster entry " +
      "without credentials of its own; for a token, it is empty or not one token. The message names the " +
      "Secret and field.",
    confirm: [
      TARGET_MESSAGE,
      STORED_KUBECONFIG,
      "kubectl --kubeconfig target.kubeconfig config view --minify",
    ],
    fix: [
      `Store one minified, self-contained context: \`${RE_ADD}\` (or \`kubectl config view --minify --flatten ` +
      "--context <context>` into the Secret).",
    ],
  },
  ExecAuthNotAllowed: {
    means:
      "The kubeconfig authenticates with an `exec` plugin or an `auth-provider` (an Argo CD cluster Secret: " +
      "`execProviderConfig` or `awsAuthConfig`), which `serve` refuses " +
      `unless started with \`--allow-exec-auth\` (chart \`serve.allowExecAuth\`): running a plugin named by a ` +
      `Secret runs code chosen by whoever can write Secrets. See ${SECURITY}.`,
    causes: [
      "A cloud kubeconfig (EKS, GKE, AKS, OIDC login) stored as it is.",
      "An Argo CD cluster registered with IRSA / Pod Identity (`awsAuthConfig` runs Argo CD's own " +
      "`argocd-k8s-auth`, which KSIT's image does not ship) or an exec plugin.",
    ],
    confirm: [TARGET_MESSAGE],
    fix: [
      `Store a token of a read-only ServiceAccount instead: \`${RE_ADD}\`.`,
      "Only if you trust everyone who can write Secrets in the namespace, and the plugin exists in the " +
      "controller's image: `helm upgrade ksit deploy/helm/ksit -n ksit-system --reuse-values --set " +
      "serve.allowExecAuth=true`.",
    ],
  },
  FileReferenceNotAllowed: {
    means: "The kubeconfig refers to a file (`certificate-authority`, `client-certificate`, `client-key`, " +
      "`tokenFile`, …). A kubeconfig in a Secret must be self-contained: the controller never reads files " +
      `named by a Secret. See ${SECURITY}.`,
    confirm: [TARGET_MESSAGE],
    fix: [
      "`kubectl ksit target add <target> --context <context> -n ksit-system` inlines your files into the " +
      `Secret (or store a token of a read-only ServiceAccount instead: \`${RE_ADD}\`).`,
      "By hand: store the output of `kubectl config view --minify --flatten --context <context>`.",
    ],
  },
  ClusterProfileNotFound: {
    means:
      "`spec.clusterProfileRef` names a ClusterProfile (multicluster.x-k8s.io) that `serve` does not see: it " +
      "is gone (its target goes with it at the next inventory pass), the name is wrong, or `serve` reads no " +
      "ClusterProfiles in its namespace (`--inventory clusterprofile=<namespace>` or `--credentials-from " +
      "clusterprofile=<namespace>`, chart `inventories.clusterProfiles`).",
    confirm: [
      TARGET_MESSAGE,
      {
        sh: "kubectl get clusterprofiles.multicluster.x-k8s.io -A",
        skip: "the quickstart has no ClusterProfile CRD",
      },
    ],
    fix: [
      "Point `serve` at the profiles' namespace: `helm upgrade ksit deploy/helm/ksit -n ksit-system " +
      "--reuse-values --set inventories.clusterProfiles.enabled=true --set " +
      "'inventories.clusterProfiles.namespaces={fleet}'`.",
    ],
  },
  InvalidClusterProfile: {
    means: "The ClusterProfile gives no server KSIT can use: it has no `status.accessProviders` (nor the " +
      "deprecated `credentialProviders`) yet, not the access provider the target names, or that provider has " +
      "no `cluster.server`. KSIT takes the server, CA and TLS settings from the access provider and the " +
      "credential from a Secret (README, [Already using Argo CD, Cluster API or ClusterProfiles?]" +
      "(../README.md#already-using-argo-cd-cluster-api-or-clusterprofiles)).",
    causes: ["The cluster manager has not published the cluster's access yet, or removed it."],
    confirm: [
      {
        sh:
          "kubectl get clusterprofile <target> -n <namespace> -o jsonpath='{.status.accessProviders}{\"\\n\"}'",
        skip: "the quickstart has no ClusterProfile CRD",
      },
    ],
    fix: ["Ask the cluster manager (OCM, the fleet tool) to publish the cluster's access providers."],
  },
  PlaintextCredentials: {
    means:
      "The server is a plain `http://` URL and the kubeconfig has credentials: KSIT never sends them in " +
      `cleartext. See ${SECURITY}.`,
    confirm: [TARGET_MESSAGE],
    fix: [
      "Use the API server's `https://` address with its CA (`certificate-authority-data`); `target add " +
      "--server https://…` stores a different address than your kubeconfig's.",
    ],
  },
  ServerNotAllowed: {
    means: "The server address is one the controller may not contact: link-local addresses (the cloud " +
      "metadata service) always, loopback and unspecified addresses when `serve` runs in a pod, anything " +
      "outside `--allowed-servers` when that is set, and anything in `--denied-servers`. Host names are " +
      `resolved and every address must pass; the check is repeated every minute. See ${SECURITY}.`,
    causes: [
      "A kubeconfig made for your laptop (`https://127.0.0.1:…`, kind, minikube) stored for an in-cluster " +
      "controller.",
      "`serve.allowedServers` in the chart does not include the cluster's address.",
    ],
    confirm: [
      TARGET_MESSAGE,
      STORED_KUBECONFIG,
      "kubectl --kubeconfig target.kubeconfig config view --minify -o jsonpath='{.clusters[0].cluster.server}{\"\\n\"}'",
    ],
    fix: [
      "Store an address the controller may reach: `kubectl ksit target add <target> --context <context> " +
      "--service-account --server https://<address>` (an address the controller reaches).",
      "Or allow it, as the message says: `helm upgrade ksit deploy/helm/ksit -n ksit-system --reuse-values " +
      "--set 'serve.allowedServers={10.0.0.0/8}'`.",
    ],
  },
  NotKubernetes: {
    means: "Something answers at the server address, but `GET /version` does not answer like a Kubernetes " +
      "API server (an HTML page, a redirect, another service's port). KSIT reports this in its own words and " +
      "never quotes the body.",
    confirm: [STORED_KUBECONFIG, "kubectl --kubeconfig target.kubeconfig get --raw /version"],
    fix: ["Store the API server's own address (`target add --server https://…`)."],
  },
  ClusterUnreachable: {
    means:
      'The API server cannot be reached from the controller: connection refused, DNS, TLS ("certificate ' +
      'signed by an unknown authority"), or no answer in time; also while a new target is not checked yet. ' +
      "For a cluster of an Integration, also a watch or list of its workloads that kept failing.",
    causes: [
      "The cluster is down, or its address is reachable from your machine but not from the controller's " +
      "network (private endpoint, firewall, VPN).",
      "The CA in the kubeconfig does not match the server's certificate.",
    ],
    confirm: [
      TARGET_MESSAGE,
      "kubectl --context <context> get --raw /version",
      {
        sh: "kubectl run ksit-probe -n ksit-system --rm -i --restart=Never --image=curlimages/curl -- " +
          "curl -sk <server>/version",
        skip: "starts a pod on the control plane (the quickstart's control plane has no nodes)",
      },
    ],
    fix: [
      "Make the address reachable from the controller, or store one that is (`target add --server`).",
      `Re-store a kubeconfig with the right CA: \`${RE_ADD}\`.`,
    ],
  },
  ClusterNotReady: {
    means: "The API server answers but cannot serve reads: its `/readyz` fails (typically etcd down or " +
      "overloaded) or does not finish in time. KSIT notices within about 15 s through the API server's " +
      'heartbeat Leases. See [Security model](../README.md#security-model) ("A cluster that cannot serve ' +
      'reads is never healthy").',
    confirm: ["kubectl --context <context> get --raw '/readyz?verbose'"],
    fix: ["Repair the workload cluster's control plane (etcd first)."],
  },
  Unauthorized: {
    means: "The API server rejected the stored credentials (HTTP 401).",
    causes: [
      "The ServiceAccount token expired (`target add --service-account` mints one for `--token-duration`, " +
      "8760h by default) or its ServiceAccount was deleted.",
      "A client certificate expired or was revoked.",
    ],
    confirm: [STORED_KUBECONFIG, "kubectl --kubeconfig target.kubeconfig auth whoami"],
    fix: [`Renew: \`${RE_ADD}\`.`],
  },
  Forbidden: {
    means:
      "The credentials are valid but may not do what KSIT needs (HTTP 403): read `/version`, or list and " +
      "watch the tool's workloads (then the message names the namespace and what to grant).",
    causes: [
      "The workload-cluster RBAC of `deploy/workload-rbac/` is missing, or only namespaced Roles were granted " +
      "and the tool is in another namespace.",
    ],
    confirm: [
      "kubectl --context <context> auth can-i list deployments -n <tool-namespace> " +
      "--as=system:serviceaccount:ksit-system:ksit-reader",
    ],
    fix: [`Apply the read-only RBAC again: \`${RE_ADD}\` (or \`kubectl apply -f deploy/workload-rbac/\`).`],
  },
};

export const EVENT_REASON_DOCS: Record<EventReason, ReasonDoc> = {
  Failed: {
    means:
      "Warning: the Integration's phase became [`Failed`](#phase-failed); the message is the Integration's " +
      "message.",
  },
  Degraded: { means: "Warning: the phase became [`Degraded`](#phase-degraded)." },
  Unknown: { means: "Warning: the phase became [`Unknown`](#phase-unknown)." },
  NotInstalled: { means: "Normal: the phase became [`NotInstalled`](#phase-notinstalled)." },
  Recovered: {
    means:
      "Normal: the phase went back to `Running` from Failed, Degraded or Unknown. (The first judgement of " +
      "a healthy Integration records no Event.)",
  },
  InventoryNameClash: {
    means:
      "Warning, on an IntegrationTarget: an inventory entry (a Cluster API Cluster, an Argo CD cluster " +
      "Secret, a ClusterProfile) asks for this target's name. A hand-written (or imported) target wins and is " +
      "never touched; between two entries, the first by source (capi, argocd, clusterprofile) and then by " +
      "namespace/name wins. The entry that lost gets no target (so Integrations do not judge that cluster); " +
      'the gauge `ksit_inventory_targets{state="clash"}` counts such entries. Recorded once when the clash ' +
      "starts.",
    confirm: [
      "kubectl get events -n ksit-system --field-selector reason=InventoryNameClash",
      "kubectl get integrationtargets -n ksit-system -L ksit.io/source",
    ],
    fix: [
      "Rename one of the clusters in its inventory, or delete the hand-written target to let the inventory " +
      "maintain it (`kubectl delete integrationtarget <target> -n ksit-system`).",
    ],
  },
  StatusWriteFailed: {
    means: "Warning: the API server refused the Integration's status (too large, or invalid): KSIT wrote a " +
      "summary without per-cluster details instead (`status.clustersOmitted` counts them).",
    confirm: [
      "kubectl get events -n ksit-system --field-selector reason=StatusWriteFailed",
    ],
    fix: ["`kubectl ksit check` shows every cluster; report the Event's message as a bug."],
  },
};

export const EXIT_DOCS: Record<ExitReason, ReasonDoc> = {
  Ok: { means: "Success; for `status --exit-code` and `check`: everything Running." },
  Error: {
    means: "An unexpected error: a bug, or an API error without a better code.",
    confirm: ["kubectl ksit status -n ksit-system --debug"],
    fix: ["Run the command again with `--debug` and report the stack trace."],
  },
  Usage: {
    means: "A usage error: unknown command or flag, or a bad flag value. The line above says which.",
    confirm: ["kubectl ksit status --help"],
    fix: ["Correct the command line; `kubectl ksit <command> --help` lists the flags."],
  },
  NotHealthy: {
    means: "`status --exit-code` or `check`: something is not Running (for `check`, a tool that is not " +
      "installed counts only when named with `--type`).",
    confirm: ["kubectl ksit status -n ksit-system"],
    fix: ["See the phase's section above."],
  },
  NoKubeconfig: {
    means:
      "No kubeconfig was found (`--kubeconfig`, `$KUBECONFIG`, `~/.kube/config`), or it cannot be parsed.",
    confirm: ["kubectl config view --minify"],
    fix: ["Point `--kubeconfig` or `KUBECONFIG` at a valid file."],
  },
  UnknownContext: {
    means: "The context named by `--context` (or the current context) is not in the kubeconfig.",
    confirm: ["kubectl config get-contexts"],
    fix: ["Use a name from the list."],
  },
  Unreachable: {
    means: "The API server of the context cannot be reached: connection refused, DNS, TLS or timeout.",
    confirm: ["kubectl get --raw /version"],
    fix: ["Check the server address, the network (VPN) and the CA; `--debug` prints the underlying error."],
  },
  CrdsNotInstalled: {
    means: "The KSIT CRDs are not installed on the control-plane cluster of the context.",
    confirm: ["kubectl get crd integrations.ksit.io integrationtargets.ksit.io"],
    fix: [
      "Install KSIT: `helm install ksit deploy/helm/ksit -n ksit-system --create-namespace` (the CRDs only: " +
      "`kubectl apply -f deploy/crds/`). Or point at the control plane with `--context`.",
    ],
  },
  Forbidden: {
    means: "The API server refused the credentials (401) or the action (403), or an exec credential plugin " +
      "of your kubeconfig failed.",
    confirm: ["kubectl auth whoami", "kubectl auth can-i list integrations.ksit.io -n ksit-system"],
    fix: ["Log in again, or ask for read access to `integrations.ksit.io` and `integrationtargets.ksit.io`."],
  },
  NotFound: {
    means: "The named object (the Integration of `describe`) does not exist in the namespace.",
    confirm: ["kubectl get integrations -A"],
    fix: ["Use the right name and `-n`."],
  },
  ExecAuthNotAllowed: {
    means:
      "`target add`: the kubeconfig it would store authenticates with an exec plugin or auth-provider, " +
      "which the controller refuses by default ([`ExecAuthNotAllowed`](#target-execauthnotallowed)).",
    fix: [
      "Use `--service-account` (stores a token of a read-only ServiceAccount instead; your plugin runs only " +
      "on your machine), or `--allow-exec-auth` if the controller runs with `serve --allow-exec-auth`.",
    ],
  },
};

/** The first commands to run, in order, each with what it shows. */
export const FIRST_LOOK: readonly { command: Command; shows: string }[] = [
  {
    command: "kubectl ksit status -n ksit-system",
    shows: "every Integration: phase, HEALTHY, the worst cluster",
  },
  { command: DESCRIBE, shows: "each cluster's reason, unhealthy components, conditions, recent Events" },
  { command: TARGET_LIST, shows: "can the controller reach each cluster (REASON)" },
  {
    command: "kubectl ksit check --context <context>",
    shows: "the same judges from your machine, no controller involved",
  },
  {
    command: { sh: "kubectl logs -n ksit-system deployment/ksit --tail=50", skip: NO_POD },
    shows: "the controller's log",
  },
];

/** Problems of the controller itself (`kubectl ksit serve`, deployed by the Helm chart). */
export interface ControllerProblem {
  /** Anchor, `controller-…`. */
  id: string;
  title: string;
  doc: ReasonDoc;
}

const POD_LOGS = "kubectl logs -n ksit-system deployment/ksit --tail=50";

export const CONTROLLER_PROBLEMS: readonly ControllerProblem[] = [
  {
    id: "controller-crash-looping",
    title: "The controller pod is crash-looping or not Ready",
    doc: {
      means: "The pod restarts (`CrashLoopBackOff`), is killed, or stays `0/1` Ready. Ready means the " +
        "controller has listed its Integrations, IntegrationTargets and kubeconfig Secrets once (`/readyz`); " +
        "`/healthz` fails when its loop has not ticked for 30 s.",
      causes: [
        "A bad flag in `serve.extraArgs` or a bad `serve.allowedServers` entry: the previous container's log " +
        "ends with `error: …` (exit 2).",
        "`OOMKilled`: many targets or very large installs for the 512 MiB limit.",
        "Never Ready: the CRDs are missing or RBAC denies a list (next sections).",
        "`ImagePullBackOff`: the image tag (chart `appVersion`, or `image.tag`) is not in the registry.",
      ],
      confirm: [
        { sh: "kubectl get pods -n ksit-system -l app.kubernetes.io/name=ksit", skip: NO_POD },
        {
          sh:
            "kubectl describe pods -n ksit-system -l app.kubernetes.io/name=ksit | grep -A3 -E 'Last State|Reason'",
          skip: NO_POD,
        },
        { sh: "kubectl logs -n ksit-system deployment/ksit --previous --tail=20", skip: NO_POD },
      ],
      fix: [
        "Correct the values and `helm upgrade ksit deploy/helm/ksit -n ksit-system --reuse-values --set …`; " +
        "for memory: `--set resources.limits.memory=1Gi`.",
      ],
    },
  },
  {
    id: "controller-crds-missing",
    title: "The CRDs are missing",
    doc: {
      means:
        "The controller runs but is never Ready; its log warns once per failure streak `cannot list and " +
        "watch; retrying` with code 404 and the hint `the KSIT CRDs are not installed`. The CLI exits 7.",
      causes: [
        "The CRDs were deleted (`helm uninstall` keeps them, but someone removed them), or the chart was " +
        "installed with `--skip-crds`. Helm installs `crds/` only on `helm install`, never on upgrade.",
      ],
      confirm: [
        "kubectl get crd integrations.ksit.io integrationtargets.ksit.io",
        { sh: `${POD_LOGS} | grep 'cannot list and watch'`, skip: NO_POD },
      ],
      fix: ["`kubectl apply -f deploy/helm/ksit/crds/` (the same files as `deploy/crds/`)."],
    },
  },
  {
    id: "controller-rbac-denied",
    title: "RBAC denies the controller",
    doc: {
      means: "The log warns `cannot list and watch; retrying` with code 403 and names the resource and a " +
        "`kubectl auth can-i` to run; status patches fail with `reconcile failed; retrying` (code 403); " +
        "Events fail with `event not recorded`.",
      causes: [
        "`rbac.create=false` without an equivalent Role.",
        "Integrations in a namespace the controller is not allowed to watch: the chart's Role covers the " +
        "release namespace only unless `watch.allNamespaces=true`.",
      ],
      confirm: [
        "kubectl auth can-i list integrations.ksit.io -n ksit-system --as=system:serviceaccount:ksit-system:ksit",
        "kubectl auth can-i patch integrations.ksit.io --subresource=status -n ksit-system " +
        "--as=system:serviceaccount:ksit-system:ksit",
        "kubectl auth can-i list secrets -n ksit-system --as=system:serviceaccount:ksit-system:ksit",
        "kubectl auth can-i create events -n ksit-system --as=system:serviceaccount:ksit-system:ksit",
        {
          sh: `${POD_LOGS} | grep -E 'cannot list and watch|reconcile failed|event not recorded'`,
          skip: NO_POD,
        },
      ],
      fix: [
        "`helm upgrade ksit deploy/helm/ksit -n ksit-system --reuse-values --set rbac.create=true`; put " +
        "Integrations, IntegrationTargets and their Secrets in the release namespace, or set " +
        "`watch.allNamespaces=true` (a ClusterRole that reads Secrets everywhere).",
      ],
    },
  },
  {
    id: "controller-not-leader",
    title: "No leader is elected (statuses never written)",
    doc: {
      means: "With `replicaCount > 1` or `leaderElection.enabled`, only the holder of the Lease " +
        "`ksit-leader` (`<fullname>-leader`) writes status and Events; the others judge but stay quiet. When no replica " +
        "leads, every pod is Ready (`/readyz` says `ok (leader: false)`) and nothing is written. The gauge " +
        "`ksit_leader` is 1 on the leader.",
      causes: [
        "A Lease still held by a pod that died: another replica takes over after the lease duration (15 s).",
        "RBAC on the Lease: the log repeats `lease read failed` (the Role `ksit-leader-election` allows " +
        "`get`/`update` only on the chart's lease name).",
      ],
      confirm: [
        {
          sh:
            "kubectl get lease ksit-leader -n ksit-system -o jsonpath='{.spec.holderIdentity} {.spec.renewTime}{\"\\n\"}'",
          skip: "the quickstart runs one serve without leader election (no Lease)",
        },
        { sh: `${POD_LOGS} | grep -E 'became leader|stopped leading|lease'`, skip: NO_POD },
        {
          sh: "kubectl get --raw /api/v1/namespaces/ksit-system/pods/<pod>:8080/proxy/readyz",
          skip: NO_POD,
        },
      ],
      fix: [
        "Wait one lease duration; if a dead holder stays, `kubectl delete lease ksit-leader -n ksit-system` " +
        "(the replicas create it again).",
        "Check `kubectl auth can-i get leases.coordination.k8s.io/ksit-leader -n ksit-system " +
        "--as=system:serviceaccount:ksit-system:ksit`.",
      ],
    },
  },
  {
    id: "controller-no-status",
    title: "Integrations never get a status",
    doc: {
      means: "`kubectl get integrations` shows no PHASE: no controller has judged them.",
      causes: [
        "The controller is not running or not Ready (above).",
        "The Integration is in a namespace the controller does not watch (the chart: its release namespace, " +
        "unless `watch.allNamespaces=true`).",
        "Its targets are not probed yet (the first judgement waits for them, at most a few seconds).",
      ],
      confirm: [
        "kubectl get integrations -A",
        {
          sh:
            "kubectl get deployment ksit -n ksit-system -o jsonpath='{.spec.template.spec.containers[0].args}{\"\\n\"}'",
          skip: NO_POD,
        },
      ],
      fix: ["Create Integrations, targets and Secrets in the namespace the controller watches."],
    },
  },
];
