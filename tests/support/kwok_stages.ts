/**
 * KSIT's own kwok Stages: how the fake kubelets of a live cluster (tests/support/live.ts) behave when something
 * is wrong. kwok's default stages (copied from the kwok module by scripts/testbin.sh into `kwok-stages/`) make
 * every pod Ready at once; these outweigh them (weight 10000) for the pods a fault applies to, and they are
 * keyed on what a user changes on real objects, never on status:
 *
 * - an image whose tag is `ksit-never-ready` cannot be pulled: the pod stays Pending, its container waits in
 *   `ImagePullBackOff` (a Warning Event `Failed` says so), so a rollout to it never progresses;
 * - an image whose tag is `ksit-crash-loop` starts and exits 1 over and over: the pod is Running but not Ready,
 *   the container waits in `CrashLoopBackOff`, `restartCount` rises every 2–5 s;
 * - a pod that is Running but not Ready without a fault image (kube-controller-manager marked it NotReady while
 *   its node was unreachable) is reported Ready again once its node's kubelet is back;
 * - `podsNeverStartOn(node)` (created at run time by a fault helper): pods placed on that node stay in
 *   `ContainerCreating` (a Warning Event `FailedCreatePodSandBox`), as on a node whose container runtime broke.
 *
 * Templates give the same status when applied twice (times come from the pod's creationTimestamp, the pod IP
 * is kept), so kwok patches each pod once per change and never loops; only the crash loop changes on purpose.
 * Selector keys are jq expressions over the pod (kwok's `matchExpressions`).
 */

/** The image tag that never pulls. */
export const NEVER_READY_TAG = "ksit-never-ready";
/** The image tag whose container crashes on start. */
export const CRASH_LOOP_TAG = "ksit-crash-loop";

const POD = { apiGroup: "v1", kind: "Pod" };
const notDeleted = { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" };
const phaseIn = (...values: string[]) => ({ key: ".status.phase", operator: "In", values });
const anyImageTagged = (tag: string) => ({
  key: `[.spec.containers[].image | endswith(":${tag}")] | any`,
  operator: "In",
  values: ["true"],
});

/** Host and pod IP lines of a status template: the node's IP, and the pod IP kept once allocated. */
const ADDRESSES = `
{{ with NodeIPWith .spec.nodeName }}
hostIP: {{ . | Quote }}
hostIPs:
- ip: {{ . | Quote }}
{{ end }}
{{ $podIP := .status.podIP }}
{{ if not $podIP }}{{ $podIP = PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}{{ end }}
podIP: {{ $podIP | Quote }}
podIPs:
- ip: {{ $podIP | Quote }}
`;

const notReadyConditions = (reason: string) => `
conditions:
- type: Initialized
  status: "True"
  lastTransitionTime: {{ .metadata.creationTimestamp | Quote }}
- type: Ready
  status: "False"
  reason: ${reason}
  message: 'containers with unready status: [{{ range $i, $c := .spec.containers }}{{ if $i }} {{ end }}{{ $c.name }}{{ end }}]'
  lastTransitionTime: {{ .metadata.creationTimestamp | Quote }}
- type: ContainersReady
  status: "False"
  reason: ${reason}
  message: 'containers with unready status: [{{ range $i, $c := .spec.containers }}{{ if $i }} {{ end }}{{ $c.name }}{{ end }}]'
  lastTransitionTime: {{ .metadata.creationTimestamp | Quote }}
`;

const imagePullBackOff = {
  apiVersion: "kwok.x-k8s.io/v1alpha1",
  kind: "Stage",
  metadata: { name: "ksit-image-pull-backoff" },
  spec: {
    resourceRef: POD,
    selector: { matchExpressions: [notDeleted, phaseIn("Pending"), anyImageTagged(NEVER_READY_TAG)] },
    weight: 10000,
    next: {
      event: {
        type: "Warning",
        reason: "Failed",
        message: `Failed to pull image: manifest unknown (tag ${NEVER_READY_TAG} does not exist)`,
      },
      statusTemplate: `${notReadyConditions("ContainersNotReady")}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  restartCount: 0
  {{ if hasSuffix ":${NEVER_READY_TAG}" .image }}
  ready: false
  started: false
  state:
    waiting:
      reason: ImagePullBackOff
      message: {{ printf "Back-off pulling image %q" .image | Quote }}
  {{ else }}
  ready: true
  started: true
  state:
    running:
      startedAt: {{ $.metadata.creationTimestamp | Quote }}
  {{ end }}
{{ end }}
${ADDRESSES}
phase: Pending
startTime: {{ .metadata.creationTimestamp | Quote }}
`,
    },
  },
};

const crashLoopBackOff = {
  apiVersion: "kwok.x-k8s.io/v1alpha1",
  kind: "Stage",
  metadata: { name: "ksit-crash-loop-backoff" },
  spec: {
    resourceRef: POD,
    selector: {
      matchExpressions: [notDeleted, phaseIn("Pending", "Running"), anyImageTagged(CRASH_LOOP_TAG)],
    },
    weight: 10000,
    // every restart is a new status, so the stage matches again: restartCount rises every 2–5 s
    delay: { durationMilliseconds: 2000, jitterDurationMilliseconds: 5000 },
    next: {
      event: { type: "Warning", reason: "BackOff", message: "Back-off restarting failed container" },
      statusTemplate: `{{ $now := Now }}
{{ $old := .status.containerStatuses }}
${notReadyConditions("ContainersNotReady")}
containerStatuses:
{{ range .spec.containers }}
{{ $c := . }}
{{ $restarts := 0 }}
{{ range $old }}{{ if eq .name $c.name }}{{ $restarts = .restartCount }}{{ end }}{{ end }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  {{ if hasSuffix ":${CRASH_LOOP_TAG}" .image }}
  ready: false
  started: false
  restartCount: {{ add $restarts 1 }}
  lastState:
    terminated:
      exitCode: 1
      reason: Error
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
  state:
    waiting:
      reason: CrashLoopBackOff
      message: {{ printf "back-off restarting failed container=%s pod=%s" .name $.metadata.name | Quote }}
  {{ else }}
  ready: true
  started: true
  restartCount: {{ $restarts }}
  state:
    running:
      startedAt: {{ $.metadata.creationTimestamp | Quote }}
  {{ end }}
{{ end }}
${ADDRESSES}
phase: Running
startTime: {{ .metadata.creationTimestamp | Quote }}
`,
    },
  },
};

const readyAgain = {
  apiVersion: "kwok.x-k8s.io/v1alpha1",
  kind: "Stage",
  metadata: { name: "ksit-pod-ready-again" },
  spec: {
    resourceRef: POD,
    selector: {
      matchExpressions: [
        notDeleted,
        phaseIn("Running"),
        {
          key: '.status.conditions.[] | select( .type == "Ready" ) | .status',
          operator: "NotIn",
          values: ["True"],
        },
        {
          key: `[.spec.containers[].image | test(":(${NEVER_READY_TAG}|${CRASH_LOOP_TAG})$")] | any`,
          operator: "In",
          values: ["false"],
        },
      ],
    },
    next: {
      statusTemplate: `{{ $now := Now }}
{{ $old := .status.containerStatuses }}
conditions:
- type: Ready
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
- type: ContainersReady
  status: "True"
  lastTransitionTime: {{ $now | Quote }}
containerStatuses:
{{ range .spec.containers }}
{{ $c := . }}
{{ $restarts := 0 }}
{{ range $old }}{{ if eq .name $c.name }}{{ $restarts = .restartCount }}{{ end }}{{ end }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: true
  started: true
  restartCount: {{ $restarts }}
  state:
    running:
      startedAt: {{ $now | Quote }}
{{ end }}
`,
    },
  },
};

/** The Stages every live cluster starts with (beside kwok's defaults). */
export const KSIT_STAGES = [imagePullBackOff, crashLoopBackOff, readyAgain];

/** Name of the Stage that `podsNeverStartOn(node)` creates. */
export function podsNeverStartStageName(node: string): string {
  return `ksit-pods-never-start-on-${node}`;
}

/** A Stage: every new pod placed on `node` stays in ContainerCreating (its sandbox cannot be created). */
export function podsNeverStartOn(node: string) {
  return {
    apiVersion: "kwok.x-k8s.io/v1alpha1",
    kind: "Stage",
    metadata: { name: podsNeverStartStageName(node) },
    spec: {
      resourceRef: POD,
      selector: {
        matchExpressions: [notDeleted, phaseIn("Pending"), {
          key: ".spec.nodeName",
          operator: "In",
          values: [node],
        }],
      },
      weight: 10000,
      next: {
        event: {
          type: "Warning",
          reason: "FailedCreatePodSandBox",
          message: `Failed to create pod sandbox: the container runtime on ${node} does not answer`,
        },
        statusTemplate: `${notReadyConditions("ContainersNotReady")}
containerStatuses:
{{ range .spec.containers }}
- name: {{ .name | Quote }}
  image: {{ .image | Quote }}
  imageID: ""
  ready: false
  started: false
  restartCount: 0
  state:
    waiting:
      reason: ContainerCreating
{{ end }}
{{ with NodeIPWith .spec.nodeName }}
hostIP: {{ . | Quote }}
hostIPs:
- ip: {{ . | Quote }}
{{ end }}
phase: Pending
startTime: {{ .metadata.creationTimestamp | Quote }}
`,
      },
    },
  };
}
