/**
 * `kubectl ksit target add <name> --context <workload-ctx>`: registers a workload cluster with the control
 * plane (`--control-plane-context`, default the current context): a Secret `<name>-kubeconfig` (key
 * `kubeconfig`) holding a minified, flattened kubeconfig, and an IntegrationTarget `<name>` pointing at it.
 * Idempotent: both are server-side applied (field manager kubectl-ksit).
 *
 * With `--service-account`, no local credentials leave the laptop: on the workload cluster it applies the
 * read-only RBAC of deploy/workload-rbac (Namespace ksit-system, ServiceAccount ksit-reader, ClusterRole and
 * ClusterRoleBinding ksit-reader), mints a token, and stores a token kubeconfig instead. The token comes from
 * the TokenRequest API and expires after `--token-duration` (default 8760h = 1 year; the API server may cap
 * it with --service-account-max-token-expiration): run `target add` again to renew it. `--token-secret` uses a
 * long-lived `kubernetes.io/service-account-token` Secret instead, which needs kube-controller-manager's token
 * controller to fill it in.
 *
 * Exec / auth-provider credentials are refused when they would be stored (not with --service-account, where
 * they are only used locally) unless `--allow-exec-auth`.
 *
 * RBAC, control plane: get/create/patch secrets and integrationtargets.ksit.io in the namespace.
 * RBAC, workload cluster (--service-account only): patch namespaces, serviceaccounts, clusterroles,
 * clusterrolebindings; create serviceaccounts/token (or secrets with --token-secret).
 */
import { sleep } from "../util/sleep.ts";
import { API_VERSION } from "../api/schema.ts";
import type { IntegrationTarget } from "../api/types.ts";
import { decodeBase64Text, encodeBase64 } from "../util/base64.ts";
import { DEFAULT_NAMESPACE, isMissingResourceType, resourcePath } from "./control_plane.ts";
import { CliError, crdsNotInstalled, EXIT, toCliError } from "./errors.ts";
import { errorCode } from "../kube/errors.ts";
import type { GlobalOptions, Io } from "./io.ts";
import { RestClient } from "./rest_client.ts";
import { type Kubeconfig, loadKubeconfig } from "./kubeconfig.ts";
import { document } from "./render.ts";
import { manifestPath, READER_NAMESPACE, READER_SERVICE_ACCOUNT, workloadRbac } from "./workload_rbac.ts";

export interface TargetAddOptions {
  labels?: Record<string, string>;
  controlPlaneContext?: string;
  serviceAccount?: boolean;
  /** TokenRequest lifetime in seconds (with --service-account). */
  tokenDurationSeconds?: number;
  /** Use a long-lived service-account-token Secret instead of TokenRequest. */
  tokenSecret?: boolean;
  /** How long to wait for the token controller to fill the Secret (with --token-secret). */
  tokenSecretTimeoutMs?: number;
  allowExecAuth?: boolean;
  /** Server URL to store instead of the one in the local kubeconfig (how the controller reaches the cluster). */
  server?: string;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Parses repeated `--label k=v` flags; a bad one is a usage error. */
export function parseLabels(flags: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const f of flags) {
    const i = f.indexOf("=");
    const k = i < 0 ? "" : f.slice(0, i);
    const v = i < 0 ? "" : f.slice(i + 1);
    if (i < 0 || !LABEL_KEY.test(k) || k.length > 317 || !LABEL_VALUE.test(v) || v.length > 63) {
      throw new CliError(
        "Usage",
        `--label ${JSON.stringify(f)}: expected key=value with a valid label key and value`,
      );
    }
    labels[k] = v;
  }
  return labels;
}

type Flat = {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  [k: string]: unknown;
};

/**
 * The workload context as a minified, flattened kubeconfig (object form), via kube/kubeconfig.ts: the
 * user's own files (CA, client certificate and key, token file) are read and inlined here, like kubectl
 * config view --flatten, and the result is checked with the rules the controller applies to a Secret (no
 * file references, no exec unless allowed, no credentials over http://) before anything is stored.
 */
async function flatten(kc: Kubeconfig, context: string, name: string, allowExecAuth: boolean): Promise<Flat> {
  const { kubeConfigForContext, minifyFlatten, KubeconfigError } = await import("../kube/kubeconfig.ts");
  try {
    const parsed = kubeConfigForContext(kc.resolve(context), { allowExecAuth });
    return minifyFlatten(parsed, (p) => Deno.readFileSync(p), name) as Flat;
  } catch (e) {
    if (e instanceof KubeconfigError) throw kubeconfigCliError(e);
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      throw new CliError(
        "NoKubeconfig",
        `context ${context}: a file it references: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    throw e;
  }
}

function kubeconfigCliError(e: { reason: string; message: string }): CliError {
  return new CliError(e.reason === "ExecAuthNotAllowed" ? "ExecAuthNotAllowed" : "NoKubeconfig", e.message, {
    cause: e,
  });
}

/** What the controller will do with the stored kubeconfig: the Secret rules, checked before writing. */
async function checkStorable(flat: Flat, name: string, allowExecAuth: boolean): Promise<string> {
  const [{ parseKubeconfig, KubeconfigError }, { stringify }] = await Promise.all([
    import("../kube/kubeconfig.ts"),
    import("yaml"),
  ]);
  const text = stringify(flat);
  try {
    parseKubeconfig(text, { source: `the kubeconfig for target ${name}`, allowExecAuth });
  } catch (e) {
    if (e instanceof KubeconfigError) throw kubeconfigCliError(e);
    throw e;
  }
  return text;
}

interface Minted {
  token: string;
  /** RFC 3339, or undefined for a non-expiring Secret token. */
  expires?: string;
}

async function applyWorkloadRbac(wl: RestClient): Promise<void> {
  for (const m of workloadRbac()) {
    try {
      await wl.apply(manifestPath(m), m);
    } catch (e) {
      throw toCliError(e, `${wl.what}: apply ${m.kind} ${m.metadata.name}`);
    }
  }
}

async function tokenRequest(wl: RestClient, seconds: number): Promise<Minted> {
  const path = `/api/v1/namespaces/${READER_NAMESPACE}/serviceaccounts/${READER_SERVICE_ACCOUNT}/token`;
  try {
    const tr = await wl.request<{ status: { token: string; expirationTimestamp: string } }>("POST", path, {
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: seconds },
      },
    });
    return { token: tr.status.token, expires: tr.status.expirationTimestamp };
  } catch (e) {
    throw toCliError(e, `${wl.what}: TokenRequest for ${READER_NAMESPACE}/${READER_SERVICE_ACCOUNT}`);
  }
}

async function secretToken(wl: RestClient, timeoutMs: number): Promise<Minted> {
  const name = `${READER_SERVICE_ACCOUNT}-token`;
  const path = `/api/v1/namespaces/${READER_NAMESPACE}/secrets/${name}`;
  try {
    await wl.apply(path, {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/service-account-token",
      metadata: {
        name,
        namespace: READER_NAMESPACE,
        annotations: { "kubernetes.io/service-account.name": READER_SERVICE_ACCOUNT },
      },
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await wl.get<{ data?: { token?: string } }>(path);
      if (s.data?.token) {
        return { token: decodeBase64Text(s.data.token) };
      }
      if (Date.now() >= deadline) break;
      await sleep(250);
    }
  } catch (e) {
    throw toCliError(e, `${wl.what}: Secret ${READER_NAMESPACE}/${name}`);
  }
  throw new CliError(
    "Error",
    `${wl.what}: Secret ${READER_NAMESPACE}/${name} got no token within ${timeoutMs / 1000}s ` +
      `(the token controller of kube-controller-manager fills it); use TokenRequest instead (omit --token-secret)`,
  );
}

export async function targetAdd(
  g: GlobalOptions,
  name: string,
  o: TargetAddOptions,
  io: Io,
): Promise<number> {
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253 - "-kubeconfig".length) {
    throw new CliError("Usage", `target name "${name}": must be a lowercase DNS name (a-z, 0-9, -, .)`);
  }
  if (!g.context) {
    throw new CliError("Usage", "target add needs --context <workload-context>: the cluster to register");
  }
  if (g.allNamespaces) throw new CliError("Usage", "target add writes into one namespace: use -n, not -A");
  if (o.tokenSecret && !o.serviceAccount) {
    throw new CliError("Usage", "--token-secret needs --service-account");
  }
  const kc = await loadKubeconfig({ kubeconfig: g.kubeconfig });
  const workloadContext = g.context;
  kc.resolve(workloadContext);
  const cp = await RestClient.forContext(kc, o.controlPlaneContext);
  const namespace = g.namespace ?? DEFAULT_NAMESPACE;
  let note = "";
  try {
    // Fail before writing anything when the CRDs are missing.
    try {
      await cp.get(`/apis/${API_VERSION}`);
    } catch (e) {
      if (errorCode(e) === 404) throw crdsNotInstalled(cp.contextName, { cause: e });
      throw toCliError(e, cp.what);
    }

    let flat: Flat;
    if (o.serviceAccount) {
      flat = await flatten(kc, workloadContext, name, true);
      const wl = await RestClient.forContext(kc, workloadContext);
      try {
        await applyWorkloadRbac(wl);
        const minted = o.tokenSecret
          ? await secretToken(wl, o.tokenSecretTimeoutMs ?? 10_000)
          : await tokenRequest(wl, o.tokenDurationSeconds ?? 8760 * 3600);
        for (const u of flat.users) u.user = { token: minted.token };
        note =
          `; service account ${READER_NAMESPACE}/${READER_SERVICE_ACCOUNT} on context ${workloadContext}` +
          (minted.expires
            ? `, token expires ${minted.expires} (run target add again to renew)`
            : ", token does not expire");
      } finally {
        wl.close();
      }
    } else {
      flat = await flatten(kc, workloadContext, name, o.allowExecAuth === true);
    }
    if (o.server) { for (const c of flat.clusters) c.cluster.server = o.server; }
    const kubeconfigText = await checkStorable(
      flat,
      name,
      o.serviceAccount ? false : o.allowExecAuth === true,
    );

    const secretName = `${name}-kubeconfig`;
    // ksit.io/kubeconfig: what `serve --secret-selector=ksit.io/kubeconfig=true` (chart: secrets.labelSelector) reads
    const labels = {
      "app.kubernetes.io/managed-by": "kubectl-ksit",
      "ksit.io/cluster": name,
      "ksit.io/kubeconfig": "true",
    };
    try {
      await cp.apply(`/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${secretName}`, {
        apiVersion: "v1",
        kind: "Secret",
        type: "Opaque",
        metadata: { name: secretName, namespace, labels },
        data: { kubeconfig: encodeBase64(kubeconfigText) },
      });
    } catch (e) {
      if (errorCode(e) === 404) {
        throw new CliError(
          "NotFound",
          `namespace ${namespace} not found on context ${cp.contextName}: create it (kubectl create namespace ${namespace}) ` +
            `or install KSIT there (helm install ksit deploy/helm/ksit -n ${namespace} --create-namespace)`,
          { cause: e },
        );
      }
      throw toCliError(e, `${cp.what}: apply Secret ${namespace}/${secretName}`);
    }
    const target = {
      apiVersion: API_VERSION,
      kind: "IntegrationTarget",
      metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "kubectl-ksit" } },
      spec: {
        clusterName: name,
        ...(o.labels && Object.keys(o.labels).length ? { labels: o.labels } : {}),
        kubeconfigSecretRef: { name: secretName, key: "kubeconfig" },
      },
    };
    let applied: IntegrationTarget;
    try {
      applied = await cp.apply<IntegrationTarget>(
        resourcePath("integrationtargets", namespace, name),
        target,
      );
    } catch (e) {
      if (isMissingResourceType(e)) throw crdsNotInstalled(cp.contextName, { cause: e });
      throw toCliError(e, `${cp.what}: apply IntegrationTarget ${namespace}/${name}`);
    }
    if (g.output === "json" || g.output === "yaml") io.out(document(applied, g.output));
    else {
      io.out(
        `integrationtarget.ksit.io/${name} configured in ${namespace} on context ${cp.contextName} ` +
          `(kubeconfig in secret ${secretName}${note})\n`,
      );
    }
    return EXIT.Ok;
  } finally {
    cp.close();
  }
}
