/**
 * Turning kubeconfig text into a client-node KubeConfig for one cluster, under KSIT's policy.
 *
 * Two sources, two rules:
 * - **A kubeconfig from a Secret** (the default) is written by someone else and is hostile input. It must be
 *   self-contained: only inline data (`certificate-authority-data`, `client-*-data`, `token`, basic auth) is
 *   taken. Every file reference (`certificate-authority`, `client-certificate`, `client-key`, `token-file`,
 *   an auth-provider's `tokenFile`) is refused (`FileReferenceNotAllowed`) — reading it would hand the
 *   controller's own files (its ServiceAccount token, /dev/zero, a FIFO) to whoever wrote the Secret.
 *   exec and auth-provider credentials are refused (`ExecAuthNotAllowed`) unless explicitly allowed, and
 *   credentials never go to a plain `http://` server (`PlaintextCredentials`). The text is bounded in size,
 *   nesting and YAML aliases before it is parsed, and client-node only ever sees the fields copied here
 *   (`loadFromOptions`), never the text, so it has nothing to read from disk.
 * - **The user's own kubeconfig** (`allowFileReferences`: the CLI, like kubectl) may reference files.
 *
 * Pure: parses text, never reads files or the network. Error messages never include credential bytes.
 */
import { type Cluster, KubeConfig, type User } from "@kubernetes/client-node";
import { parseDocument } from "yaml";
import { tuneTransport } from "./transport.ts";
import { encodeBase64 } from "../util/base64.ts";

export type KubeconfigReason =
  | "InvalidKubeconfig"
  | "ExecAuthNotAllowed"
  | "FileReferenceNotAllowed"
  | "PlaintextCredentials";

export class KubeconfigError extends Error {
  override readonly name = "KubeconfigError";
  constructor(readonly reason: KubeconfigReason, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Bounds on a kubeconfig from a Secret; real ones are a few KiB, 2–6 levels deep and use no aliases. */
export const KUBECONFIG_LIMITS = {
  /** Bytes of kubeconfig text (a Secret may hold up to 1 MiB). */
  maxBytes: 256 * 1024,
  /** Depth of `[` / `{` nesting (YAML's recursive parser would otherwise block the event loop for seconds). */
  maxFlowDepth: 32,
  /** Columns of indentation (block nesting depth is at most this). */
  maxIndent: 256,
  /** YAML aliases (`*a`): billion-laughs documents are refused long before they expand. */
  maxAliases: 16,
  /** Bytes of one inline field (a CA bundle, a certificate, a token). */
  maxFieldBytes: 128 * 1024,
} as const;

/** The user's own kubeconfig files may be large (hundreds of contexts); still bounded. */
const LOCAL_MAX_BYTES = 32 * 1024 * 1024;

export interface ParseOptions {
  /** Where the text came from, for messages, e.g. `Secret ksit-system/cluster-1-kubeconfig key kubeconfig`. */
  source: string;
  allowExecAuth?: boolean;
  /** Context to use; default: the kubeconfig's current-context (or its only context). */
  context?: string;
  /**
   * The user's own kubeconfig (CLI, as kubectl): file references are allowed and read by client-node when
   * used. Never set for a kubeconfig from a Secret.
   */
  allowFileReferences?: boolean;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Parses kubeconfig text and returns a KubeConfig whose current context is usable (on Deno's fetch, see
 * kube_transport.ts), or throws KubeconfigError.
 */
export function parseKubeconfig(text: string, opts: ParseOptions): KubeConfig {
  const doc = parseBounded(text, opts);
  const contextName = pickContext(doc, opts);
  const ctx = named(doc, "contexts", "context", contextName, opts.source);
  const clusterName = str(ctx.cluster);
  const userName = str(ctx.user);
  if (!clusterName) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${opts.source}: context "${contextName}" names no cluster`,
    );
  }
  const rawCluster = named(doc, "clusters", "cluster", clusterName, opts.source);
  const rawUser = userName ? namedOrEmpty(doc, "users", "user", userName) : {};
  return build({
    name: contextName,
    clusterName,
    cluster: rawCluster,
    userName: userName || "user",
    user: rawUser,
    namespace: str(ctx.namespace),
  }, opts);
}

/** One context's entries: what `parseKubeconfig` finds in the text, or what the CLI resolved from its files. */
export interface ContextEntries {
  name: string;
  clusterName: string;
  cluster: Record<string, unknown>;
  userName: string;
  user: Record<string, unknown>;
  namespace?: string;
}

/**
 * A KubeConfig for one context of the user's own kubeconfig, from the entries the CLI resolved (cli/kubeconfig.ts:
 * kubectl's loading rules, file paths made absolute), without writing and re-parsing YAML. File references are
 * allowed, as with kubectl; the other rules (no credentials over http://) hold.
 */
export function kubeConfigForContext(
  ctx: ContextEntries,
  opts: { allowExecAuth?: boolean } = {},
): KubeConfig {
  return build(ctx, {
    source: `context ${ctx.name}`,
    allowExecAuth: opts.allowExecAuth ?? true,
    allowFileReferences: true,
  });
}

function build(ctx: ContextEntries, opts: ParseOptions): KubeConfig {
  const cluster = readCluster(ctx.clusterName, ctx.cluster, opts);
  const user = readUser(ctx.userName, ctx.user, opts);
  const server = new URL(cluster.server);
  const hasCredentials = !!(user.token || user.username || user.certData || user.certFile || user.exec ||
    user.authProvider);
  if (server.protocol === "http:" && hasCredentials) {
    throw new KubeconfigError(
      "PlaintextCredentials",
      `${opts.source}: server ${server.origin} is plain http:// and user "${ctx.userName}" has credentials; ` +
        `refusing to send them in cleartext. Use the cluster's https:// address with its CA ` +
        `(certificate-authority-data)`,
    );
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [{
      name: ctx.name,
      cluster: cluster.name,
      user: user.name,
      ...(ctx.namespace ? { namespace: ctx.namespace } : {}),
    }],
    currentContext: ctx.name,
  });
  return tuneTransport(kc);
}

/** Size, nesting and alias bounds, then YAML; returns the top-level mapping. */
function parseBounded(text: string, opts: ParseOptions): Obj {
  const where = opts.source;
  const maxBytes = opts.allowFileReferences ? LOCAL_MAX_BYTES : KUBECONFIG_LIMITS.maxBytes;
  if (text.length > maxBytes) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${where}: ${kib(text.length)} is too large for a kubeconfig (at most ${kib(maxBytes)}); ` +
        `store one minified context (kubectl config view --minify --flatten)`,
    );
  }
  const depth = nesting(text);
  if (depth.flow > KUBECONFIG_LIMITS.maxFlowDepth || depth.indent > KUBECONFIG_LIMITS.maxIndent) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${where}: not a kubeconfig (nested ${Math.max(depth.flow, depth.indent)} levels deep)`,
    );
  }
  let value: unknown;
  try {
    const doc = parseDocument(text, { prettyErrors: false });
    if (doc.errors.length > 0) throw doc.errors[0];
    value = doc.toJS({ maxAliasCount: KUBECONFIG_LIMITS.maxAliases });
  } catch (e) {
    // the parser's message may quote the input: keep only the line
    const line = (e as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    const alias = /alias/i.test((e as Error).message ?? "") ? " (too many YAML aliases)" : "";
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${where}: not valid YAML${line ? ` (line ${line})` : ""}${alias}`,
      { cause: new Error((e as Error).name) },
    );
  }
  if (!isObj(value) || !("clusters" in value || "contexts" in value || "users" in value)) {
    const got = value === null || value === undefined
      ? "an empty document"
      : Array.isArray(value)
      ? "a list"
      : typeof value === "object"
      ? "a mapping without clusters, users or contexts"
      : `a ${typeof value}`;
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${where}: not a kubeconfig (expected a YAML mapping with clusters, users and contexts; got ${got})`,
    );
  }
  return value;
}

/** Deepest `[`/`{` nesting outside quoted strings, and the largest indentation, in one pass. */
export function nesting(text: string): { flow: number; indent: number } {
  let flow = 0;
  let maxFlow = 0;
  let indent = 0;
  let maxIndent = 0;
  let lineStart = true;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (c === 32) {
        indent++;
        if (indent > maxIndent) maxIndent = indent;
        continue;
      }
      lineStart = false;
    }
    if (quote) {
      if (c === 92 && quote === '"') i++; // backslash escape
      else if (String.fromCharCode(c) === quote) quote = "";
      continue;
    }
    if (c === 34 || c === 39) quote = String.fromCharCode(c);
    else if (c === 91 || c === 123) {
      flow++;
      if (flow > maxFlow) maxFlow = flow;
    } else if ((c === 93 || c === 125) && flow > 0) flow--;
  }
  return { flow: maxFlow, indent: maxIndent };
}

function pickContext(doc: Obj, opts: ParseOptions): string {
  if (opts.context) return opts.context;
  const current = str(doc["current-context"]);
  if (current) return current;
  const contexts = Array.isArray(doc.contexts) ? doc.contexts : [];
  if (contexts.length === 1 && isObj(contexts[0]) && str(contexts[0].name)) return str(contexts[0].name)!;
  throw new KubeconfigError(
    "InvalidKubeconfig",
    contexts.length === 0
      ? `${opts.source}: the kubeconfig has no contexts`
      : `${opts.source}: no current-context and ${contexts.length} contexts; set current-context`,
  );
}

/** `list[i].field` of the entry called `name` (e.g. the cluster of a context). */
function named(doc: Obj, list: string, field: string, name: string, source: string): Obj {
  const found = namedOrUndefined(doc, list, field, name);
  if (!found) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${source}: ${field} "${name}" not found in ${list}`,
    );
  }
  return found;
}

function namedOrEmpty(doc: Obj, list: string, field: string, name: string): Obj {
  return namedOrUndefined(doc, list, field, name) ?? {};
}

function namedOrUndefined(doc: Obj, list: string, field: string, name: string): Obj | undefined {
  const entries = Array.isArray(doc[list]) ? doc[list] as unknown[] : [];
  for (const e of entries) {
    if (isObj(e) && e.name === name) return isObj(e[field]) ? e[field] as Obj : {};
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function kib(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

/** A string field, bounded; base64 fields must decode. */
function field(o: Obj, key: string, what: string, opts: ParseOptions, base64 = false): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") {
    throw new KubeconfigError("InvalidKubeconfig", `${opts.source}: ${what} ${key} is not a string`);
  }
  if (!opts.allowFileReferences && v.length > KUBECONFIG_LIMITS.maxFieldBytes) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${opts.source}: ${what} ${key} is ${kib(v.length)}, more than ${kib(KUBECONFIG_LIMITS.maxFieldBytes)}`,
    );
  }
  if (base64 && !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(v)) {
    throw new KubeconfigError("InvalidKubeconfig", `${opts.source}: ${what} ${key} is not base64`);
  }
  return v;
}

function refuseFile(o: Obj, keys: readonly string[], what: string, inline: string, opts: ParseOptions): void {
  if (opts.allowFileReferences) return;
  for (const key of keys) {
    if (o[key] === undefined || o[key] === null || o[key] === "") continue;
    throw new KubeconfigError(
      "FileReferenceNotAllowed",
      `${opts.source}: ${what} sets ${key}, a file path; a kubeconfig in a Secret must be self-contained: ` +
        `put the content inline as ${inline} (kubectl config view --minify --flatten, or kubectl ksit target add)`,
    );
  }
}

function readCluster(name: string, c: Obj, opts: ParseOptions): Cluster {
  const what = `cluster "${name}"`;
  refuseFile(c, ["certificate-authority"], what, "certificate-authority-data", opts);
  const server = field(c, "server", what, opts);
  if (!server) throw new KubeconfigError("InvalidKubeconfig", `${opts.source}: ${what} has no server`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeconfigError("InvalidKubeconfig", `${opts.source}: ${what}: server is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${opts.source}: ${what}: server must be an https:// URL (got ${url.protocol})`,
    );
  }
  if (url.username || url.password) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${opts.source}: ${what}: server URL carries credentials; use the user entry`,
    );
  }
  const proxyUrl = field(c, "proxy-url", what, opts);
  if (proxyUrl) {
    let p: URL;
    try {
      p = new URL(proxyUrl);
    } catch {
      throw new KubeconfigError("InvalidKubeconfig", `${opts.source}: ${what}: proxy-url is not a URL`);
    }
    if (!["http:", "https:", "socks5:", "socks5h:"].includes(p.protocol)) {
      throw new KubeconfigError(
        "InvalidKubeconfig",
        `${opts.source}: ${what}: proxy-url must be http, https or socks5 (got ${p.protocol})`,
      );
    }
  }
  const caFile = opts.allowFileReferences ? field(c, "certificate-authority", what, opts) : undefined;
  const caData = field(c, "certificate-authority-data", what, opts, true);
  const tlsServerName = field(c, "tls-server-name", what, opts);
  return {
    name,
    server: server.replace(/\/+$/, ""),
    skipTLSVerify: c["insecure-skip-tls-verify"] === true,
    ...(caData ? { caData } : {}),
    ...(caFile ? { caFile } : {}),
    ...(tlsServerName ? { tlsServerName } : {}),
    ...(proxyUrl ? { proxyUrl } : {}),
  };
}

/** auth-provider config keys that name files. */
const AUTH_PROVIDER_FILE_KEY = /file|certificate-authority$|^cmd-path$/i;

function readUser(name: string, u: Obj, opts: ParseOptions): User {
  const what = `user "${name}"`;
  refuseFile(u, ["token-file", "tokenFile"], what, "token", opts);
  refuseFile(u, ["client-certificate"], what, "client-certificate-data", opts);
  refuseFile(u, ["client-key"], what, "client-key-data", opts);
  const exec = u.exec;
  const authProvider = u["auth-provider"];
  if ((exec || authProvider) && !opts.allowExecAuth) {
    const how = exec
      ? `exec plugin "${isObj(exec) ? str(exec.command) ?? "?" : "?"}"`
      : `auth-provider "${isObj(authProvider) ? str(authProvider.name) ?? "?" : "?"}"`;
    throw new KubeconfigError(
      "ExecAuthNotAllowed",
      `${opts.source}: ${what} authenticates with ${how}; refused. ` +
        `Use a token or client-certificate kubeconfig (kubectl ksit target add --service-account), ` +
        `or allow it with --allow-exec-auth`,
    );
  }
  if (isObj(authProvider) && isObj(authProvider.config) && !opts.allowFileReferences) {
    for (const key of Object.keys(authProvider.config)) {
      if (!AUTH_PROVIDER_FILE_KEY.test(key) || key.endsWith("-data")) continue;
      throw new KubeconfigError(
        "FileReferenceNotAllowed",
        `${opts.source}: ${what}: auth-provider config ${key} names a file or program; a kubeconfig in a ` +
          `Secret must be self-contained`,
      );
    }
  }
  if (exec !== undefined && (!isObj(exec) || !str(exec.command))) {
    throw new KubeconfigError("InvalidKubeconfig", `${opts.source}: ${what}: exec has no command`);
  }
  const token = field(u, "token", what, opts);
  const certData = field(u, "client-certificate-data", what, opts, true);
  const keyData = field(u, "client-key-data", what, opts, true);
  const username = field(u, "username", what, opts);
  const password = field(u, "password", what, opts);
  const certFile = opts.allowFileReferences ? field(u, "client-certificate", what, opts) : undefined;
  const keyFile = opts.allowFileReferences ? field(u, "client-key", what, opts) : undefined;
  const tokenFile = opts.allowFileReferences
    ? field(u, "token-file", what, opts) ?? field(u, "tokenFile", what, opts)
    : undefined;
  return {
    name,
    ...(token ? { token } : {}),
    ...(certData ? { certData } : {}),
    ...(keyData ? { keyData } : {}),
    ...(certFile ? { certFile } : {}),
    ...(keyFile ? { keyFile } : {}),
    ...(username ? { username, password: password ?? "" } : {}),
    ...(exec ? { exec } : {}),
    ...(authProvider ? { authProvider } : {}),
    // impersonation (`as`) only from the user's own kubeconfig: KSIT never needs it for a Secret's
    ...(opts.allowFileReferences && str(u.as) ? { impersonateUser: str(u.as) } : {}),
    // the user's own token file (CLI): read on use, like kubectl, through client-node's file authenticator
    ...(tokenFile && !token ? { authProvider: { name: "tokenFile", config: { tokenFile } } } : {}),
  };
}

/**
 * One context only, with every file reference inlined (certificate/key/token files read through `readFile`),
 * like `kubectl config view --minify --flatten`. The result is safe to store in a Secret (the caller checks
 * it with `parseKubeconfig` before storing it).
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
  const b64file = (p: string) => encodeBase64(readFile(p));
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
    const provider = user.authProvider as { name?: string; config?: { tokenFile?: string } } | undefined;
    if (provider?.name === "tokenFile" && provider.config?.tokenFile) {
      // a token file on this laptop: inline the token
      u.token = new TextDecoder().decode(readFile(provider.config.tokenFile)).trim();
    } else if (provider) u["auth-provider"] = provider;
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
