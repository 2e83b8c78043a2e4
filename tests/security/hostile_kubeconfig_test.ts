/**
 * Hostile kubeconfig Secrets against a running `serve` (issue 11, defects 1, 2, 7): whoever can write a
 * Secret in the watched namespace must not make the controller read its own files, send them anywhere,
 * block, grow without bound, send credentials in cleartext, or stop judging the other clusters.
 * Each hostile server is a recording fake; a healthy real cluster is judged (and a break detected) throughout.
 */
import { stringify } from "yaml";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { installCrds } from "../support/crds.ts";
import { FakeApiServer } from "../support/fake_cluster.ts";
import { useHarness } from "../support/harness.ts";
import { eventually } from "../support/poll.ts";
import {
  adminKc,
  createIntegration,
  createNamespace,
  createTarget,
  dumpOnFailure,
  getIntegration,
  getTarget,
  putKubeconfigSecret,
  readyCondition,
  seedFixture,
  startServe,
  waitPhase,
} from "../support/serve.ts";
import { setDeploymentStatus } from "../support/workloads.ts";

const harness = useHarness({ clusters: ["cp", "cluster-1"] });
const ns = "hostile";
const TOKEN = "stolen-token-must-never-leave";

function kubeconfig(server: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server, ...cluster } }],
    users: [{ name: "u", user }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
    "current-context": "c",
  });
}

Deno.test("hostile kubeconfig Secrets: refused with their own reasons; nothing read, sent or blocked", async () => {
  const h = harness();
  const cpc = h.cluster("cp");
  await installCrds(cpc);
  const cp = adminKc(cpc);
  await createNamespace(cp, ns);
  const dir = await Deno.makeTempDir({ prefix: "ksit-hostile-" });
  const fifo = `${dir}/fifo`;
  const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert(mk.success, "mkfifo");
  await Deno.symlink("/etc/hostname", `${dir}/link`);
  const tls = { cert: h.pki.serving.certPem, key: h.pki.serving.keyPem };
  const fake = FakeApiServer.start({ tls }); // records whether anything reached it
  const plain = FakeApiServer.start(); // plain http
  const ca = btoa(h.pki.ca.certPem);
  const onFake = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}) =>
    kubeconfig(fake.url, { "certificate-authority-data": ca, ...cluster }, user);

  const laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let i = 0; i < 8; i++) {
    const [p, n] = [String.fromCharCode(97 + i), String.fromCharCode(98 + i)];
    laughs.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(", ")}]`);
  }
  laughs.push("clusters: [*i]");

  const cases: { name: string; kubeconfig: string; reason: string; message: RegExp }[] = [
    {
      name: "token-file",
      kubeconfig: onFake({ "token-file": "/etc/hostname" }),
      reason: "FileReferenceNotAllowed",
      message: /token-file, a file path/,
    },
    {
      name: "sa-token",
      kubeconfig: onFake({ tokenFile: "/var/run/secrets/kubernetes.io/serviceaccount/token" }),
      reason: "FileReferenceNotAllowed",
      message: /tokenFile/,
    },
    {
      name: "dev-zero",
      kubeconfig: onFake({ "token-file": "/dev/zero" }),
      reason: "FileReferenceNotAllowed",
      message: /token-file/,
    },
    {
      name: "fifo",
      kubeconfig: onFake({ "token-file": fifo }),
      reason: "FileReferenceNotAllowed",
      message: /token-file/,
    },
    {
      name: "symlink",
      kubeconfig: onFake({ "token-file": `${dir}/link` }),
      reason: "FileReferenceNotAllowed",
      message: /token-file/,
    },
    {
      name: "client-cert-files",
      kubeconfig: onFake({
        "client-certificate": "/etc/ssl/certs/ca-certificates.crt",
        "client-key": "/dev/zero",
      }),
      reason: "FileReferenceNotAllowed",
      message: /client-certificate/,
    },
    {
      name: "ca-file",
      kubeconfig: kubeconfig(fake.url, { "certificate-authority": "/etc/ssl/certs/ca-certificates.crt" }, {
        token: TOKEN,
      }),
      reason: "FileReferenceNotAllowed",
      message: /certificate-authority, a file path/,
    },
    {
      name: "auth-provider-file",
      kubeconfig: onFake({ "auth-provider": { name: "tokenFile", config: { tokenFile: "/etc/hostname" } } }),
      reason: "ExecAuthNotAllowed",
      message: /auth-provider "tokenFile"; refused/,
    },
    {
      name: "exec",
      kubeconfig: onFake({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "/bin/sh" } }),
      reason: "ExecAuthNotAllowed",
      message: /exec plugin "\/bin\/sh"/,
    },
    {
      name: "laughs",
      kubeconfig: laughs.join("\n"),
      reason: "InvalidKubeconfig",
      message: /too many YAML aliases/,
    },
    {
      name: "deep",
      kubeconfig: "[".repeat(50_000) + "]".repeat(50_000),
      reason: "InvalidKubeconfig",
      message: /nested/,
    },
    {
      name: "huge",
      kubeconfig: "#".repeat(900_000),
      reason: "InvalidKubeconfig",
      message: /too large for a kubeconfig/,
    },
    {
      name: "base64-blob",
      kubeconfig: btoa(String.fromCharCode(...new Uint8Array(30_000).map((_, i) => (i * 7) % 256))),
      reason: "InvalidKubeconfig",
      message: /not a kubeconfig \(expected a YAML mapping.*got a string\)/,
    },
    {
      name: "plaintext",
      kubeconfig: kubeconfig(plain.url, { "insecure-skip-tls-verify": true }, { token: TOKEN }),
      reason: "PlaintextCredentials",
      message: /plain http:\/\/ .*cleartext/,
    },
    {
      name: "metadata",
      kubeconfig: kubeconfig("https://169.254.169.254", {}, { token: TOKEN }),
      reason: "ServerNotAllowed",
      message: /link-local address .* allow it with --allowed-servers=169\.254\.0\.0\/16/,
    },
    {
      name: "proxy-metadata",
      kubeconfig: onFake({ token: TOKEN }, { "proxy-url": "http://169.254.169.254:80" }),
      reason: "ServerNotAllowed",
      message: /proxy-url 169\.254\.169\.254 is a link-local address/,
    },
    {
      // an SNI override does not switch verification off: the fake's certificate is not for this name
      name: "tls-server-name",
      kubeconfig: onFake({ token: TOKEN }, { "tls-server-name": "evil.example.com" }),
      reason: "ClusterUnreachable",
      message: /TLS/,
    },
  ];
  for (const c of cases) {
    await putKubeconfigSecret(cp, ns, `${c.name}-kubeconfig`, c.kubeconfig);
    await createTarget(cp, ns, c.name, { clusterName: c.name });
  }
  // skip-verify is accepted, with a warning on the target; impersonation from a Secret is never used
  await putKubeconfigSecret(
    cp,
    ns,
    "skip-verify-kubeconfig",
    kubeconfig(fake.url, { "insecure-skip-tls-verify": true }, { token: "skip-token", as: "system:admin" }),
  );
  await createTarget(cp, ns, "skip-verify", { clusterName: "skip-verify" });
  // and one healthy real cluster, judged throughout
  const c1 = adminKc(h.cluster("cluster-1"));
  await seedFixture(c1, "tools/argocd/install.yaml", "argocd");
  await putKubeconfigSecret(cp, ns, "cluster-1-kubeconfig", h.cluster("cluster-1").kubeconfigYaml);
  await createTarget(cp, ns, "cluster-1", { clusterName: "cluster-1" });
  await createIntegration(cp, ns, "argo", { type: "argocd", targetClusters: ["cluster-1"] });
  await createIntegration(cp, ns, "hostile", {
    type: "flux",
    targetClusters: [...cases.map((c) => c.name), "skip-verify"],
  });

  const serve = await startServe({ kubeconfigPath: cpc.kubeconfigPath, namespace: ns });
  try {
    await dumpOnFailure([serve], async () => {
      for (const c of cases) {
        const t = await eventually(async () => {
          const t = await getTarget(cp, ns, c.name);
          return readyCondition(t)?.reason === c.reason ? t : undefined;
        }, { what: `${c.name}: ${c.reason}`, timeoutMs: 30_000 });
        assertMatch(readyCondition(t)?.message ?? "", c.message, c.name);
      }
      const skip = await eventually(async () => {
        const t = await getTarget(cp, ns, "skip-verify");
        return readyCondition(t)?.reason === "Connected" ? t : undefined;
      }, { what: "skip-verify Connected" });
      assertMatch(
        readyCondition(skip)?.message ?? "",
        /warning: insecure-skip-tls-verify is set, the server's identity is not verified/,
      );
      assert(fake.requests.length > 0, "the skip-verify target reached the fake");
      assert(
        fake.requests.every((r) => !r.headers.has("impersonate-user")),
        "no impersonation from a Secret",
      );
      // nothing but the skip-verify target's requests (token skip-token) ever reached a fake server
      const auth = fake.requests.map((r) => r.headers.get("authorization") ?? "");
      assert(
        auth.every((a) => a === "" || a === "Bearer skip-token"),
        `credentials sent: ${auth.join(", ")}`,
      );
      assertEquals(plain.requests.length, 0, "no request to the plain http:// server");
      const hostname = (await Deno.readTextFile("/etc/hostname")).trim();
      for (const r of fake.requests) assert(!JSON.stringify([...r.headers]).includes(hostname));

      // the controller stayed responsive and small, and judges the healthy cluster at once
      const healthz = await serve.get("/healthz");
      assertEquals(healthz.status, 200);
      await waitPhase(cp, ns, "argo", "Running");
      await setDeploymentStatus(c1, "argocd", "argocd-repo-server", { replicas: 2, available: 0 });
      await waitPhase(cp, ns, "argo", "Failed", 15_000);
      const rss = await serve.rssKiB();
      console.log(`serve RSS with ${cases.length + 1} hostile targets: ${Math.round(rss / 1024)} MiB`);
      assert(rss < 400 * 1024, `RSS ${Math.round(rss / 1024)} MiB`);
      // the hostile targets' Integration: each hostile target Unknown with its reason, no secret bytes
      const all = await eventually(async () => {
        const i = await getIntegration(cp, ns, "hostile");
        return i.status?.summary?.targets === cases.length + 1 ? i : undefined;
      }, { what: "the hostile Integration judged" });
      for (const c of cases) {
        const cl = all.status?.clusters?.find((x) => x.name === c.name);
        assertEquals([cl?.phase, cl?.reason], ["Unknown", c.reason], c.name);
      }
      assert(!JSON.stringify(all.status).includes(TOKEN));
      assert(!(await serve.tail(2000)).includes(TOKEN), "the token never appears in serve's log");
    });
  } finally {
    assertEquals(await serve.stop(), 0);
    await fake.close();
    await plain.close();
    await Deno.remove(dir, { recursive: true });
  }
});
