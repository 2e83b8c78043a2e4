import { assert, assertEquals, assertMatch } from "../tests/support/assert.ts";
import { KUBECONFIG_LIMITS, KubeconfigError, nesting, parseKubeconfig } from "./kubeconfig.ts";

const CA = btoa("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
const TOKEN = "s3cr3t-t0ken-bytes";

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", ...cluster } }],
    users: [{ name: "u", user }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u", namespace: "ns" } }],
    "current-context": "ctx",
  });
}

function refused(text: string, opts: { allowExecAuth?: boolean } = {}): KubeconfigError {
  try {
    parseKubeconfig(text, { source: "Secret ns/s key kubeconfig", ...opts });
  } catch (e) {
    assert(e instanceof KubeconfigError, `KubeconfigError expected, got ${e}`);
    assert(!e.message.includes(TOKEN), `message must not quote credentials: ${e.message}`);
    return e;
  }
  throw new Error("parseKubeconfig accepted it");
}

Deno.test("Secret kubeconfig: inline data only; client-node sees only the fields KSIT copied", () => {
  const kc = parseKubeconfig(
    kubeconfig({ "certificate-authority-data": CA, "tls-server-name": "api.internal" }, {
      token: TOKEN,
      as: "system:admin",
    }),
    { source: "s" },
  );
  const cluster = kc.getCurrentCluster()!;
  assertEquals([cluster.server, cluster.caData, cluster.caFile, cluster.tlsServerName], [
    "https://10.0.0.1:6443",
    CA,
    undefined,
    "api.internal",
  ]);
  const user = kc.getCurrentUser()!;
  assertEquals(user.token, TOKEN);
  assertEquals(user.impersonateUser, undefined, "impersonation is never taken from a Secret");
  assertEquals(kc.getContextObject(kc.getCurrentContext())?.namespace, "ns");
});

Deno.test("Secret kubeconfig: every file reference is refused with FileReferenceNotAllowed, before any read", () => {
  const cases: [Record<string, unknown>, Record<string, unknown>, RegExp][] = [
    [{}, { "token-file": "/etc/hostname" }, /token-file/],
    [{}, { tokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token" }, /tokenFile/],
    [{}, { "client-certificate": "/etc/ssl/x.crt", "client-key-data": CA }, /client-certificate/],
    [{}, { "client-key": "/dev/zero", "client-certificate-data": CA }, /client-key/],
    [
      { "certificate-authority": "/etc/ssl/certs/ca-certificates.crt" },
      { token: TOKEN },
      /certificate-authority/,
    ],
  ];
  for (const [cluster, user, field] of cases) {
    const t0 = performance.now();
    const e = refused(kubeconfig(cluster, user));
    assertEquals(e.reason, "FileReferenceNotAllowed", e.message);
    assertMatch(e.message, field);
    assertMatch(e.message, /self-contained/);
    assert(performance.now() - t0 < 100, "no file is read (/dev/zero would never end)");
  }
  // an auth-provider that reads a file is refused even where exec credentials are allowed
  const provider = refused(
    kubeconfig({}, { "auth-provider": { name: "tokenFile", config: { tokenFile: "/etc/hostname" } } }),
    { allowExecAuth: true },
  );
  assertEquals(provider.reason, "FileReferenceNotAllowed");
});

Deno.test("Secret kubeconfig: exec / auth-provider refused unless allowed", () => {
  const exec = kubeconfig({}, { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "aws" } });
  assertEquals(refused(exec).reason, "ExecAuthNotAllowed");
  assertMatch(refused(exec).message, /exec plugin "aws"/);
  const kc = parseKubeconfig(exec, { source: "s", allowExecAuth: true });
  assertEquals(kc.getCurrentUser()?.exec?.command, "aws");
});

Deno.test("Secret kubeconfig: no credentials over plain http://; skip-verify kept for the warning", () => {
  const http = (user: Record<string, unknown>) =>
    kubeconfig({ server: "http://10.0.0.1:8080", "insecure-skip-tls-verify": true }, user);
  for (
    const user of [{ token: TOKEN }, { username: "admin", password: TOKEN }, {
      "client-certificate-data": CA,
    }]
  ) {
    const e = refused(http(user));
    assertEquals(e.reason, "PlaintextCredentials", e.message);
    assertMatch(e.message, /cleartext/);
  }
  // anonymous http is not a credential leak
  const kc = parseKubeconfig(http({}), { source: "s" });
  assertEquals(kc.getCurrentCluster()?.skipTLSVerify, true);
  assertEquals(refused(kubeconfig({ server: "ftp://x" }, {})).reason, "InvalidKubeconfig");
  assertMatch(refused(kubeconfig({ server: "https://user:pw@x" }, {})).message, /carries credentials/);
});

Deno.test("Secret kubeconfig: bounded size, nesting and aliases; clear words for what is not a kubeconfig", () => {
  const big = "a".repeat(KUBECONFIG_LIMITS.maxBytes + 1);
  assertMatch(refused(big).message, /too large for a kubeconfig \(at most 256 KiB\)/);

  // a 700 KB base64 blob: too large; a smaller one is a string, not a kubeconfig
  const blob = btoa(String.fromCharCode(...new Uint8Array(6000).map((_, i) => i % 251)));
  assertMatch(refused(blob.repeat(120)).message, /too large/);
  assertMatch(refused(blob).message, /not a kubeconfig \(expected a YAML mapping .*; got a string\)/);
  assertMatch(refused("[1, 2]").message, /got a list/);
  assertMatch(refused("").message, /got an empty document/);
  assertMatch(refused("a: 1").message, /without clusters, users or contexts/);

  let t0 = performance.now();
  const deep = refused("[".repeat(100_000) + "]".repeat(100_000));
  assertMatch(deep.message, /nested \d+ levels deep/);
  let block = "clusters:\n";
  for (let i = 1; i < 300; i++) block += " ".repeat(i) + "a:\n";
  assertMatch(refused(block).message, /nested/);
  assert(
    performance.now() - t0 < 200,
    `deep documents are refused without parsing (${performance.now() - t0} ms)`,
  );

  const laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let i = 0; i < 8; i++) {
    const p = String.fromCharCode(97 + i);
    const n = String.fromCharCode(98 + i);
    laughs.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(", ")}]`);
  }
  laughs.push("clusters: [*i]");
  t0 = performance.now();
  assertMatch(refused(laughs.join("\n")).message, /not valid YAML.*too many YAML aliases/);
  assert(performance.now() - t0 < 200, "billion laughs are refused before they expand");

  const field = refused(kubeconfig({}, { token: "t".repeat(KUBECONFIG_LIMITS.maxFieldBytes + 1) }));
  assertMatch(field.message, /user "u" token is 129 KiB/);
  assertEquals(refused(kubeconfig({ "certificate-authority-data": "%%%" }, {})).reason, "InvalidKubeconfig");
});

Deno.test("Secret kubeconfig: contexts", () => {
  const two = {
    clusters: [{ name: "c", cluster: { server: "https://x" } }],
    contexts: [{ name: "a", context: { cluster: "c" } }, { name: "b", context: { cluster: "c" } }],
  };
  assertMatch(refused(JSON.stringify(two)).message, /no current-context and 2 contexts/);
  assertMatch(refused(JSON.stringify({ ...two, contexts: [] })).message, /has no contexts/);
  assertMatch(refused(JSON.stringify({ ...two, "current-context": "zz" })).message, /context "zz" not found/);
  const one = parseKubeconfig(JSON.stringify({ ...two, contexts: [two.contexts[0]] }), { source: "s" });
  assertEquals(one.getCurrentContext(), "a");
});

Deno.test("the user's own kubeconfig (CLI) may reference files, as with kubectl", () => {
  const kc = parseKubeconfig(
    kubeconfig({ "certificate-authority": "/home/me/ca.crt" }, {
      "client-certificate": "/home/me/me.crt",
      "client-key": "/home/me/me.key",
      as: "someone",
    }),
    { source: "context ctx", allowFileReferences: true },
  );
  assertEquals(kc.getCurrentCluster()?.caFile, "/home/me/ca.crt");
  assertEquals([kc.getCurrentUser()?.certFile, kc.getCurrentUser()?.keyFile], [
    "/home/me/me.crt",
    "/home/me/me.key",
  ]);
  assertEquals(kc.getCurrentUser()?.impersonateUser, "someone");
  const tokenFile = parseKubeconfig(kubeconfig({}, { tokenFile: "/home/me/token" }), {
    source: "context ctx",
    allowFileReferences: true,
  });
  assertEquals(tokenFile.getCurrentUser()?.authProvider, {
    name: "tokenFile",
    config: { tokenFile: "/home/me/token" },
  });
});

Deno.test("nesting: flow depth outside quotes, and indentation", () => {
  assertEquals(nesting("a: [1, {b: 2}]\n  c: '[[[['\n"), { flow: 2, indent: 2 });
  assertEquals(nesting('x: "\\"[[["'), { flow: 0, indent: 0 });
});
