/**
 * `serve` as the chart runs it in a pod (issue 11, item 11): the container's args, env and probes come from
 * `helm template` of deploy/helm/ksit (so a flag the chart passes and `serve` does not know fails here), the
 * pod's environment is simulated — KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount files (token, ca.crt,
 * namespace) at their standard path, bind-mounted in a private mount namespace — and the token is a bound
 * token of the chart's ServiceAccount, rotated during the test (the old one stops working: `serve` must pick
 * up the new file, as kubelet rotates it in a pod). Needs root for the mount namespace (as CI runs).
 */
import { parseAllDocuments } from "yaml";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { pumpInto, trackChild, useHarness } from "./support/harness.ts";
import { eventually } from "./support/poll.ts";
import { freePort } from "./support/ports.ts";
import {
  adminKc,
  createIntegration,
  createTarget,
  getTarget,
  putKubeconfigSecret,
  readyCondition,
  seedFixture,
  waitPhase,
} from "./support/serve.ts";
import { setDeploymentStatus } from "./support/workloads.ts";

const harness = useHarness({ clusters: ["cp", "cluster-1"] });
const root = new URL("../", import.meta.url).pathname;
const chart = `${root}deploy/helm/ksit`;
const ns = "ksit-incluster";
const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

interface Container {
  args: string[];
  env: { name: string; value?: string; valueFrom?: unknown }[];
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
  ports: { containerPort: number }[];
}

Deno.test("in-cluster: the chart's container, the pod's ServiceAccount files, a rotated bound token", async () => {
  const h = harness();
  const cpc = h.cluster("cp");
  const port = freePort();
  const uiPort = freePort();
  const helmEnv = {
    HOME: h.dir,
    HELM_CACHE_HOME: `${h.dir}/helm/cache`,
    HELM_CONFIG_HOME: `${h.dir}/helm/config`,
  };
  // the workload clusters of this test are on loopback: in a pod that is refused unless allowed by name
  const values = [
    "--set",
    `serve.healthPort=${port}`,
    "--set",
    `ui.port=${uiPort}`,
    "--set",
    "serve.allowedServers={127.0.0.1/32}",
    "--set",
    "secrets.labelSelector=ksit.io/kubeconfig=true",
    "--set",
    "leaderElection.enabled=true",
  ];
  const install = await h.run(
    h.bin.helm,
    [
      "--kubeconfig",
      cpc.kubeconfigPath,
      "install",
      "ksit",
      chart,
      "-n",
      ns,
      "--create-namespace",
      ...values,
    ],
    undefined,
    helmEnv,
  );
  assertEquals(install.code, 0, install.stderr);
  const rendered = await h.run(
    h.bin.helm,
    ["template", "ksit", chart, "-n", ns, ...values],
    undefined,
    helmEnv,
  );
  assertEquals(rendered.code, 0, rendered.stderr);
  const deployment = parseAllDocuments(rendered.stdout).map((d) => d.toJS()).find((d) =>
    d?.kind === "Deployment"
  );
  const container = deployment.spec.template.spec.containers[0] as Container;
  assertEquals(container.args[0], "serve");

  // the workload cluster, registered with a Secret the label selector lets through, and one it does not
  const c1 = h.cluster("cluster-1");
  await seedFixture(adminKc(c1), "tools/argocd/install.yaml", "argocd");
  const cp = adminKc(cpc);
  await putKubeconfigSecret(cp, ns, "cluster-1-kubeconfig", c1.kubeconfigYaml);
  assertEquals(
    (await cpc.kubectl(["label", "secret", "cluster-1-kubeconfig", "-n", ns, "ksit.io/kubeconfig=true"]))
      .code,
    0,
  );
  await createTarget(cp, ns, "cluster-1", { clusterName: "cluster-1" });
  await putKubeconfigSecret(cp, ns, "unlabelled-kubeconfig", c1.kubeconfigYaml);
  await createTarget(cp, ns, "unlabelled", { clusterName: "unlabelled" });
  // the same cluster through 127.0.0.2: a loopback address the chart's allow-list does not name
  await putKubeconfigSecret(
    cp,
    ns,
    "other-loopback-kubeconfig",
    c1.kubeconfigFor(
      { certPem: h.pki.admin.certPem, keyPem: h.pki.admin.keyPem },
      { server: `https://127.0.0.2:${c1.port}` },
    ),
  );
  await cpc.kubectl(["label", "secret", "other-loopback-kubeconfig", "-n", ns, "ksit.io/kubeconfig=true"]);
  await createTarget(cp, ns, "other-loopback", { clusterName: "other-loopback" });
  await createIntegration(cp, ns, "argo", { type: "argocd", targetClusters: ["cluster-1"] });

  // a bound token of the chart's ServiceAccount, bound to a Secret so that deleting the Secret revokes it
  const boundToken = async (name: string) => {
    await cpc.kubectl(["create", "secret", "generic", name, "-n", ns]);
    const r = await cpc.kubectl([
      "create",
      "token",
      "ksit",
      "-n",
      ns,
      "--bound-object-kind=Secret",
      `--bound-object-name=${name}`,
      "--duration=1h",
    ]);
    assertEquals(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  const files = await Deno.makeTempDir({ prefix: "ksit-sa-" });
  await Deno.writeTextFile(`${files}/token`, await boundToken("token-1"));
  await Deno.writeTextFile(`${files}/ca.crt`, h.pki.ca.certPem);
  await Deno.writeTextFile(`${files}/namespace`, ns);

  // the pod: env from the chart (fieldRef values filled in as the kubelet would) + the service host/port
  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: "127.0.0.1",
    KUBERNETES_SERVICE_PORT: String(cpc.port),
  };
  for (const e of container.env) env[e.name] = e.value ?? (e.name === "POD_NAME" ? "ksit-0" : "");
  const script = [
    "set -e",
    "mount -t tmpfs tmpfs /run", // /var/run is /run: the pod's files only, in this mount namespace
    `mkdir -p ${SA_DIR}`,
    `mount --bind "$0" ${SA_DIR}`,
    'shift; exec "$@"',
  ].join("\n");
  const child = new Deno.Command("unshare", {
    args: [
      "--mount",
      "--propagation",
      "private",
      "bash",
      "-c",
      script,
      files,
      "_",
      Deno.execPath(),
      "run",
      "-A",
      `${root}main.ts`,
      ...container.args,
    ],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  trackChild(child.pid);
  const logPath = `${files}.log`;
  const log = await Deno.open(logPath, { create: true, write: true, append: true });
  const pumped = Promise.all([pumpInto(log, child.stdout), pumpInto(log, child.stderr)]).finally(() =>
    log.close()
  );
  const probe = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${container.ports[0]!.containerPort}${path}`, {
      signal: AbortSignal.timeout(2_000),
    });
    await res.body?.cancel();
    return res.status;
  };
  try {
    // the chart's own probes
    await eventually(async () => (await probe(container.readinessProbe.httpGet.path)) === 200, {
      what: "the chart's readinessProbe",
      timeoutMs: 60_000,
    });
    assertEquals(await probe(container.livenessProbe.httpGet.path), 200);
    // the chart's dashboard: on the pod's loopback (kubectl port-forward reaches it there)
    assert(container.args.includes(`--ui-addr=127.0.0.1:${uiPort}`), container.args.join(" "));
    const ui = await fetch(`http://127.0.0.1:${uiPort}/ui/api/view`, { signal: AbortSignal.timeout(5_000) });
    assertEquals(ui.status, 200);
    assertEquals((await ui.json()).source.kind, "serve");
    await waitPhase(cp, ns, "argo", "Running", 30_000);
    const logText = () => Deno.readTextFile(logPath);
    // in-cluster mode was detected: loopback denied by default, 127.0.0.1/32 allowed from the chart value
    const start = (await logText()).split("\n").find((l) => l.includes('"msg":"starting"')) ?? "";
    assertMatch(start, /"allowedServers":\["127\.0\.0\.1\/32"\]/);
    assertMatch(start, /127\.0\.0\.0\/8 \(default\)/);
    const other = await eventually(async () => {
      const t = await getTarget(cp, ns, "other-loopback");
      return readyCondition(t)?.reason === "ServerNotAllowed" ? t : undefined;
    }, { what: "127.0.0.2 refused in the pod" });
    assertMatch(readyCondition(other)?.message ?? "", /not in --allowed-servers \(127\.0\.0\.1\/32\)/);
    const unlabelled = await eventually(async () => {
      const t = await getTarget(cp, ns, "unlabelled");
      return readyCondition(t)?.reason === "SecretNotFound" ? t : undefined;
    }, { what: "the unlabelled Secret is not read" });
    assertMatch(readyCondition(unlabelled)?.message ?? "", /lacks the labels ksit\.io\/kubeconfig=true/);
    // the Lease, by the chart's name
    assertEquals((await cpc.kubectl(["get", "lease", "ksit-leader", "-n", ns])).code, 0);

    // rotation: the kubelet writes a new token; the old one is revoked right away here
    const old = await Deno.readTextFile(`${files}/token`);
    await Deno.writeTextFile(`${files}/token.new`, await boundToken("token-2"));
    await Deno.rename(`${files}/token.new`, `${files}/token`);
    assertEquals((await cpc.kubectl(["delete", "secret", "token-1", "-n", ns])).code, 0);
    const t0 = Date.now();
    await eventually(async () => {
      const r = await fetch(`${cpc.url}/apis/ksit.io/v1alpha1/namespaces/${ns}/integrations`, {
        headers: { authorization: `Bearer ${old}` },
        client: h.httpClient,
      });
      await r.body?.cancel();
      return r.status === 401;
    }, { what: "the old token revoked" });
    // a change after the rotation must still be written: only the new token can
    await setDeploymentStatus(adminKc(c1), "argocd", "argocd-repo-server", { replicas: 2, available: 0 });
    await waitPhase(cp, ns, "argo", "Failed", 120_000);
    console.log(
      `status written with the rotated token ${Math.round((Date.now() - t0) / 1000)} s after rotation`,
    );
    assertEquals(await probe(container.livenessProbe.httpGet.path), 200);
    assert(!(await logText()).includes(await Deno.readTextFile(`${files}/token`)), "no token bytes in logs");
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    const status = await child.status;
    await pumped;
    assertEquals(status.code, 0, await Deno.readTextFile(logPath).catch(() => ""));
    await Deno.remove(files, { recursive: true });
    await Deno.remove(logPath);
  }
});
