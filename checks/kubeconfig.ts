/**
 * Turning kubeconfig text (from a Secret or a local file) into a client-node KubeConfig for one cluster,
 * under KSIT's policy: exec and auth-provider credentials are refused unless explicitly allowed, because
 * they run programs / need plugins that an in-cluster controller must not run by surprise.
 * Pure: parses text, never reads files or the network. Error messages never include credential bytes.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { tuneTransport } from "./kube_transport.ts";

export type KubeconfigReason = "InvalidKubeconfig" | "ExecAuthNotAllowed";

export class KubeconfigError extends Error {
  override readonly name = "KubeconfigError";
  constructor(readonly reason: KubeconfigReason, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export interface ParseOptions {
  /** Where the text came from, for messages, e.g. `Secret ksit-system/cluster-1-kubeconfig key kubeconfig`. */
  source: string;
  allowExecAuth?: boolean;
  /** Context to use; default: the kubeconfig's current-context (or its only context). */
  context?: string;
}

/**
 * Parses kubeconfig text and returns a KubeConfig whose current context is usable (on Deno's fetch, see
 * kube_transport.ts), or throws KubeconfigError.
 */
export function parseKubeconfig(text: string, opts: ParseOptions): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (e) {
    // the parser's message may quote the input; do not pass it on
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${opts.source}: not a valid kubeconfig (YAML or fields)`,
      {
        cause: new Error((e as Error).name),
      },
    );
  }
  const contextName = opts.context ?? (kc.getCurrentContext() ||
    (kc.getContexts().length === 1 ? kc.getContexts()[0]!.name : ""));
  if (!contextName) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${opts.source}: no current-context and more than one context`,
    );
  }
  const ctx = kc.getContextObject(contextName);
  if (!ctx) {
    throw new KubeconfigError("InvalidKubeconfig", `${opts.source}: context "${contextName}" not found`);
  }
  kc.setCurrentContext(contextName);
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster?.server) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${opts.source}: context "${contextName}" has no cluster server`,
    );
  }
  try {
    new URL(cluster.server);
  } catch {
    throw new KubeconfigError("InvalidKubeconfig", `${opts.source}: cluster server is not a URL`);
  }
  const user = kc.getUser(ctx.user);
  if (user && (user.exec || user.authProvider) && !opts.allowExecAuth) {
    const what = user.exec
      ? `exec plugin "${user.exec.command ?? "?"}"`
      : `auth-provider "${user.authProvider?.name}"`;
    throw new KubeconfigError(
      "ExecAuthNotAllowed",
      `${opts.source}: user "${ctx.user}" authenticates with ${what}; refused. ` +
        `Use a token or client-certificate kubeconfig (kubectl ksit target add --service-account), ` +
        `or allow it with --allow-exec-auth`,
    );
  }
  return tuneTransport(kc);
}

/**
 * One context only, with every file reference inlined (certificate/key/token files read through `readFile`),
 * like `kubectl config view --minify --flatten`. The result is safe to store in a Secret.
 */
export function minifyFlatten(
  kc: KubeConfig,
  readFile: (path: string) => Uint8Array,
  rename?: string,
): Record<string, unknown> {
  const ctx = kc.getContextObject(kc.getCurrentContext());
  if (!ctx) throw new KubeconfigError("InvalidKubeconfig", "kubeconfig has no current context");
  const cluster = kc.getCluster(ctx.cluster);
  const user = kc.getUser(ctx.user);
  if (!cluster) throw new KubeconfigError("InvalidKubeconfig", `context ${ctx.name}: cluster not found`);
  const b64file = (p: string) => btoa(String.fromCharCode(...readFile(p)));
  const name = rename ?? ctx.name;
  const c: Record<string, unknown> = { server: cluster.server };
  if (cluster.caData) c["certificate-authority-data"] = cluster.caData;
  else if (cluster.caFile) c["certificate-authority-data"] = b64file(cluster.caFile);
  if (cluster.skipTLSVerify) c["insecure-skip-tls-verify"] = true;
  if (cluster.tlsServerName) c["tls-server-name"] = cluster.tlsServerName;
  if (cluster.proxyUrl) c["proxy-url"] = cluster.proxyUrl;
  const u: Record<string, unknown> = {};
  if (user) {
    if (user.certData) u["client-certificate-data"] = user.certData;
    else if (user.certFile) u["client-certificate-data"] = b64file(user.certFile);
    if (user.keyData) u["client-key-data"] = user.keyData;
    else if (user.keyFile) u["client-key-data"] = b64file(user.keyFile);
    if (user.token) u.token = user.token;
    if (user.username) u.username = user.username;
    if (user.password) u.password = user.password;
    if (user.exec) u.exec = user.exec;
    if (user.authProvider) u["auth-provider"] = user.authProvider;
  }
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: c }],
    users: [{ name, user: u }],
    contexts: [{
      name,
      context: { cluster: name, user: name, ...(ctx.namespace ? { namespace: ctx.namespace } : {}) },
    }],
    "current-context": name,
  };
}
