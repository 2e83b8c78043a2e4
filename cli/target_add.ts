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
import { Option } from "@commander-js/extra-typings";
import { type CommandDefinition, durationFlag, globalsOf, repeat } from "./command.ts";
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

/** The flags of `target add` (named as they are). */
export interface TargetAddOptions {
  /** `--label key=value`, repeatable. */
  label?: string[];
  controlPlaneContext?: string;
  serviceAccount?: boolean;
  /** TokenRequest lifetime in ms (with --service-account). */
  tokenDuration?: number;
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

/** `target add`: validate, then the kubeconfig to store, the Secret, the IntegrationTarget (in that order). */
export async function targetAdd(
  g: GlobalOptions,
  name: string,
  o: TargetAddOptions,
  io: Io,
): Promise<number> {
  const targetLabels = validate(g, name, o);
  const workloadContext = g.context!;
  const kc = await loadKubeconfig({ kubeconfig: g.kubeconfig });
  kc.resolve(workloadContext);
  const cp = await RestClient.forContext(kc, o.controlPlaneContext);
  const namespace = g.namespace ?? DEFAULT_NAMESPACE;
  try {
    // Fail before writing anything when the CRDs are missing.
    try {
      await cp.get(`/apis/${API_VERSION}`);
    } catch (e) {
      if (errorCode(e) === 404) throw crdsNotInstalled(cp.contextName, { cause: e });
      throw toCliError(e, cp.what);
    }
    const { text, note } = await kubeconfigToStore(kc, workloadContext, name, o);
    const secretName = await storeSecret(cp, namespace, name, text);
    const applied = await applyTarget(cp, namespace, name, secretName, targetLabels);
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

/** Usage errors before anything is read; returns the target's labels. */
function validate(g: GlobalOptions, name: string, o: TargetAddOptions): Record<string, string> {
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253 - "-kubeconfig".length) {
    throw new CliError("Usage", `target name "${name}": must be a lowercase DNS name (a-z, 0-9, -, .)`);
  }
  const labels = parseLabels(o.label ?? []);
  if (!g.context) {
    throw new CliError("Usage", "target add needs --context <workload-context>: the cluster to register");
  }
  if (g.allNamespaces) throw new CliError("Usage", "target add writes into one namespace: use -n, not -A");
  if (o.tokenSecret && !o.serviceAccount) {
    throw new CliError("Usage", "--token-secret needs --service-account");
  }
  return labels;
}

/**
 * The kubeconfig text to store: the workload context flattened, with the token of a read-only ServiceAccount
 * instead of the user's credentials when `--service-account`; checked with the rules `serve` applies to it.
 */
async function kubeconfigToStore(
  kc: Kubeconfig,
  workloadContext: string,
  name: string,
  o: TargetAddOptions,
): Promise<{ text: string; note: string }> {
  let note = "";
  let flat: Flat;
  if (o.serviceAccount) {
    flat = await flatten(kc, workloadContext, name, true);
    const wl = await RestClient.forContext(kc, workloadContext);
    try {
      await applyWorkloadRbac(wl);
      const minted = o.tokenSecret
        ? await secretToken(wl, o.tokenSecretTimeoutMs ?? 10_000)
        : await tokenRequest(wl, Math.round((o.tokenDuration ?? 8760 * 3_600_000) / 1000));
      for (const u of flat.users) u.user = { token: minted.token };
      note = `; service account ${READER_NAMESPACE}/${READER_SERVICE_ACCOUNT} on context ${workloadContext}` +
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
  const text = await checkStorable(flat, name, o.serviceAccount ? false : o.allowExecAuth === true);
  return { text, note };
}

/** The Secret `<name>-kubeconfig` (server-side apply); returns its name. */
async function storeSecret(cp: RestClient, namespace: string, name: string, text: string): Promise<string> {
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
      data: { kubeconfig: encodeBase64(text) },
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
  return secretName;
}

/** The IntegrationTarget `<name>` pointing at the Secret (server-side apply). */
async function applyTarget(
  cp: RestClient,
  namespace: string,
  name: string,
  secretName: string,
  labels: Record<string, string>,
): Promise<IntegrationTarget> {
  const target = {
    apiVersion: API_VERSION,
    kind: "IntegrationTarget",
    metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "kubectl-ksit" } },
    spec: {
      clusterName: name,
      ...(Object.keys(labels).length ? { labels } : {}),
      kubeconfigSecretRef: { name: secretName, key: "kubeconfig" },
    },
  };
  try {
    return await cp.apply<IntegrationTarget>(resourcePath("integrationtargets", namespace, name), target);
  } catch (e) {
    if (isMissingResourceType(e)) throw crdsNotInstalled(cp.contextName, { cause: e });
    throw toCliError(e, `${cp.what}: apply IntegrationTarget ${namespace}/${name}`);
  }
}

export const defineTargetAdd: CommandDefinition = (parent, { io, run }) => {
  parent
    .command("add")
    .description(
      "register the workload cluster of --context: a kubeconfig Secret and an IntegrationTarget on the control plane",
    )
    .argument("<name>", "cluster name (IntegrationTarget name and spec.clusterName)")
    .option("--label <key=value>", "target label for Integration targetSelector (repeatable)", repeat)
    .option("--control-plane-context <name>", "context of the control plane (default: the current context)")
    .option(
      "--service-account",
      "create a read-only ServiceAccount on the workload cluster and store its token",
    )
    .addOption(
      new Option("--token-duration <duration>", "TokenRequest lifetime with --service-account")
        .argParser(durationFlag).default(8760 * 3_600_000, "8760h"),
    )
    .option(
      "--token-secret",
      "with --service-account: a long-lived token Secret instead (needs kube-controller-manager)",
    )
    .option("--allow-exec-auth", "store a kubeconfig that uses an exec plugin / auth-provider")
    .option("--server <url>", "API server URL to store (how the controller reaches the cluster)")
    .action((name, opts, cmd) => run(targetAdd(globalsOf(cmd), name, opts, io)));
};
