/**
 * `kubectl ksit check` and `kubectl ksit target add|list` end to end on real API servers: `cp` (control plane,
 * CRDs installed) and `cluster-1` (a workload cluster with Argo CD and Flux seeded from tests/fixtures).
 */
import { decodeBase64 } from "../util/base64.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";
import { installCrds } from "./support/crds.ts";
import { type Harness, type RunResult, useHarness } from "./support/harness.ts";
import { adminKc, seedFixture } from "./support/serve.ts";
import { setDeploymentStatus } from "./support/workloads.ts";
import { parse } from "yaml";

const harness = useHarness({ clusters: ["cp", "cluster-1"] });
const root = new URL("../", import.meta.url).pathname;
const main = `${root}main.ts`;
let dir = "";
/** KUBECONFIG with three files: cp, cluster-1, and `dead` (a closed port). */
let kubeconfigEnv = "";
/** A TCP listener that accepts and never answers (for deadlines). */
let silent: Deno.Listener | undefined;
const held: Deno.Conn[] = [];

Deno.test.beforeAll(async () => {
  const h = harness();
  const cp = h.cluster("cp");
  const c1 = h.cluster("cluster-1");
  dir = await Deno.makeTempDir({ prefix: "ksit-cli-check-" });
  await installCrds(cp);
  assertEquals((await cp.kubectl(["create", "namespace", "ksit-system"])).code, 0);
  const kc1 = adminKc(c1);
  await seedFixture(kc1, "tools/argocd/install.yaml", "argocd");
  await seedFixture(kc1, "tools/flux/install.yaml", "flux-system");
  await seedFixture(kc1, "tools/argocd/install.yaml", "my-argo");

  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (listener.addr as Deno.NetAddr).port;
  listener.close();
  silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of silent!) held.push(conn);
  })().catch(() => {});
  const admin = { certPem: h.pki.admin.certPem, keyPem: h.pki.admin.keyPem };
  await Deno.writeTextFile(`${dir}/cp`, cp.kubeconfigFor(admin, { contextName: "cp" }));
  await Deno.writeTextFile(`${dir}/c1`, c1.kubeconfigFor(admin, { contextName: "cluster-1" }));
  await Deno.writeTextFile(
    `${dir}/dead`,
    c1.kubeconfigFor(admin, { contextName: "dead", server: `https://127.0.0.1:${deadPort}` }),
  );
  await Deno.writeTextFile(
    `${dir}/silent`,
    c1.kubeconfigFor(admin, {
      contextName: "silent",
      server: `https://127.0.0.1:${(silent.addr as Deno.NetAddr).port}`,
    }),
  );
  await Deno.writeTextFile(
    `${dir}/exec`,
    c1.kubeconfigFor({ exec: { command: "/bin/false" } }, { contextName: "exec-ctx" }),
  );
  // the first file's current-context wins: cp is the control plane
  kubeconfigEnv = ["cp", "c1", "dead", "exec"].map((f) => `${dir}/${f}`).join(":");
});

Deno.test.afterAll(async () => {
  silent?.close();
  for (const c of held) c.close();
  if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
});

function ksit(h: Harness, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return h.run(Deno.execPath(), ["run", "-A", "--quiet", main, ...args], undefined, {
    KUBECONFIG: kubeconfigEnv,
    ...env,
  });
}

Deno.test("check: judges local contexts directly; exit code by health", async () => {
  const h = harness();
  const ok = await ksit(h, ["check", "--context", "cluster-1", "--type", "argocd,flux"]);
  assertEquals(ok.code, 0, ok.stderr + ok.stdout);
  assertMatch(ok.stdout, /^CONTEXT\s+TYPE\s+NAMESPACE\s+PHASE\s+READY\s+MESSAGE$/m);
  assertMatch(ok.stdout, /^cluster-1\s+argocd\s+argocd\s+Running\s+4\/4\s+/m);
  assertMatch(ok.stdout, /^cluster-1\s+flux\s+flux-system\s+Running\s+4\/4\s+/m);
  assertEquals(ok.stderr, "", "no progress line when stderr is not a terminal");

  const json = await ksit(h, ["check", "--context", "cluster-1", "--type", "argocd", "-o", "json"]);
  const report = JSON.parse(json.stdout);
  assertEquals(report.kind, "CheckReport");
  assertEquals(report.phase, "Running");
  assertEquals(report.items[0].context, "cluster-1");
  assert(report.items[0].components.some((c: { name: string }) => c.name === "argocd-repo-server"));

  const custom = await ksit(h, [
    "check",
    "--context",
    "cluster-1",
    "--type",
    "argocd",
    "--tool-namespace",
    "my-argo",
  ]);
  assertEquals(custom.code, 0, custom.stdout);
  assertMatch(custom.stdout, /^cluster-1\s+argocd\s+my-argo\s+Running/m);

  // Istio is nowhere on cluster-1 and was asked for by name: NotInstalled, exit 3
  const missing = await ksit(h, ["check", "--context", "cluster-1", "--type", "istio"]);
  assertEquals(missing.code, 3, missing.stdout);
  assertMatch(
    missing.stdout,
    /^cluster-1\s+istio\s+istio-system,istio-ingress\s+NotInstalled\s+-\s+istio: not installed \(no Istio workload in namespaces istio-system, istio-ingress; none elsewhere either/m,
  );
});

Deno.test("check --all-contexts: tools that are not installed are shown so and do not fail the run", async () => {
  const h = harness();
  const only = ["cp", "c1"].map((f) => `${dir}/${f}`).join(":");
  const all = await ksit(h, ["check", "--all-contexts", "--view", "list"], { KUBECONFIG: only });
  assertEquals(all.code, 0, all.stderr + all.stdout);
  assertMatch(all.stdout, /^cluster-1\s+argocd\s+argocd\s+Running\s+4\/4\s+/m);
  assertMatch(all.stdout, /^cluster-1\s+flux\s+flux-system\s+Running\s+4\/4\s+/m);
  assertMatch(
    all.stdout,
    /^cluster-1\s+prometheus\s+monitoring\s+NotInstalled\s+-\s+prometheus: not installed/m,
  );
  assertMatch(all.stdout, /^cp\s+argocd\s+argocd\s+NotInstalled\s+-\s+argocd: not installed/m);
  const matrix = await ksit(h, ["check", "--all-contexts", "--view", "matrix"], { KUBECONFIG: only });
  assertEquals(matrix.code, 0, matrix.stdout);
  assertMatch(matrix.stdout, /^flux\s+Running\s+NotInstalled$/m);
  const json = JSON.parse(
    (await ksit(h, ["check", "--all-contexts", "-o", "json"], { KUBECONFIG: only })).stdout,
  );
  assertEquals(json.phase, "Running");
  // asked for by name, a tool that is not installed fails the run
  const asked = await ksit(h, ["check", "--all-contexts", "--type", "flux"], { KUBECONFIG: only });
  assertEquals(asked.code, 3, asked.stdout);
});

Deno.test("check: a broken workload fails; dead and silent contexts are Unknown within the deadline", async () => {
  const h = harness();
  const kc1 = adminKc(h.cluster("cluster-1"));
  await setDeploymentStatus(kc1, "my-argo", "argocd-repo-server", { replicas: 2, available: 0 });
  const broken = await ksit(h, [
    "check",
    "--context",
    "cluster-1",
    "--type",
    "argocd",
    "--tool-namespace",
    "my-argo",
  ]);
  assertEquals(broken.code, 3, broken.stdout);
  assertMatch(
    broken.stdout,
    /^cluster-1\s+argocd\s+my-argo\s+Failed\s+3\/4\s+argocd-repo-server: 0\/2 available$/m,
  );

  const t0 = performance.now();
  const all = await ksit(h, [
    "check",
    "--all-contexts",
    "--type",
    "argocd",
    "--timeout",
    "2s",
    "--view",
    "matrix",
  ], {
    KUBECONFIG: `${kubeconfigEnv}:${dir}/silent`,
  });
  const elapsed = performance.now() - t0;
  assertEquals(all.code, 3, all.stderr + all.stdout);
  assertMatch(all.stdout, /^TYPE\s+cluster-1\s+cp\s+dead\s+exec-ctx\s+silent$/m);
  assertMatch(all.stdout, /^argocd\s+Running\s+NotInstalled\s+Unknown\s+Unknown\s+Unknown$/m);
  assert(elapsed < 10_000, `check took ${elapsed} ms with a 2s deadline per context`);

  const wide = await ksit(h, [
    "check",
    "--context",
    "dead,silent",
    "--type",
    "argocd",
    "--timeout",
    "2s",
    "-o",
    "wide",
  ], {
    KUBECONFIG: `${kubeconfigEnv}:${dir}/silent`,
  });
  assertMatch(
    wide.stdout,
    /^dead\s+argocd\s+argocd\s+Unknown\s+-\s+ClusterUnreachable\s+.*connection refused/m,
  );
  // in a person's words above; the raw transport error only with --debug
  assert(!wide.stdout.includes("os error"), wide.stdout);
  const debug = await ksit(h, ["check", "--context", "dead", "--type", "argocd", "--debug"]);
  assertMatch(debug.stderr, /^debug: context dead, argocd: .*(Connection refused|os error 111)/m);
  assertMatch(
    wide.stdout,
    /^silent\s+argocd\s+argocd\s+Unknown\s+-\s+ClusterUnreachable\s+.*no answer within 2000ms/m,
  );

  const unknown = await ksit(h, ["check", "--context", "cluster-1,nope"]);
  assertEquals(unknown.code, 5, unknown.stderr);
  assertStringIncludes(
    unknown.stderr,
    `context "nope" not found in kubeconfig; available: cluster-1, cp, dead, exec-ctx`,
  );
});

interface SecretDoc {
  data: { kubeconfig: string };
  metadata: { resourceVersion: string };
}

async function storedKubeconfig(h: Harness, name: string): Promise<{ text: string; rv: string }> {
  const r = await h.cluster("cp").kubectl([
    "get",
    "secret",
    `${name}-kubeconfig`,
    "-n",
    "ksit-system",
    "-o",
    "json",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as SecretDoc;
  return { text: new TextDecoder().decode(decodeBase64(s.data.kubeconfig)), rv: s.metadata.resourceVersion };
}

Deno.test("target add: flattened kubeconfig Secret + IntegrationTarget, idempotent; target list", async () => {
  const h = harness();
  const cp = h.cluster("cp");
  const add = await ksit(h, [
    "target",
    "add",
    "cluster-1",
    "--context",
    "cluster-1",
    "--label",
    "env=prod",
    "--label",
    "tier=1",
  ]);
  assertEquals(add.code, 0, add.stderr);
  assertStringIncludes(
    add.stdout,
    "integrationtarget.ksit.io/cluster-1 configured in ksit-system on context cp",
  );

  const first = await storedKubeconfig(h, "cluster-1");
  const kc = parse(first.text);
  assertEquals(kc["current-context"], "cluster-1");
  assertEquals(kc.contexts.length, 1);
  assert(kc.clusters[0].cluster["certificate-authority-data"], "CA inlined");
  assert(kc.users[0].user["client-certificate-data"], "client certificate inlined");
  // the stored kubeconfig works on its own
  await Deno.writeTextFile(`${dir}/stored`, first.text);
  const use = await h.cluster("cluster-1").kubectl(["get", "deploy", "-n", "argocd", "-o", "name"], {
    kubeconfig: `${dir}/stored`,
  });
  assertEquals(use.code, 0, use.stderr);
  assertStringIncludes(use.stdout, "deployment.apps/argocd-server");

  const t = JSON.parse(
    (await cp.kubectl(["get", "integrationtarget", "cluster-1", "-n", "ksit-system", "-o", "json"])).stdout,
  );
  assertEquals(t.spec.clusterName, "cluster-1");
  assertEquals(t.spec.labels, { env: "prod", tier: "1" });
  assertEquals(t.spec.kubeconfigSecretRef, { name: "cluster-1-kubeconfig", key: "kubeconfig" });

  // idempotent: the same call changes nothing; new labels replace the old ones
  const again = await ksit(h, [
    "target",
    "add",
    "cluster-1",
    "--context",
    "cluster-1",
    "--label",
    "env=prod",
    "--label",
    "tier=1",
  ]);
  assertEquals(again.code, 0, again.stderr);
  assertEquals((await storedKubeconfig(h, "cluster-1")).rv, first.rv);
  const relabel = await ksit(h, [
    "target",
    "add",
    "cluster-1",
    "--context",
    "cluster-1",
    "--label",
    "env=staging",
  ]);
  assertEquals(relabel.code, 0, relabel.stderr);
  const t2 = JSON.parse(
    (await cp.kubectl(["get", "it", "cluster-1", "-n", "ksit-system", "-o", "json"])).stdout,
  );
  assertEquals(t2.spec.labels, { env: "staging" });

  const list = await ksit(h, ["target", "list"]);
  assertEquals(list.code, 0, list.stderr);
  assertMatch(list.stdout, /^NAME\s+CLUSTER\s+READY\s+VERSION\s+REASON\s+AGE$/m);
  assertMatch(list.stdout, /^cluster-1\s+cluster-1\s+Unknown\s+/m);
  const wide = await ksit(h, ["target", "list", "-o", "wide"]);
  assertMatch(wide.stdout, /^cluster-1\s+.*env=staging.*cluster-1-kubeconfig\/kubeconfig/m);
  const json = JSON.parse((await ksit(h, ["target", "ls", "-A", "-o", "json"])).stdout);
  assert(json.items.some((i: { metadata: { name: string } }) => i.metadata.name === "cluster-1"));

  // bad input
  assertEquals((await ksit(h, ["target", "add", "Bad_Name", "--context", "cluster-1"])).code, 2);
  assertEquals(
    (await ksit(h, ["target", "add", "x", "--context", "cluster-1", "--label", "novalue"])).code,
    2,
  );
  assertEquals((await ksit(h, ["target", "add", "x"])).code, 2, "--context is required");
  const noCrds = await ksit(h, [
    "target",
    "add",
    "x",
    "--context",
    "cluster-1",
    "--control-plane-context",
    "cluster-1",
  ]);
  assertEquals(noCrds.code, 7, noCrds.stderr);
  assertStringIncludes(noCrds.stderr, "KSIT CRDs are not installed on context cluster-1");
});

Deno.test("target add refuses exec-auth kubeconfigs unless --allow-exec-auth", async () => {
  const h = harness();
  const refused = await ksit(h, ["target", "add", "exec-cluster", "--context", "exec-ctx"]);
  assertEquals(refused.code, 10, refused.stderr);
  assertMatch(
    refused.stderr,
    /^error: context exec-ctx: user "exec-ctx-user" authenticates with exec plugin "\/bin\/false"; refused/,
  );
  assertEquals(refused.stderr.trim().split("\n").length, 1);
  const none = await h.cluster("cp").kubectl([
    "get",
    "secret",
    "exec-cluster-kubeconfig",
    "-n",
    "ksit-system",
  ]);
  assert(none.code !== 0, "nothing written when refused");

  const allowed = await ksit(h, [
    "target",
    "add",
    "exec-cluster",
    "--context",
    "exec-ctx",
    "--allow-exec-auth",
  ]);
  assertEquals(allowed.code, 0, allowed.stderr);
  const stored = parse((await storedKubeconfig(h, "exec-cluster")).text);
  assertEquals(stored.users[0].user.exec.command, "/bin/false");
});

Deno.test("target add --service-account: read-only RBAC on the workload cluster, token kubeconfig stored", async () => {
  const h = harness();
  const c1 = h.cluster("cluster-1");
  const add = await ksit(h, [
    "target",
    "add",
    "sa-cluster",
    "--context",
    "cluster-1",
    "--service-account",
    "--token-duration",
    "48h",
    "--server",
    c1.url,
  ]);
  assertEquals(add.code, 0, add.stderr);
  assertMatch(
    add.stdout,
    /service account ksit-system\/ksit-reader on context cluster-1, token expires \d{4}-/,
  );

  const role = JSON.parse((await c1.kubectl(["get", "clusterrole", "ksit-reader", "-o", "json"])).stdout);
  const fromFile = parse(await Deno.readTextFile(`${root}deploy/workload-rbac/clusterrole.yaml`));
  assertEquals(
    role.rules,
    fromFile.rules,
    "the applied ClusterRole is deploy/workload-rbac/clusterrole.yaml",
  );
  assertEquals((await c1.kubectl(["get", "sa", "ksit-reader", "-n", "ksit-system"])).code, 0);
  assertEquals((await c1.kubectl(["get", "clusterrolebinding", "ksit-reader"])).code, 0);

  const stored = await storedKubeconfig(h, "sa-cluster");
  const doc = parse(stored.text);
  assertEquals(Object.keys(doc.users[0].user), ["token"], "only a token leaves the laptop");
  await Deno.writeTextFile(`${dir}/sa`, stored.text);
  const can = (args: string[]) => c1.kubectl(["auth", "can-i", ...args], { kubeconfig: `${dir}/sa` });
  assertEquals((await can(["list", "deployments", "-A"])).stdout.trim(), "yes");
  assertEquals((await can(["watch", "endpointslices.discovery.k8s.io", "-A"])).stdout.trim(), "yes");
  assertEquals((await can(["list", "secrets", "-A"])).stdout.trim(), "no");
  assertEquals((await can(["create", "deployments", "-n", "argocd"])).stdout.trim(), "no");

  // what KSIT will do with it: check through the stored kubeconfig
  const check = await ksit(h, ["check", "--type", "argocd,flux"], { KUBECONFIG: `${dir}/sa` });
  assertEquals(check.code, 0, check.stdout + check.stderr);

  // idempotent
  const again = await ksit(h, ["target", "add", "sa-cluster", "--context", "cluster-1", "--service-account"]);
  assertEquals(again.code, 0, again.stderr);
});

Deno.test("exit codes agree with the docs: an exec plugin of the user's own kubeconfig runs, as in kubectl; failing ⇒ 8", async () => {
  const h = harness();
  // status against exec-ctx: /bin/false is run (not refused) and fails
  const r = await ksit(h, ["status", "--context", "exec-ctx"]);
  assertEquals(r.code, 8, r.stderr);
  assertMatch(r.stderr, /exec credential plugin "\/bin\/false" failed/);
  const help = await ksit(h, ["--help"]);
  assertMatch(
    help.stdout,
    /8 {2}unauthorized \(401\), forbidden \(403\), or an exec credential plugin failed/,
  );
  assertMatch(help.stdout, /10 {2}target add: exec\/auth-provider credentials not stored/);
});

Deno.test("target add inlines the files the user's kubeconfig references; stores nothing it would refuse", async () => {
  const h = harness();
  const c1 = h.cluster("cluster-1");
  // a kubeconfig like most laptops have: CA, client certificate and key as files next to it
  const files = `${dir}/files`;
  await Deno.mkdir(files, { recursive: true });
  await Deno.writeTextFile(`${files}/ca.crt`, h.pki.ca.certPem);
  await Deno.writeTextFile(`${files}/admin.crt`, h.pki.admin.certPem);
  await Deno.writeTextFile(`${files}/admin.key`, h.pki.admin.keyPem);
  await Deno.writeTextFile(
    `${files}/config`,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "f", cluster: { server: c1.url, "certificate-authority": "ca.crt" } }],
      users: [{ name: "f", user: { "client-certificate": "admin.crt", "client-key": "admin.key" } }],
      contexts: [{ name: "files-ctx", context: { cluster: "f", user: "f" } }],
      "current-context": "files-ctx",
    }),
  );
  const env = { KUBECONFIG: `${dir}/cp:${files}/config` };
  const add = await ksit(h, ["target", "add", "files-cluster", "--context", "files-ctx"], env);
  assertEquals(add.code, 0, add.stderr);
  const stored = parse((await storedKubeconfig(h, "files-cluster")).text);
  assertEquals(Object.keys(stored.clusters[0].cluster).sort(), ["certificate-authority-data", "server"]);
  assertEquals(Object.keys(stored.users[0].user).sort(), ["client-certificate-data", "client-key-data"]);
  assertEquals(
    new TextDecoder().decode(decodeBase64(stored.clusters[0].cluster["certificate-authority-data"])),
    h.pki.ca.certPem,
  );

  // credentials for a plain http:// server are never stored
  await Deno.writeTextFile(
    `${files}/plain`,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "p", cluster: { server: "http://127.0.0.1:1", "insecure-skip-tls-verify": true } }],
      users: [{ name: "p", user: { token: "plain-token-value" } }],
      contexts: [{ name: "plain-ctx", context: { cluster: "p", user: "p" } }],
    }),
  );
  const plain = await ksit(h, ["target", "add", "plain-cluster", "--context", "plain-ctx"], {
    KUBECONFIG: `${dir}/cp:${files}/plain`,
  });
  assertEquals(plain.code, 4, plain.stderr);
  assertMatch(plain.stderr, /plain http:\/\/ .* refusing to send them in cleartext/);
  assert(!plain.stderr.includes("plain-token-value"));
  const none = await h.cluster("cp").kubectl([
    "get",
    "secret",
    "plain-cluster-kubeconfig",
    "-n",
    "ksit-system",
  ]);
  assert(none.code !== 0, "nothing stored");
});

// last: it installs tools on cp, which the tests above expect to have none
Deno.test("check: a tool outside its default namespaces is found by its labels; per-tool namespaces", async () => {
  const h = harness();
  const cp = adminKc(h.cluster("cp"));
  await seedFixture(cp, "tools/istio/revisioned.yaml", "mesh-control");
  await seedFixture(cp, "tools/argocd/install.yaml", "delivery");
  const found = await ksit(h, ["check", "--context", "cp", "--type", "istio,argocd"]);
  assertEquals(found.code, 0, found.stdout);
  assertMatch(
    found.stdout,
    /^cp\s+istio\s+istio-system,istio-ingress,mesh-control\s+Running\s+1\/1\s+1\/1 required components healthy \(found in namespace mesh-control\)/m,
  );
  assertMatch(
    found.stdout,
    /^cp\s+argocd\s+argocd,delivery\s+Running\s+4\/4\s+.*found in namespace delivery/m,
  );
  // per-tool namespaces: no discovery, exactly these namespaces
  const named = await ksit(h, [
    "check",
    "--context",
    "cp",
    "--type",
    "istio,argocd",
    "--tool-namespace",
    "istio=mesh-control,istio-ingress",
    "--tool-namespace",
    "argocd=delivery",
  ]);
  assertEquals(named.code, 0, named.stdout);
  assertMatch(
    named.stdout,
    /^cp\s+istio\s+mesh-control,istio-ingress\s+Running\s+1\/1\s+1\/1 required components healthy$/m,
  );
  assertMatch(named.stdout, /^cp\s+argocd\s+delivery\s+Running\s+4\/4/m);
  const wrong = await ksit(h, [
    "check",
    "--context",
    "cp",
    "--type",
    "argocd",
    "--tool-namespace",
    "argocd=nothing",
  ]);
  assertEquals(wrong.code, 3, wrong.stdout);
  assertMatch(
    wrong.stdout,
    /^cp\s+argocd\s+nothing\s+NotInstalled\s+-\s+argocd: not installed \(no Argo CD workload in namespace nothing\)$/m,
  );
  const usage = await ksit(h, ["check", "--context", "cp", "--tool-namespace", "nope=x"]);
  assertEquals(usage.code, 2, usage.stderr);
});
