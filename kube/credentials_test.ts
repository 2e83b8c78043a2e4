import { assert, assertEquals, assertMatch } from "../tests/support/assert.ts";
import { type CredentialInput, credentialKubeConfig } from "./credentials.ts";
import { KubeconfigError } from "./kubeconfig.ts";

const CA = btoa("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
const CERT = btoa("-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n");
const KEY = btoa("-----BEGIN EC PRIVATE KEY-----\nMHQ\n-----END EC PRIVATE KEY-----\n");
const TOKEN = "s3cr3t-t0ken-bytes";

/** An Argo CD cluster Secret's data, shaped as Argo CD's docs show it (declarative-setup.md, "Clusters"). */
function argo(config: unknown, fields: Record<string, string> = {}): CredentialInput {
  const data: Record<string, string> = {
    name: btoa("prod-1.example.com"),
    server: btoa("https://10.0.0.1:6443"),
    config: btoa(typeof config === "string" ? config : JSON.stringify(config)),
  };
  for (const [k, v] of Object.entries(fields)) data[k] = btoa(v);
  return {
    format: "argocd",
    secret: "Secret argocd/cluster-prod-1",
    data,
    key: "config",
    allowExecAuth: false,
  };
}

function refused(input: CredentialInput): KubeconfigError {
  try {
    credentialKubeConfig(input);
  } catch (e) {
    assert(e instanceof KubeconfigError, `KubeconfigError expected, got ${e}`);
    assert(!e.message.includes(TOKEN), `message must not quote credentials: ${e.message}`);
    return e;
  }
  throw new Error("accepted");
}

Deno.test("argocd: bearer token with caData and serverName; a TLS client certificate; insecure", () => {
  const kc = credentialKubeConfig(argo({
    bearerToken: TOKEN,
    tlsClientConfig: { insecure: false, caData: CA, serverName: "api.internal" },
  }));
  const cluster = kc.getCurrentCluster()!;
  assertEquals([cluster.server, cluster.caData, cluster.tlsServerName, cluster.skipTLSVerify], [
    "https://10.0.0.1:6443",
    CA,
    "api.internal",
    false,
  ]);
  assertEquals(kc.getCurrentUser()?.token, TOKEN);

  const cert = credentialKubeConfig(argo({ tlsClientConfig: { caData: CA, certData: CERT, keyData: KEY } }));
  assertEquals([cert.getCurrentUser()?.certData, cert.getCurrentUser()?.keyData], [CERT, KEY]);

  const insecure = credentialKubeConfig(argo({ bearerToken: TOKEN, tlsClientConfig: { insecure: true } }));
  assertEquals(insecure.getCurrentCluster()?.skipTLSVerify, true);
  assertEquals(insecure.getCurrentCluster()?.caData, undefined);
});

Deno.test("argocd: execProviderConfig and awsAuthConfig refused unless allowed; then built as Argo CD builds them", () => {
  const exec = {
    execProviderConfig: {
      command: "aws",
      args: ["eks", "get-token"],
      env: { AWS_PROFILE: TOKEN },
      apiVersion: "client.authentication.k8s.io/v1beta1",
    },
    tlsClientConfig: { caData: CA },
  };
  const e = refused(argo(exec));
  assertEquals(e.reason, "ExecAuthNotAllowed");
  assertMatch(
    e.message,
    /field config: execProviderConfig runs "aws" for credentials; refused.*--allow-exec-auth/,
  );
  const allowed = credentialKubeConfig({ ...argo(exec), allowExecAuth: true });
  const user = allowed.getCurrentUser() as unknown as { exec: Record<string, unknown> };
  assertEquals(user.exec.command, "aws");
  assertEquals(user.exec.args, ["eks", "get-token"]);
  assertEquals(user.exec.env, [{ name: "AWS_PROFILE", value: TOKEN }]);

  const aws = {
    awsAuthConfig: { clusterName: "prod", roleARN: "arn:aws:iam::1:role/r" },
    tlsClientConfig: { caData: CA },
  };
  const a = refused(argo(aws));
  assertEquals(a.reason, "ExecAuthNotAllowed");
  assertMatch(a.message, /awsAuthConfig .*argocd-k8s-auth; refused.*does not ship it/);
  const awsAllowed = credentialKubeConfig({ ...argo(aws), allowExecAuth: true });
  const awsUser = awsAllowed.getCurrentUser() as unknown as { exec: Record<string, unknown> };
  assertEquals(awsUser.exec.command, "argocd-k8s-auth");
  assertEquals(awsUser.exec.args, ["aws", "--cluster-name", "prod", "--role-arn", "arn:aws:iam::1:role/r"]);
});

Deno.test("argocd: malformed Secrets get InvalidKubeconfig naming the field; plain http with a token is refused", () => {
  const cases: [CredentialInput, RegExp][] = [
    [argo("{not json"), /field config: not JSON/],
    [argo("[1,2]"), /field config: not a JSON object/],
    [argo("[".repeat(40) + "]".repeat(40)), /nested too deep/],
    [argo({ bearerToken: 5 }), /bearerToken is not a string/],
    [argo({ tlsClientConfig: "x" }), /tlsClientConfig is not an object/],
    [argo({ tlsClientConfig: { insecure: "yes" } }), /insecure is not a boolean/],
    [argo({ execProviderConfig: { args: [] } }), /execProviderConfig: no command/],
    [{ ...argo({}), data: { config: btoa("{}") } }, /no server field/],
    [{ ...argo({}), data: { server: btoa("https://x") } }, /no config field/],
    [argo({}, { server: "https://kubernetes.default.svc" }), /in-cluster entry .* has no credentials/],
    [argo({ tlsClientConfig: { caData: "not base64!" } }), /certificate-authority-data is not base64/],
  ];
  for (const [input, message] of cases) {
    const e = refused(input);
    assertEquals(e.reason, "InvalidKubeconfig", e.message);
    assertMatch(e.message, message);
    assert(e.message.startsWith("Secret argocd/cluster-prod-1"), e.message);
  }
  const plain = refused(argo({ bearerToken: TOKEN }, { server: "http://10.0.0.1:8080" }));
  assertEquals(plain.reason, "PlaintextCredentials");
});

const profileCluster = (fields: Record<string, unknown> = {}) => ({
  source: "ClusterProfile fleet/prod-1 (access provider secretreader)",
  name: "prod-1",
  fields: { server: "https://10.0.0.2:6443", "certificate-authority-data": CA, ...fields },
});

Deno.test("token: a bearer token for the server of a ClusterProfile; bounded and checked", () => {
  const token = (value: string, cluster = profileCluster()): CredentialInput => ({
    format: "token",
    secret: "Secret ksit-system/prod-1",
    data: { token: btoa(value) },
    key: "token",
    cluster,
    allowExecAuth: false,
  });
  const kc = credentialKubeConfig(token(`${TOKEN}\n`));
  assertEquals(kc.getCurrentUser()?.token, TOKEN);
  assertEquals([kc.getCurrentCluster()?.server, kc.getCurrentCluster()?.caData], [
    "https://10.0.0.2:6443",
    CA,
  ]);
  assertMatch(refused(token("  ")).message, /token is empty/);
  assertMatch(refused(token(`${TOKEN}\nX-Injected: 1`)).message, /not a bearer token/);
  assertMatch(
    refused({ ...token(TOKEN), cluster: undefined }).message,
    /names no server; set spec\.clusterProfileRef/,
  );
  assertMatch(refused({ ...token(TOKEN), key: "other" }).message, /has no key other/);
  const file = refused(token(TOKEN, profileCluster({ "certificate-authority": "/etc/ca.crt" })));
  assertEquals(file.reason, "FileReferenceNotAllowed");
  assertMatch(file.message, /with the server of ClusterProfile fleet\/prod-1/);
});

Deno.test("kubeconfig with a ClusterProfile: the kubeconfig's user, the profile's cluster", () => {
  const text = JSON.stringify({
    clusters: [{ name: "c", cluster: { server: "https://elsewhere:1" } }],
    users: [{ name: "u", user: { token: TOKEN } }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    "current-context": "ctx",
  });
  const kc = credentialKubeConfig({
    format: "kubeconfig",
    secret: "Secret fleet/prod-1-kubeconfig",
    data: { value: btoa(text) },
    key: "value",
    cluster: profileCluster({ "tls-server-name": "prod-1.internal" }),
    allowExecAuth: false,
  });
  assertEquals(kc.getCurrentCluster()?.server, "https://10.0.0.2:6443");
  assertEquals(kc.getCurrentCluster()?.tlsServerName, "prod-1.internal");
  assertEquals(kc.getCurrentUser()?.token, TOKEN);
});
