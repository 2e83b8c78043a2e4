/**
 * A target's connection settings from the Secret its `spec.kubeconfigSecretRef` names, read in place and held in
 * memory only (never written anywhere), in one of three formats, all under the Secret rules of
 * kube/kubeconfig.ts (`buildKubeConfig`: inline data only, exec and auth-provider only when allowed, no
 * credentials to a plain http:// server) and the same bounds:
 *
 * - `kubeconfig`: kubeconfig text under a key (`kubectl ksit target add`'s Secrets; Cluster API's
 *   `<cluster>-kubeconfig` Secrets, key `value`).
 * - `argocd`: an Argo CD cluster Secret (label `argocd.argoproj.io/secret-type: cluster`): fields `server` and
 *   `config`, the JSON of Argo CD's ClusterConfig (argoproj/argo-cd pkg/apis/application/v1alpha1/types.go):
 *   `bearerToken`, `username`/`password`, `tlsClientConfig` {`caData`, `certData`, `keyData`, `insecure`,
 *   `serverName`}, `proxyUrl`; `execProviderConfig` and `awsAuthConfig` run a program, refused unless
 *   `allowExecAuth` (then built as Argo CD builds them: `awsAuthConfig` runs Argo CD's own `argocd-k8s-auth aws`).
 * - `token`: a bearer token alone, for the server of a ClusterProfile access provider (KEP-5339's secret
 *   reader convention).
 *
 * With a ClusterProfile, the profile's access provider gives the cluster (server, CA, TLS server name, proxy)
 * and the Secret only the user (a token, or the user of a kubeconfig's context: KEP-5339's kubeconfig secret
 * reader). Pure: no I/O; messages never contain credential bytes.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { CredentialFormat } from "../api/types.ts";
import { decodeBase64 } from "../util/base64.ts";
import {
  buildKubeConfig,
  type ContextEntries,
  KUBECONFIG_LIMITS,
  KubeconfigError,
  nesting,
  readContext,
} from "./kubeconfig.ts";

export interface CredentialInput {
  format: CredentialFormat;
  /** `Secret <namespace>/<name>`, for messages. */
  secret: string;
  /** The Secret's data as the API gives it (base64 values). */
  data: Record<string, string>;
  /** The key of the kubeconfig or token (unused for `argocd`). */
  key: string;
  /** The cluster half from a ClusterProfile access provider, in kubeconfig `cluster` fields. */
  cluster?: { source: string; name: string; fields: Record<string, unknown> };
  allowExecAuth: boolean;
}

/** Argo CD's address for the cluster it runs in (its `in-cluster` entry). */
const ARGOCD_IN_CLUSTER = "https://kubernetes.default.svc";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A KubeConfig for the target, or a KubeconfigError with the reason and KSIT's words. */
export function credentialKubeConfig(input: CredentialInput): KubeConfig {
  const entries = input.format === "argocd"
    ? argoCdEntries(input)
    : input.format === "token"
    ? tokenEntries(input)
    : kubeconfigEntries(input);
  const source = input.cluster
    ? `${describe(input)} with the server of ${input.cluster.source}`
    : describe(input);
  // exec was checked (with Argo CD's words) before for the argocd format
  return buildKubeConfig(entries, { source, allowExecAuth: input.allowExecAuth });
}

function describe(input: CredentialInput): string {
  return input.format === "argocd" ? input.secret : `${input.secret} key ${input.key}`;
}

/** A value of the Secret as UTF-8 text (bounded), or undefined when the key is absent. */
export function secretText(
  data: Record<string, string>,
  key: string,
  where: string,
): string | undefined {
  const b64 = data[key];
  if (b64 === undefined) return undefined;
  const max = Math.ceil(KUBECONFIG_LIMITS.maxBytes * 4 / 3) + 8 * 1024;
  if (b64.length > max) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${where}: ${Math.round(b64.length * 3 / 4 / 1024)} KiB is too large (at most 256 KiB)`,
    );
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64(b64));
  } catch {
    throw new KubeconfigError("InvalidKubeconfig", `${where}: not base64-encoded UTF-8 text`);
  }
}

function kubeconfigEntries(input: CredentialInput): ContextEntries {
  const where = describe(input);
  const text = secretText(input.data, input.key, where);
  if (text === undefined) {
    throw new KubeconfigError("InvalidKubeconfig", `${where}: the Secret has no key ${input.key}`);
  }
  const entries = readContext(text, { source: where });
  if (!input.cluster) return entries;
  // the kubeconfig secret reader's way: only the user of the kubeconfig, the cluster from the profile
  return { ...entries, clusterName: input.cluster.name, cluster: input.cluster.fields };
}

function tokenEntries(input: CredentialInput): ContextEntries {
  const where = describe(input);
  const text = secretText(input.data, input.key, where);
  if (text === undefined) {
    throw new KubeconfigError("InvalidKubeconfig", `${where}: the Secret has no key ${input.key}`);
  }
  const token = text.trim();
  if (!token) throw new KubeconfigError("InvalidKubeconfig", `${where}: the token is empty`);
  if (token.length > KUBECONFIG_LIMITS.maxFieldBytes) {
    throw new KubeconfigError("InvalidKubeconfig", `${where}: the token is longer than 128 KiB`);
  }
  // deno-lint-ignore no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(token)) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${where}: not a bearer token (it contains spaces or control characters); store the token alone`,
    );
  }
  if (!input.cluster) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${where}: a token names no server; set spec.clusterProfileRef (or store a kubeconfig)`,
    );
  }
  return {
    name: input.cluster.name,
    clusterName: input.cluster.name,
    cluster: input.cluster.fields,
    userName: "token",
    user: { token },
  };
}

/** An Argo CD cluster Secret as kubeconfig entries, as Argo CD's own Cluster.RawRestConfig reads it. */
function argoCdEntries(input: CredentialInput): ContextEntries {
  const { secret, data } = input;
  const field = (key: string) => secretText(data, key, `${secret} field ${key}`);
  const server = field("server")?.trim();
  if (!server) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${secret}: no server field; an Argo CD cluster Secret names its API server in server`,
    );
  }
  const configText = field("config");
  if (configText === undefined) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${secret}: no config field; an Argo CD cluster Secret holds its credentials as JSON in config`,
    );
  }
  const config = parseConfig(configText, `${secret} field config`);
  const where = `${secret} field config`;
  const tls = optionalObject(config, "tlsClientConfig", where);
  const user: Obj = {
    token: optionalString(config, "bearerToken", where),
    username: optionalString(config, "username", where),
    password: optionalString(config, "password", where),
    "client-certificate-data": optionalString(tls, "certData", `${where}.tlsClientConfig`),
    "client-key-data": optionalString(tls, "keyData", `${where}.tlsClientConfig`),
  };
  const exec = argoCdExec(config, where, input.allowExecAuth);
  if (exec) user.exec = exec;
  const insecure = tls.insecure;
  if (insecure !== undefined && typeof insecure !== "boolean") {
    throw new KubeconfigError("InvalidKubeconfig", `${where}.tlsClientConfig: insecure is not a boolean`);
  }
  const cluster: Obj = {
    server,
    "certificate-authority-data": optionalString(tls, "caData", `${where}.tlsClientConfig`),
    "tls-server-name": optionalString(tls, "serverName", `${where}.tlsClientConfig`),
    "insecure-skip-tls-verify": insecure === true,
    "proxy-url": optionalString(config, "proxyUrl", where),
  };
  const hasCredentials = !!(user.token || user.username || user["client-certificate-data"] || user.exec);
  if (server.replace(/\/+$/, "") === ARGOCD_IN_CLUSTER && !hasCredentials) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${secret}: Argo CD's in-cluster entry (${ARGOCD_IN_CLUSTER}) has no credentials of its own: Argo CD ` +
        `uses its own ServiceAccount there, which KSIT does not borrow; register that cluster with ` +
        `kubectl ksit target add --service-account`,
    );
  }
  const name = field("name")?.trim() || "argocd-cluster";
  return { name, clusterName: name, cluster: strip(cluster), userName: name, user: strip(user) };
}

/** JSON, after the nesting bound (a hostile config must not keep the parser busy). */
function parseConfig(text: string, where: string): Obj {
  const depth = nesting(text);
  if (depth.flow > KUBECONFIG_LIMITS.maxFlowDepth) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${where}: not an Argo CD cluster config (nested too deep)`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KubeconfigError("InvalidKubeconfig", `${where}: not JSON (Argo CD's cluster config is JSON)`);
  }
  if (!isObj(value)) {
    throw new KubeconfigError("InvalidKubeconfig", `${where}: not a JSON object`);
  }
  return value;
}

function optionalObject(o: Obj, key: string, where: string): Obj {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new KubeconfigError("InvalidKubeconfig", `${where}: ${key} is not an object`);
  return v;
}

function optionalString(o: Obj, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") {
    throw new KubeconfigError("InvalidKubeconfig", `${where}: ${key} is not a string`);
  }
  return v;
}

/**
 * The exec credential of an Argo CD cluster, refused (`ExecAuthNotAllowed`) unless allowed; built as Argo CD
 * builds it: `execProviderConfig` as given (its env map as a list), `awsAuthConfig` as `argocd-k8s-auth aws
 * --cluster-name … [--role-arn …] [--profile …]`.
 */
function argoCdExec(config: Obj, where: string, allowExecAuth: boolean): Obj | undefined {
  const aws = optionalObject(config, "awsAuthConfig", where);
  const execConfig = optionalObject(config, "execProviderConfig", where);
  const hasAws = Object.keys(aws).length > 0;
  const hasExec = Object.keys(execConfig).length > 0;
  if (!hasAws && !hasExec) return undefined;
  if (hasAws) {
    if (!allowExecAuth) {
      throw new KubeconfigError(
        "ExecAuthNotAllowed",
        `${where}: awsAuthConfig gets an EKS token by running Argo CD's argocd-k8s-auth; refused. Store a ` +
          `bearerToken of a read-only ServiceAccount instead (kubectl ksit target add --service-account), or ` +
          `allow it with --allow-exec-auth (argocd-k8s-auth must then be in the controller's image; KSIT's ` +
          `image does not ship it)`,
      );
    }
    const clusterName = optionalString(aws, "clusterName", `${where}.awsAuthConfig`);
    if (!clusterName) {
      throw new KubeconfigError("InvalidKubeconfig", `${where}.awsAuthConfig: no clusterName`);
    }
    const args = ["aws", "--cluster-name", clusterName];
    const role = optionalString(aws, "roleARN", `${where}.awsAuthConfig`);
    if (role) args.push("--role-arn", role);
    const profile = optionalString(aws, "profile", `${where}.awsAuthConfig`);
    if (profile) args.push("--profile", profile);
    return {
      apiVersion: "client.authentication.k8s.io/v1beta1",
      command: "argocd-k8s-auth",
      args,
      interactiveMode: "Never",
    };
  }
  const command = optionalString(execConfig, "command", `${where}.execProviderConfig`);
  if (!command) {
    throw new KubeconfigError("InvalidKubeconfig", `${where}.execProviderConfig: no command`);
  }
  if (!allowExecAuth) {
    throw new KubeconfigError(
      "ExecAuthNotAllowed",
      `${where}: execProviderConfig runs "${
        clip(command)
      }" for credentials; refused. Store a bearerToken of a ` +
        `read-only ServiceAccount instead (kubectl ksit target add --service-account), or allow it with ` +
        `--allow-exec-auth (the command must then be in the controller's image)`,
    );
  }
  const args = execConfig.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${where}.execProviderConfig: args is not a list of strings`,
    );
  }
  const env = optionalObject(execConfig, "env", `${where}.execProviderConfig`);
  if (!Object.values(env).every((v) => typeof v === "string")) {
    throw new KubeconfigError(
      "InvalidKubeconfig",
      `${where}.execProviderConfig: env is not a map of strings`,
    );
  }
  return {
    apiVersion: optionalString(execConfig, "apiVersion", `${where}.execProviderConfig`) ??
      "client.authentication.k8s.io/v1beta1",
    command,
    args,
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
    interactiveMode: "Never",
  };
}

/** A name from a Secret, shortened for a message. */
function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}

function strip(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
