/**
 * IntegrationTargets: Secret → kubeconfig → connection (a ClusterClient), probed. The connection is rebuilt when
 * the Secret's content changes and dropped when the Secret goes away. The target's Ready condition says why a
 * cluster cannot be checked (api/types.ts TARGET_REASONS; docs/architecture.md).
 *
 * Probes (all with short deadlines, bodies bounded and never quoted):
 * - `GET /version` when the connection is built and every `VERSION_PROBE_MS`: the server answers like a
 *   Kubernetes API server (else `NotKubernetes`), its version, and the server policy (controller/server_policy.ts)
 *   again, as DNS may have changed.
 * - `GET /readyz` when the API server's heartbeat is late (controller/heartbeat.ts) or a watch failed: can it
 *   serve reads (else `ClusterNotReady`, e.g. etcd down, or `ClusterUnreachable`)?
 * Probes that only confirm a healthy server back off (2 s → 60 s), so a server that fails watches but
 * answers probes is not probed every few seconds; an unreachable server is retried with backoff (2 s → 10 s),
 * sooner when its heartbeat watch comes back.
 */
import type { V1Secret } from "@kubernetes/client-node";
import type {
  CredentialFormat,
  IntegrationTarget,
  IntegrationTargetStatus,
  TargetReason,
} from "../api/types.ts";
import { KubeconfigError } from "../kube/kubeconfig.ts";
import { type CredentialInput, credentialKubeConfig } from "../kube/credentials.ts";
import { accessProviders, type ClusterProfileLike, profileAccess, targetOrigin } from "../kube/inventory.ts";
import { mergeConditions } from "../checks/conditions.ts";
import { rawGet } from "../kube/transport.ts";
import { backoffDelay } from "../util/backoff.ts";
import type { Heartbeat } from "./heartbeat.ts";
import { ClusterClient } from "../kube/client.ts";
import { clusterReason, errorMessage, statusMessage } from "../kube/errors.ts";
import type { ControllerMetrics } from "./metrics.ts";
import type { Semaphore } from "../util/semaphore.ts";
import { DEFAULT_POLICY, dnsResolver, refusal, type Resolver, type ServerPolicy } from "./server_policy.ts";

export interface TargetState {
  ready: boolean;
  reason: TargetReason;
  message: string;
  serverVersion?: string;
}

export interface Connection {
  targetKey: string;
  clusterName: string;
  /** Bumped whenever the client is rebuilt; caches are keyed by it. */
  gen: number;
  /** Secret uid + resourceVersion + key the client was built from. */
  fingerprint?: string;
  client?: ClusterClient;
  state: TargetState;
  /** The state has been decided once (Secret read and, if there is a client, probed). */
  checked?: boolean;
  /** Warnings about the kubeconfig shown with a Connected state (insecure-skip-tls-verify). */
  warning?: string;
  /** The API server's identity-lease watch (started with the client). */
  heartbeat?: Heartbeat;
  /** When `/version` is due again (ms). */
  versionDueAt?: number;
  /** A liveness probe (`/readyz`) was asked for: heartbeat late, a watch failed. */
  livenessWanted?: boolean;
  /** A positive signal (heartbeat back) since the last probe: probe an unreachable server at once. */
  recoverySignal?: boolean;
  /** Earliest time of the next liveness / retry probe (ms), and the backoff steps behind it. */
  notBefore?: number;
  /** The heartbeat silence (its last beat) a liveness probe was asked for. */
  probedSilence?: number;
  /** Last periodic liveness probe where no heartbeat can be watched (ms). */
  lastLiveness?: number;
  quietProbes?: number;
  failedProbes?: number;
}

export interface SecretRef {
  namespace: string;
  name: string;
  key: string;
  format: CredentialFormat;
}

/**
 * The Secret holding a target's credentials (spec.kubeconfigSecretRef): by default `<clusterName>-kubeconfig`,
 * key `kubeconfig`, in the target's namespace; with only a clusterProfileRef, a token under the profile's name
 * (KEP-5339's secret reader convention). The key defaults by format.
 */
export function secretRef(t: IntegrationTarget): SecretRef {
  const ref = t.spec.kubeconfigSecretRef;
  const profile = t.spec.clusterProfileRef;
  const format: CredentialFormat = ref?.format ?? (profile && !ref ? "token" : "kubeconfig");
  return {
    namespace: ref?.namespace || t.metadata.namespace || "",
    name: ref?.name || (profile && !ref ? profile.name : `${t.spec.clusterName}-kubeconfig`),
    key: ref?.key || (format === "token" ? "token" : format === "argocd" ? "config" : "kubeconfig"),
    format,
  };
}

/** The ClusterProfile of a target (spec.clusterProfileRef), if any. */
export function profileRef(
  t: IntegrationTarget,
): { namespace: string; name: string; accessProvider?: string } | undefined {
  const p = t.spec.clusterProfileRef;
  if (!p) return undefined;
  return {
    namespace: p.namespace || t.metadata.namespace || "",
    name: p.name,
    ...(p.accessProvider ? { accessProvider: p.accessProvider } : {}),
  };
}

/** What the caches hold for a target's references (controller.ts looks them up). */
export interface CredentialLookup {
  secret?: CachedSecret;
  /** The Secret's namespace is not one serve reads Secrets in: why, and what to do. */
  secretUnread?: string;
  /** With a clusterProfileRef: the profile, or why it cannot be seen. */
  profile?: { object?: ClusterProfileLike; unread?: string };
}

export interface ConnectOptions {
  allowExecAuth: boolean;
  timeoutMs: number;
  metrics: ControllerMetrics;
  global: Semaphore;
  /** Which servers may be contacted (default: link-local refused). */
  policy?: ServerPolicy;
  /** `serve --secret-selector`, named when a Secret is not found. */
  secretSelector?: string;
  resolve?: Resolver;
}

/** `/version` again after this long (server version, shape, server policy). */
export const VERSION_PROBE_MS = 60_000;
/** Deadline of the liveness probe (kube-apiserver's etcd check fails after 2 s: see probeLiveness). */
export const LIVENESS_TIMEOUT_MS = 2_500;

/** Base64 text of a Secret's value is at most this long (4/3 of the kubeconfig bound, plus line breaks). */
const MAX_SECRET_VALUE = Math.ceil(256 * 1024 * 4 / 3) + 8 * 1024;

function tooLarge(source: string, base64Length: number): string {
  const kib = Math.round(base64Length * 3 / 4 / 1024);
  return `${source}: ${kib} KiB is too large for a kubeconfig (at most 256 KiB)`;
}

/**
 * Secret types that never hold a kubeconfig: their data is not kept (a namespace's Helm release Secrets alone
 * can be megabytes). A kubeconfig Secret is Opaque or of a type of its own (Cluster API
 * `cluster.x-k8s.io/secret`).
 */
const NOT_KUBECONFIG_TYPES = new Set([
  "helm.sh/release.v1",
  "kubernetes.io/service-account-token",
  "kubernetes.io/dockercfg",
  "kubernetes.io/dockerconfigjson",
  "kubernetes.io/basic-auth",
  "kubernetes.io/ssh-auth",
  "kubernetes.io/tls",
  "bootstrap.kubernetes.io/token",
]);

/** What the Secret cache keeps of a Secret: its identity, type, and values small enough to be a kubeconfig. */
export interface CachedSecret extends V1Secret {
  /** Keys whose value was not kept: too long (their base64 length), or a type that holds no kubeconfig (0). */
  dropped?: Record<string, number>;
}

/**
 * The Secret informer's projection: metadata without annotations and managedFields, and the values of
 * NOT_KUBECONFIG_TYPES or longer than MAX_SECRET_VALUE replaced by their length in `dropped` (so that the error
 * still says why).
 */
export function projectSecret(secret: V1Secret): CachedSecret {
  const m = secret.metadata ?? {};
  const out: CachedSecret = {
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion },
    type: secret.type,
  };
  if (m.labels) out.metadata!.labels = m.labels;
  const data: Record<string, string> = {};
  const dropped: Record<string, number> = {};
  const typeDropped = NOT_KUBECONFIG_TYPES.has(secret.type ?? "");
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    if (typeDropped) dropped[k] = 0;
    else if (v.length > MAX_SECRET_VALUE) dropped[k] = v.length;
    else data[k] = v;
  }
  if (secret.data) out.data = data;
  if (Object.keys(dropped).length) out.dropped = dropped;
  return out;
}

/**
 * Brings `conn` in line with the Secret: parses the kubeconfig under the Secret rules and the server policy,
 * and rebuilds or drops the client. Does not contact the cluster. Returns true when the client changed (new
 * generation or dropped). Over 60 lines because each refusal (missing Secret, each credential format, the
 * server policy) sets its own reason and message on `conn` in order; they read as one decision table.
 */
export async function refreshConnection(
  conn: Connection,
  target: IntegrationTarget,
  found: CredentialLookup,
  opts: ConnectOptions,
): Promise<boolean> {
  const ref = secretRef(target);
  const secretName = `Secret ${ref.namespace}/${ref.name}`;
  const source = ref.format === "argocd" ? secretName : `${secretName} key ${ref.key}`;
  const secret = found.secret;
  conn.clusterName = target.spec.clusterName;
  const drop = (reason: TargetReason, message: string): boolean => {
    const had = conn.client !== undefined;
    conn.client = undefined;
    conn.fingerprint = undefined;
    conn.warning = undefined;
    conn.state = { ready: false, reason, message };
    if (had) conn.gen++;
    return had;
  };
  const pref = profileRef(target);
  let cluster: CredentialInput["cluster"];
  let profileVersion = "";
  if (pref) {
    const p = found.profile?.object;
    const where = `ClusterProfile ${pref.namespace}/${pref.name}`;
    if (!p) {
      return drop(
        "ClusterProfileNotFound",
        `${where}: ${found.profile?.unread ?? "not found (its inventory removed it, or the name is wrong)"}`,
      );
    }
    const access = profileAccess(p, pref.accessProvider);
    if ("problem" in access) return drop("InvalidClusterProfile", `${where}: ${access.problem}`);
    cluster = {
      source: `${where} (access provider ${access.provider.name})`,
      name: pref.name,
      fields: access.provider.cluster ?? {},
    };
    profileVersion = `${p.metadata?.uid}/${p.metadata?.resourceVersion}/${access.provider.name}`;
  }
  if (!secret) {
    return drop("SecretNotFound", `${source}: ${secretMissing(target, ref, found, opts)}`);
  }
  const keys = ref.format === "argocd" ? ["server", "config", "name"] : [ref.key];
  const dropped = keys.map((k) => [k, secret.dropped?.[k]] as const).find(([, d]) => d !== undefined);
  if (ref.format !== "argocd" && secret.data?.[ref.key] === undefined && !dropped) {
    return drop("InvalidKubeconfig", `${source}: the Secret has no key ${ref.key}`);
  }
  const fingerprint =
    `${secret.metadata?.uid}/${secret.metadata?.resourceVersion}/${ref.format}/${ref.key}/` +
    `${target.spec.clusterName}/${profileVersion}`;
  if (fingerprint === conn.fingerprint) return false;
  const refuse = (reason: TargetReason, message: string): boolean => {
    const r = drop(reason, message);
    conn.fingerprint = fingerprint; // don't re-parse until the Secret changes
    return r;
  };
  if (dropped) {
    return refuse(
      "InvalidKubeconfig",
      dropped[1] === 0
        ? `${source}: a Secret of type ${secret.type} does not hold a kubeconfig; use an Opaque Secret`
        : tooLarge(`${secretName} key ${dropped[0]}`, dropped[1]!),
    );
  }
  const built = await buildClient(conn.targetKey, {
    format: ref.format,
    secret: secretName,
    data: secret.data ?? {},
    key: ref.key,
    ...(cluster ? { cluster } : {}),
    allowExecAuth: opts.allowExecAuth,
  }, opts);
  if ("reason" in built) return refuse(built.reason, built.message);
  const client = built.client;
  conn.client = client;
  conn.fingerprint = fingerprint;
  conn.gen++;
  conn.state = { ready: false, reason: "ClusterUnreachable", message: "not checked yet" };
  conn.warning = client.kc.getCurrentCluster()?.skipTLSVerify
    ? "warning: insecure-skip-tls-verify is set, the server's identity is not verified; " +
      "give certificate-authority-data instead"
    : undefined;
  conn.versionDueAt = 0;
  conn.notBefore = 0;
  conn.quietProbes = 0;
  conn.failedProbes = 0;
  return true;
}

/**
 * Why a target's Secret is not there, and what to do: the namespace is not one serve reads, the inventory
 * that makes the Secret has not yet, a token is to be stored by the secret reader convention, or the Secret
 * was not created (or lacks the labels of `--secret-selector`).
 */
function secretMissing(
  t: IntegrationTarget,
  ref: SecretRef,
  found: CredentialLookup,
  opts: ConnectOptions,
): string {
  if (found.secretUnread) return found.secretUnread;
  const origin = targetOrigin(t);
  if (origin.source === "capi") {
    return "Secret not found; Cluster API writes it once the cluster's control plane is up " +
      `(kubectl get cluster ${t.spec.clusterName} -n ${ref.namespace})`;
  }
  if (origin.source === "argocd") {
    return "Secret not found; the Argo CD cluster Secret was deleted (argocd cluster list)";
  }
  const selector = opts.secretSelector && ref.namespace === t.metadata.namespace
    ? ` or lacks the labels ${opts.secretSelector} that serve --secret-selector asks for`
    : "";
  if (ref.format === "token") {
    const providers = found.profile?.object ? accessProviders(found.profile.object).map((a) => a.name) : [];
    const offered = providers.length
      ? `; the ClusterProfile offers ${providers.join(", ")}, credential plugins KSIT does not run`
      : "";
    return `Secret not found${selector}: store the cluster's bearer token there (kubectl create secret ` +
      `generic ${ref.name} -n ${ref.namespace} --from-literal=token=…), KEP-5339's secret reader ` +
      `convention${offered}`;
  }
  return `Secret not found${selector}; create it (kubectl ksit target add)`;
}

/**
 * A client from a target's credentials (kube/credentials.ts: the Secret rules of kube/kubeconfig.ts for every
 * format), or why not, and the server policy.
 */
async function buildClient(
  targetKey: string,
  input: CredentialInput,
  opts: ConnectOptions,
): Promise<{ client: ClusterClient } | { reason: TargetReason; message: string }> {
  const source = input.format === "argocd" ? input.secret : `${input.secret} key ${input.key}`;
  try {
    const kc = credentialKubeConfig(input);
    const denied = await policyRefusal(kc.getCurrentCluster()!, opts);
    if (denied) return { reason: "ServerNotAllowed", message: `${source}: ${denied}` };
    return {
      client: new ClusterClient(kc, {
        target: targetKey,
        timeoutMs: opts.timeoutMs,
        countRequest: (verb, code) => opts.metrics.apiRequests.inc({ target: targetKey, verb, code }),
        global: opts.global,
      }),
    };
  } catch (e) {
    if (e instanceof KubeconfigError) return { reason: e.reason, message: e.message };
    return { reason: "InvalidKubeconfig", message: `${source}: not a usable kubeconfig` };
  }
}

async function policyRefusal(
  cluster: { server: string; proxyUrl?: string },
  opts: ConnectOptions,
): Promise<string | undefined> {
  const policy = opts.policy ?? DEFAULT_POLICY;
  const resolve = opts.resolve ?? dnsResolver;
  return await refusal(policy, new URL(cluster.server), resolve, "server") ??
    (cluster.proxyUrl ? await refusal(policy, new URL(cluster.proxyUrl), resolve, "proxy-url") : undefined);
}

/** What to do now for a connection with a client: `version`, `liveness`, or nothing until `waitMs`. */
export function nextProbe(
  conn: Connection,
  now: number,
): { probe?: "version" | "liveness"; waitMs?: number } {
  if (!conn.checked || (conn.versionDueAt ?? 0) <= now && conn.state.ready) return { probe: "version" };
  if (!conn.state.ready) {
    if (conn.recoverySignal || (conn.notBefore ?? 0) <= now) return { probe: "version" };
    return { waitMs: (conn.notBefore ?? now) - now };
  }
  if (conn.livenessWanted) {
    if ((conn.notBefore ?? 0) <= now) return { probe: "liveness" };
    return { waitMs: (conn.notBefore ?? now) - now };
  }
  return { waitMs: (conn.versionDueAt ?? now) - now };
}

/**
 * Runs the probe `nextProbe` chose and updates `conn.state` and its backoff. Returns the state.
 */
export async function probe(
  conn: Connection,
  kind: "version" | "liveness",
  now: number,
  opts: ConnectOptions,
): Promise<TargetState> {
  const client = conn.client;
  if (!client) return conn.state;
  conn.recoverySignal = false;
  const wasReady = conn.state.ready;
  const state = kind === "version"
    ? await probeVersion(client, conn.state, opts)
    : await probeLiveness(client);
  conn.checked = true;
  if (state.ready) {
    conn.failedProbes = 0;
    if (kind === "version") conn.versionDueAt = now + VERSION_PROBE_MS;
    if (kind === "liveness" || conn.livenessWanted) {
      // the server answers although something asked: back off (a server failing watches, a late beat)
      conn.livenessWanted = false;
      conn.notBefore = now + backoffDelay(conn.quietProbes ?? 0, { baseDelayMs: 2_000, maxDelayMs: 60_000 });
      conn.quietProbes = (conn.quietProbes ?? 0) + 1;
    }
    conn.state = { ...state, message: conn.warning ? `${state.message}; ${conn.warning}` : state.message };
  } else {
    conn.livenessWanted = false;
    conn.quietProbes = 0;
    conn.notBefore = now + backoffDelay(wasReady ? 0 : conn.failedProbes ?? 0, {
      baseDelayMs: 2_000,
      maxDelayMs: 10_000,
    });
    conn.failedProbes = (conn.failedProbes ?? 0) + 1;
    conn.state = state;
  }
  return conn.state;
}

function failure(e: unknown, server: string, previous: TargetState): TargetState {
  const reason: TargetReason = clusterReason(e);
  const hint = reason === "Unauthorized"
    ? ": the kubeconfig's credentials were rejected; refresh the Secret"
    : reason === "Forbidden"
    ? ": the credentials may not read /version"
    : "";
  return {
    ready: false,
    reason,
    message: `${server}: ${errorMessage(e)}${hint}`,
    serverVersion: previous.serverVersion,
  };
}

/**
 * GET /version: a Kubernetes API server answers `{"major": "1", "minor": "…", "gitVersion": "v1.…"}`.
 * Anything else is `NotKubernetes` (a redirect, an HTML page, another service's port), described in KSIT's
 * words only.
 */
async function probeVersion(
  client: ClusterClient,
  previous: TargetState,
  opts: ConnectOptions,
): Promise<TargetState> {
  const server = client.server;
  const denied = await policyRefusal(client.kc.getCurrentCluster()!, opts);
  if (denied) return { ready: false, reason: "ServerNotAllowed", message: denied };
  let res: { status: number; text: string };
  try {
    res = await client.call(
      "get",
      () => rawGet(client.kc, "/version", { signal: AbortSignal.timeout(opts.timeoutMs) }),
    );
  } catch (e) {
    return failure(e, server, previous);
  }
  if (res.status === 401 || res.status === 403) {
    // an API error like any other: one mapping (kube/errors.ts) gives its reason and words
    return failure({ code: res.status, body: res.text }, server, previous);
  }
  let info: { major?: unknown; minor?: unknown; gitVersion?: unknown } | undefined;
  try {
    info = JSON.parse(res.text);
  } catch { /* not JSON */ }
  const version = typeof info?.gitVersion === "string" ? info.gitVersion : "";
  if (res.status !== 200 || !/^v?\d+\.\d+[\w.+-]*$/.test(version) || typeof info?.major !== "string") {
    const status = statusMessage(res.text);
    return {
      ready: false,
      reason: "NotKubernetes",
      message: `${server}: does not answer like a Kubernetes API server (GET /version: HTTP ${res.status}` +
        `${
          res.status === 200 ? ", not a version" : status ? `: ${status}` : ""
        }); check the kubeconfig's server`,
      serverVersion: previous.serverVersion,
    };
  }
  return {
    ready: true,
    reason: "Connected",
    message: `connected to ${server}`,
    serverVersion: version.slice(0, 64),
  };
}

/**
 * GET /readyz within LIVENESS_TIMEOUT_MS, with GET /version beside it: 200 ⇒ ready; otherwise the failing
 * checks' names (`[-]etcd failed` ⇒ "etcd") in KSIT's words. kube-apiserver's own etcd checks take 2 s each
 * to fail when etcd is gone (/readyz answers after ~4 s), so a /readyz that does not finish while /version
 * answers at once is also "cannot serve reads", not "unreachable".
 */
async function probeLiveness(client: ClusterClient): Promise<TargetState> {
  const server = client.server;
  const previous = { ready: false, reason: "ClusterUnreachable" as TargetReason, message: "" };
  const get = (path: string) =>
    client.call("get", () => rawGet(client.kc, path, { signal: AbortSignal.timeout(LIVENESS_TIMEOUT_MS) }))
      .then((r) => ({ ok: true as const, ...r }), (e: unknown) => ({ ok: false as const, error: e }));
  const [readyz, version] = await Promise.all([get("/readyz"), get("/version")]);
  const versionOk = version.ok && version.status === 200;
  if (!readyz.ok) {
    if (!versionOk) return failure(version.ok ? readyz.error : version.error, server, previous);
    return {
      ready: false,
      reason: "ClusterNotReady",
      message:
        `${server}: the API server answers but cannot serve reads: its readiness check did not finish ` +
        `within ${LIVENESS_TIMEOUT_MS / 1000}s (etcd down or overloaded?)`,
    };
  }
  const res = readyz;
  if (res.status === 200) return { ready: true, reason: "Connected", message: `connected to ${server}` };
  if (res.status === 401) return failure({ code: 401 }, server, previous);
  if (res.status === 403) {
    // /readyz is public on standard clusters (system:public-info-viewer); without it, /version must do
    return versionOk
      ? { ready: true, reason: "Connected", message: `connected to ${server}` }
      : failure(version.ok ? { code: version.status } : version.error, server, previous);
  }
  const failing = [...res.text.matchAll(/^\[-\]([A-Za-z0-9_./-]{1,64}) failed/gm)].map((m) => m[1]).slice(
    0,
    5,
  );
  if (failing.length === 0) {
    return {
      ready: false,
      reason: "ClusterNotReady",
      message: `${server}: the API server is not ready (GET /readyz: HTTP ${res.status})`,
    };
  }
  const etcd = failing.some((f) => f?.startsWith("etcd"));
  return {
    ready: false,
    reason: "ClusterNotReady",
    message: `${server}: the API server cannot serve reads: its ${failing.join(", ")} check${
      failing.length > 1 ? "s fail" : " fails"
    }${etcd ? " (etcd is down or unreachable)" : ""}`,
  };
}

/** The target status for a connection state (conditions merged so lastTransitionTime moves only on change). */
export function targetStatus(t: IntegrationTarget, state: TargetState, now: string): IntegrationTargetStatus {
  const generation = t.metadata.generation ?? 0;
  const status: IntegrationTargetStatus = {
    observedGeneration: generation,
    conditions: mergeConditions(t.status?.conditions, [{
      type: "Ready",
      status: state.ready ? "True" : "False",
      observedGeneration: generation,
      reason: state.reason,
      message: state.message,
    }], now),
  };
  const version = state.ready ? state.serverVersion : t.status?.serverVersion;
  if (version) status.serverVersion = version;
  return status;
}
