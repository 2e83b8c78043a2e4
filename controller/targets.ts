/**
 * IntegrationTargets: Secret → kubeconfig → connection (a KubeClient), probed with `/version`. The connection
 * is rebuilt when the Secret's content changes and dropped when the Secret goes away. The target's Ready
 * condition says why a cluster cannot be checked (DESIGN.md reasons).
 */
import { type V1Secret, VersionApi } from "@kubernetes/client-node";
import type { IntegrationTarget, IntegrationTargetStatus, TargetReason } from "../api/types.ts";
import { KubeconfigError, parseKubeconfig } from "../checks/kubeconfig.ts";
import { mergeConditions } from "../checks/conditions.ts";
import { classifyError, errorMessage, KubeClient } from "./kube.ts";
import type { ControllerMetrics } from "./metrics.ts";
import type { Semaphore } from "./semaphore.ts";

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
  client?: KubeClient;
  state: TargetState;
  /** The state has been decided once (Secret read and, if there is a client, probed). */
  checked?: boolean;
  lastProbe?: number;
}

/** The Secret holding a target's kubeconfig: spec.kubeconfigSecretRef, else `<clusterName>-kubeconfig`/`kubeconfig`. */
export function secretRef(t: IntegrationTarget): { name: string; key: string } {
  return {
    name: t.spec.kubeconfigSecretRef?.name || `${t.spec.clusterName}-kubeconfig`,
    key: t.spec.kubeconfigSecretRef?.key || "kubeconfig",
  };
}

export interface ConnectOptions {
  allowExecAuth: boolean;
  timeoutMs: number;
  metrics: ControllerMetrics;
  global: Semaphore;
}

/**
 * Brings `conn` in line with the Secret (rebuilding or dropping the client) and probes the cluster.
 * Returns true when the connection's client changed (new generation or dropped).
 */
export async function refreshConnection(
  conn: Connection,
  target: IntegrationTarget,
  secret: V1Secret | undefined,
  opts: ConnectOptions,
  probe: boolean,
): Promise<boolean> {
  const ns = target.metadata.namespace ?? "";
  const ref = secretRef(target);
  const source = `Secret ${ns}/${ref.name} key ${ref.key}`;
  conn.clusterName = target.spec.clusterName;
  const drop = (reason: TargetReason, message: string): boolean => {
    const had = conn.client !== undefined;
    conn.client = undefined;
    conn.fingerprint = undefined;
    conn.state = { ready: false, reason, message };
    if (had) conn.gen++;
    return had;
  };
  if (!secret) {
    return drop("SecretNotFound", `${source}: Secret not found; create it (kubectl ksit target add)`);
  }
  const data = secret.data?.[ref.key];
  if (data === undefined) return drop("InvalidKubeconfig", `${source}: the Secret has no key ${ref.key}`);
  const fingerprint =
    `${secret.metadata?.uid}/${secret.metadata?.resourceVersion}/${ref.key}/${target.spec.clusterName}`;
  let changed = false;
  if (fingerprint !== conn.fingerprint || !conn.client) {
    let text: string;
    try {
      text = new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
    } catch {
      return drop("InvalidKubeconfig", `${source}: not base64`);
    }
    try {
      const kc = parseKubeconfig(text, { source, allowExecAuth: opts.allowExecAuth });
      conn.client = new KubeClient(kc, {
        target: conn.targetKey,
        timeoutMs: opts.timeoutMs,
        metrics: opts.metrics,
        global: opts.global,
      });
      conn.fingerprint = fingerprint;
      conn.gen++;
      changed = true;
      probe = true;
    } catch (e) {
      if (e instanceof KubeconfigError) {
        const r = drop(e.reason, e.message);
        conn.fingerprint = fingerprint; // don't re-parse until the Secret changes
        return r;
      }
      return drop("InvalidKubeconfig", `${source}: ${(e as Error).message}`);
    }
  }
  if (probe && conn.client) await probeConnection(conn);
  return changed;
}

/** GET /version with the deadline: Connected + serverVersion, or the failure's reason. */
export async function probeConnection(conn: Connection): Promise<void> {
  const client = conn.client;
  if (!client) return;
  conn.lastProbe = Date.now();
  try {
    const info = await client.call("get", () => client.api(VersionApi).getCode());
    conn.state = {
      ready: true,
      reason: "Connected",
      message: `connected to ${client.server}`,
      serverVersion: info.gitVersion,
    };
  } catch (e) {
    const c = classifyError(e);
    const reason: TargetReason = c === "Unauthorized" || c === "Forbidden" ? c : "ClusterUnreachable";
    const hint = reason === "Unauthorized"
      ? ": the kubeconfig's credentials were rejected; refresh the Secret"
      : reason === "Forbidden"
      ? ": the credentials may not read /version"
      : "";
    conn.state = {
      ready: false,
      reason,
      message: `${client.server}: ${errorMessage(e)}${hint}`,
      serverVersion: conn.state.serverVersion,
    };
  }
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
