/**
 * Fleet inventories (issue #18) on real API servers: a control plane `cp` with the real CRDs of Cluster API and
 * ClusterProfile (tests/fixtures/inventory/, with provenance) and real-shaped Argo CD cluster Secrets, and one live
 * workload cluster `cluster-1` running Argo CD (rolled out by its own controllers). Every inventory cluster points
 * at cluster-1 under its own name and credentials. `serve` runs as a subprocess with the token of a
 * ServiceAccount bound to exactly the chart's rule files (files/controller-rbac.yaml, files/inventory-*-rbac.yaml):
 * each source works with the least RBAC the chart grants it.
 *
 * Per source: a cluster added to the inventory → its IntegrationTarget (labels, source label, credentials named
 * in place) → an Integration selecting the inventory's labels judges it; relabelled → the target follows;
 * removed → the target goes and the cluster leaves the Integration's status; a malformed entry → a clear reason
 * on that target only. Also: hand-written targets win a name clash (an Event says so), no Secret is ever
 * written, and `kubectl ksit target import` previews and writes targets that `serve --credentials-from` reads.
 */
import { parseAllDocuments } from "yaml";
import type { IntegrationTarget } from "../api/types.ts";
import { encodeBase64 } from "../util/base64.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";
import { installCrds } from "./support/crds.ts";
import { type RunResult, type TestCluster, useHarness } from "./support/harness.ts";
import { installTool } from "./support/live_workloads.ts";
import { eventually } from "./support/poll.ts";
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
  type ServeProcess,
  startServe,
} from "./support/serve.ts";

const harness = useHarness({ clusters: ["cp", "cluster-1"], live: ["cluster-1"] });
const root = new URL("../", import.meta.url).pathname;
const fixtures = `${root}tests/fixtures/inventory/`;
const chartFiles = `${root}deploy/helm/ksit/files/`;

/** Once per harness: the KSIT CRDs and the two inventory CRDs on cp, Argo CD and read-only RBAC on cluster-1. */
let ready: Promise<{ token: string }> | undefined;
function setup(): Promise<{ token: string }> {
  ready ??= (async () => {
    const h = harness();
    const cp = h.cluster("cp");
    const c1 = h.cluster("cluster-1");
    await installCrds(cp);
    for (const crd of ["capi-clusters-crd.yaml", "clusterprofiles-crd.yaml"]) {
      // server-side: the Cluster API CRD is larger than kubectl's last-applied annotation may be
      await ok(cp.kubectl(["apply", "--server-side", "-f", `${fixtures}${crd}`]), crd);
    }
    await ok(
      cp.kubectl([
        "wait",
        "--for=condition=Established",
        "--timeout=30s",
        "crd/clusters.cluster.x-k8s.io",
        "crd/clusterprofiles.multicluster.x-k8s.io",
      ]),
      "CRDs established",
    );
    await installTool(c1, "tools/argocd/install.yaml", "argocd");
    for (const f of ["serviceaccount", "clusterrole", "clusterrolebinding", "heartbeat-role"]) {
      await ok(c1.kubectl(["apply", "-f", `${root}deploy/workload-rbac/${f}.yaml`]), `workload RBAC ${f}`);
    }
    return { token: await c1.token("ksit-system", "ksit-reader") };
  })();
  return ready;
}

async function ok(p: Promise<RunResult>, what: string): Promise<string> {
  const r = await p;
  assertEquals(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `${NAME}` placeholders of a fixture filled in; the documents as objects. */
async function fixture(file: string, vars: Record<string, string>): Promise<Record<string, unknown>[]> {
  let text = await Deno.readTextFile(`${fixtures}${file}`);
  for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`\${${k}}`, v);
  assert(!/\$\{[A-Z_]+\}/.test(text), `${file}: a placeholder left: ${/\$\{[A-Z_]+\}/.exec(text)?.[0]}`);
  return parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
}

async function apply(c: TestCluster, namespace: string, objects: unknown[]): Promise<void> {
  await ok(
    c.kubectl(["apply", "-n", namespace, "-f", "-"], {
      stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
    }),
    "apply",
  );
}

const b64 = (s: string) => encodeBase64(s);

/**
 * `serve` in `ns` with a ServiceAccount token bound to exactly the chart's rule files: controller-rbac.yaml and
 * (with a synced source) inventory-sync-rbac.yaml in `ns`, inventory-<source>-rbac.yaml in each source namespace.
 */
async function serveWithChartRbac(
  ns: string,
  sources: { source: "capi" | "argocd" | "clusterprofile"; namespaces: string[]; sync: boolean }[],
  args: string[] = [],
): Promise<ServeProcess> {
  const h = harness();
  const cp = h.cluster("cp");
  await ok(cp.kubectl(["create", "serviceaccount", "ksit", "-n", ns]), "sa");
  const bind = async (file: string, namespace: string) => {
    const role = await Deno.readTextFile(`${chartFiles}${file}`);
    await ok(cp.kubectl(["apply", "-n", namespace, "-f", "-"], { stdin: role }), file);
    const name = /\n {2}name: (\S+)/.exec(role)![1]!;
    await ok(
      cp.kubectl([
        "create",
        "rolebinding",
        name,
        "-n",
        namespace,
        `--role=${name}`,
        `--serviceaccount=${ns}:ksit`,
      ]),
      `bind ${file}`,
    );
  };
  await bind("controller-rbac.yaml", ns);
  if (sources.some((s) => s.sync)) await bind("inventory-sync-rbac.yaml", ns);
  if (args.includes("--leader-elect")) await bind("leader-election-rbac.yaml", ns);
  const flags: string[] = [];
  for (const s of sources) {
    for (const namespace of s.namespaces) await bind(`inventory-${s.source}-rbac.yaml`, namespace);
    flags.push(s.sync ? "--inventory" : "--credentials-from", `${s.source}=${s.namespaces.join(",")}`);
  }
  const token = await cp.token(ns, "ksit");
  const kubeconfigPath = `${h.dir}/${ns}-sa.kubeconfig`;
  await Deno.writeTextFile(kubeconfigPath, cp.kubeconfigFor({ token }));
  return await startServe({
    kubeconfigPath,
    namespace: ns,
    args: [...flags, "--request-timeout=5s", ...args],
  });
}

async function targets(ns: string): Promise<IntegrationTarget[]> {
  const out = await ok(
    harness().cluster("cp").kubectl(["get", "integrationtargets", "-n", ns, "-o", "json"]),
    "get",
  );
  return JSON.parse(out).items;
}

/** Waits until target `name` satisfies `want` (a missing target is `undefined`). */
async function waitTarget(
  ns: string,
  name: string,
  want: (t: IntegrationTarget | undefined) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<IntegrationTarget | undefined> {
  return await eventually(async () => {
    const t = (await targets(ns)).find((x) => x.metadata.name === name);
    return want(t) ? { t } : undefined;
  }, { timeoutMs, intervalMs: 100, what: `${ns}/${name}: ${what}` }).then((r) => r.t);
}

const reason = (t: IntegrationTarget | undefined) => readyCondition(t ?? {})?.reason;

/** Waits until Integration `name` lists exactly `clusters` (by name, with their phases). */
async function waitClusters(ns: string, name: string, clusters: Record<string, string>, timeoutMs = 30_000) {
  const cp = adminKc(harness().cluster("cp"));
  const want = JSON.stringify(Object.entries(clusters).sort());
  return await eventually(async () => {
    const i = await getIntegration(cp, ns, name);
    const got = JSON.stringify((i.status?.clusters ?? []).map((c) => [c.name, c.phase]).sort());
    return got === want ? i : undefined;
  }, { timeoutMs, intervalMs: 100, what: `${ns}/${name} clusters ${want}` });
}

async function events(
  ns: string,
  name: string,
): Promise<{ reason: string; type: string; message: string }[]> {
  const out = await ok(
    harness().cluster("cp").kubectl([
      "get",
      "events",
      "-n",
      ns,
      "--field-selector",
      `involvedObject.name=${name},involvedObject.kind=IntegrationTarget`,
      "-o",
      "json",
    ]),
    "events",
  );
  return JSON.parse(out).items;
}

/** The Secrets of a namespace (KSIT never writes one). */
async function secretNames(ns: string): Promise<string[]> {
  const out = await ok(
    harness().cluster("cp").kubectl(["get", "secrets", "-n", ns, "-o", "name"]),
    "secrets",
  );
  return out.split("\n").filter(Boolean);
}

Deno.test("argocd inventory: cluster Secrets (bearer token, TLS client certificate, insecure, exec, aws) become targets that follow the Secrets; a hand-written target wins a clash", async () => {
  const { token } = await setup();
  const h = harness();
  const cp = h.cluster("cp");
  const c1 = h.cluster("cluster-1");
  const ns = "inv-argo";
  const argoNs = "inv-argo-cd";
  const kc = adminKc(cp);
  await createNamespace(kc, ns);
  await createNamespace(kc, argoNs);
  const docs = await fixture("argocd-cluster-secrets.yaml", {
    SECRET_PREFIX: "cluster",
    NAME_PREFIX: "EU_Prod",
    SERVER: c1.url,
    TOKEN: token,
    CA_DATA: b64(h.pki.ca.certPem),
    CERT_DATA: b64(h.pki.admin.certPem),
    KEY_DATA: b64(h.pki.admin.keyPem),
    ENV: "prod",
  });
  // the exec and aws clusters are labelled apart, so the prod Integration judges the three that work
  for (const d of docs) {
    const meta = d.metadata as { name: string; labels: Record<string, string> };
    if (/-(exec|aws)$/.test(meta.name)) meta.labels.env = "legacy";
  }
  await apply(cp, argoNs, docs);
  // a hand-written target holding the name an Argo CD cluster will ask for
  await putKubeconfigSecret(kc, ns, "eu-prod-clash-kubeconfig", c1.kubeconfigYaml);
  await createTarget(kc, ns, "eu-prod-clash", { clusterName: "eu-prod-clash" }, { env: "prod" });
  await createIntegration(kc, ns, "argo", {
    type: "argocd",
    targetSelector: { matchLabels: { env: "prod" } },
    config: { healthCheckInterval: "5s" },
  });
  const serve = await serveWithChartRbac(ns, [{ source: "argocd", namespaces: [argoNs], sync: true }]);
  try {
    await dumpOnFailure([serve], async () => {
      // added: each cluster Secret gives a target named after its `name` field, with its labels
      const byName = await eventually(async () => {
        const ts = await targets(ns);
        return ts.length === 6 ? new Map(ts.map((t) => [t.metadata.name!, t])) : undefined;
      }, { timeoutMs: 20_000, what: "six targets" });
      const tok = byName.get("eu-prod-token")!;
      assertEquals(tok.metadata.labels, {
        env: "prod",
        "ksit.io/source": "argocd",
        "app.kubernetes.io/managed-by": "ksit-inventory",
      });
      assertEquals(tok.metadata.annotations?.["ksit.io/source-object"], `Secret ${argoNs}/cluster-token`);
      assertEquals(tok.spec.kubeconfigSecretRef, {
        name: "cluster-token",
        namespace: argoNs,
        format: "argocd",
      });
      assertEquals(tok.metadata.ownerReferences, undefined, "no ownerReference across namespaces");
      // the Integration judges the three that work, and the hand-written target, without anything else
      await waitClusters(ns, "argo", {
        "eu-prod-token": "Running",
        "eu-prod-tls": "Running",
        "eu-prod-insecure": "Running",
        "eu-prod-clash": "Running",
      });
      const insecure = await waitTarget(
        ns,
        "eu-prod-insecure",
        (t) => reason(t) === "Connected",
        "Connected",
      );
      assertStringIncludes(readyCondition(insecure!)?.message ?? "", "insecure-skip-tls-verify");
      for (
        const [name, field] of [["eu-prod-exec", "execProviderConfig"], ["eu-prod-aws", "awsAuthConfig"]]
      ) {
        const t = await waitTarget(
          ns,
          name!,
          (t) => reason(t) === "ExecAuthNotAllowed",
          "ExecAuthNotAllowed",
        );
        assertMatch(
          readyCondition(t!)?.message ?? "",
          new RegExp(`Secret ${argoNs}/cluster-(exec|aws) field config: ${field}`),
        );
      }
      // the hand-written target won: untouched, and an Event says who lost
      const clash = await getTarget(kc, ns, "eu-prod-clash");
      assertEquals(clash.metadata.labels, { env: "prod" });
      assertEquals(clash.spec, { clusterName: "eu-prod-clash" });
      const clashSecret = {
        ...(docs[0] as { metadata: Record<string, unknown>; stringData: Record<string, string> }),
      };
      await apply(cp, argoNs, [{
        ...clashSecret,
        metadata: {
          name: "cluster-clash",
          labels: { "argocd.argoproj.io/secret-type": "cluster", env: "prod" },
        },
        stringData: { ...clashSecret.stringData, name: "EU_Prod-Clash" },
      }]);
      const ev = await eventually(async () => {
        const e = (await events(ns, "eu-prod-clash")).find((x) => x.reason === "InventoryNameClash");
        return e;
      }, { timeoutMs: 15_000, what: "InventoryNameClash event" });
      assertEquals(ev.type, "Warning");
      assertStringIncludes(
        ev.message,
        `Secret ${argoNs}/cluster-clash (argocd) would be IntegrationTarget ${ns}/eu-prod-clash`,
      );
      assertEquals((await getTarget(kc, ns, "eu-prod-clash")).spec, { clusterName: "eu-prod-clash" });

      // relabelled in Argo CD: the target follows, the Integration drops it
      await ok(
        cp.kubectl(["label", "secret", "cluster-token", "-n", argoNs, "env=staging", "--overwrite"]),
        "label",
      );
      await waitTarget(ns, "eu-prod-token", (t) => t?.metadata.labels?.env === "staging", "relabelled");
      await waitClusters(ns, "argo", {
        "eu-prod-tls": "Running",
        "eu-prod-insecure": "Running",
        "eu-prod-clash": "Running",
      });
      // removed from Argo CD: the target goes, and the cluster leaves the status
      await ok(cp.kubectl(["delete", "secret", "cluster-tls", "-n", argoNs]), "delete");
      await waitTarget(ns, "eu-prod-tls", (t) => t === undefined, "deleted");
      await waitClusters(ns, "argo", { "eu-prod-insecure": "Running", "eu-prod-clash": "Running" });
      // a malformed entry: a clear reason on its target, the others unaffected
      await apply(cp, argoNs, [{
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: "cluster-broken",
          labels: { "argocd.argoproj.io/secret-type": "cluster", env: "prod" },
        },
        stringData: { name: "broken", server: c1.url, config: "{not json" },
      }]);
      const broken = await waitTarget(
        ns,
        "broken",
        (t) => reason(t) === "InvalidKubeconfig",
        "InvalidKubeconfig",
      );
      assertEquals(
        readyCondition(broken!)?.message,
        `Secret ${argoNs}/cluster-broken field config: not JSON (Argo CD's cluster config is JSON)`,
      );
      const judged = await waitClusters(ns, "argo", {
        "eu-prod-insecure": "Running",
        "eu-prod-clash": "Running",
        broken: "Unknown",
      });
      assertEquals(judged.status?.clusters?.find((c) => c.name === "broken")?.reason, "InvalidKubeconfig");
      // added again: a new Secret is judged at once
      await apply(cp, argoNs, [{
        ...(docs[0] as Record<string, unknown>),
        metadata: {
          name: "cluster-new",
          labels: { "argocd.argoproj.io/secret-type": "cluster", env: "prod" },
        },
        stringData: { ...(docs[0] as { stringData: Record<string, string> }).stringData, name: "new-one" },
      }]);
      await waitClusters(ns, "argo", {
        "eu-prod-insecure": "Running",
        "eu-prod-clash": "Running",
        broken: "Unknown",
        "new-one": "Running",
      });
      // deleting the hand-written target lets the inventory take the name
      await ok(cp.kubectl(["delete", "integrationtarget", "eu-prod-clash", "-n", ns]), "delete");
      const taken = await waitTarget(
        ns,
        "eu-prod-clash",
        (t) => t?.metadata.labels?.["ksit.io/source"] === "argocd",
        "taken over",
      );
      assertEquals(taken!.spec.kubeconfigSecretRef?.name, "cluster-clash");
      // credentials were read in place: no Secret was written anywhere
      assertEquals(await secretNames(ns), ["secret/eu-prod-clash-kubeconfig"]);
      const metrics = await serve.get("/metrics");
      assertStringIncludes(metrics.text, 'ksit_inventory_targets{source="argocd",state="synced"} 7');
      const denied = (await serve.logs()).filter((l) => JSON.stringify(l).includes('"code":403'));
      assertEquals(denied, [], "no Forbidden errors with the chart's rules");
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
});

/** A kubeconfig for cluster-1 under `name` with the admin client certificate (what Cluster API writes). */
function capiKubeconfig(name: string): string {
  const h = harness();
  return h.cluster("cluster-1").kubeconfigFor(
    { certPem: h.pki.admin.certPem, keyPem: h.pki.admin.keyPem },
    { contextName: `${name}-admin@${name}` },
  );
}

async function capiCluster(name: string, env: string, kubeconfig?: string) {
  const h = harness();
  const docs = await fixture("capi-cluster.yaml", {
    CLUSTER_NAME: name,
    ENV: env,
    KUBECONFIG_B64: b64(kubeconfig ?? capiKubeconfig(name)),
    CA_B64: b64(h.pki.ca.certPem),
    CA_KEY_B64: b64(h.pki.ca.keyPem || "not-the-real-key"),
  });
  return kubeconfig === ""
    ? docs.filter((d) => !String((d.metadata as { name: string }).name).endsWith("-kubeconfig"))
    : docs;
}

Deno.test("capi inventory: Clusters with their <cluster>-kubeconfig Secrets become targets; relabel, a cluster not provisioned yet, a bad kubeconfig, removal", async () => {
  await setup();
  const h = harness();
  const cp = h.cluster("cp");
  const ns = "inv-capi";
  const fleet = "inv-fleet";
  const kc = adminKc(cp);
  await createNamespace(kc, ns);
  await createNamespace(kc, fleet);
  await apply(cp, fleet, [...await capiCluster("prod-a", "prod"), ...await capiCluster("prod-b", "prod")]);
  await createIntegration(kc, ns, "argo", {
    type: "argocd",
    targetSelector: { matchLabels: { env: "prod" } },
    config: { healthCheckInterval: "5s" },
  });
  const serve = await serveWithChartRbac(ns, [{ source: "capi", namespaces: [fleet], sync: true }]);
  try {
    await dumpOnFailure([serve], async () => {
      await waitClusters(ns, "argo", { "prod-a": "Running", "prod-b": "Running" });
      const a = await getTarget(kc, ns, "prod-a");
      assertEquals(a.metadata.labels, {
        env: "prod",
        cni: "prod-a-crs-0",
        "ksit.io/source": "capi",
        "app.kubernetes.io/managed-by": "ksit-inventory",
      });
      assertEquals(a.spec.kubeconfigSecretRef, {
        name: "prod-a-kubeconfig",
        namespace: fleet,
        key: "value",
        format: "kubeconfig",
      });
      assertEquals(reason(a), "Connected");
      // relabelled: the target follows, the Integration drops it
      await ok(
        cp.kubectl(["label", "clusters.cluster.x-k8s.io", "prod-b", "-n", fleet, "env=dev", "--overwrite"]),
        "label",
      );
      await waitTarget(ns, "prod-b", (t) => t?.metadata.labels?.env === "dev", "relabelled");
      await waitClusters(ns, "argo", { "prod-a": "Running" });
      // a cluster Cluster API has not written a kubeconfig for yet, and one whose kubeconfig is garbage
      await apply(cp, fleet, [
        ...await capiCluster("prod-new", "prod", ""),
        ...await capiCluster("prod-bad", "prod", "clusters: ["),
      ]);
      const pending = await waitTarget(
        ns,
        "prod-new",
        (t) => reason(t) === "SecretNotFound",
        "SecretNotFound",
      );
      assertEquals(
        readyCondition(pending!)?.message,
        `Secret ${fleet}/prod-new-kubeconfig key value: Secret not found; Cluster API writes it once the ` +
          `cluster's control plane is up (kubectl get cluster prod-new -n ${fleet})`,
      );
      const bad = await waitTarget(
        ns,
        "prod-bad",
        (t) => reason(t) === "InvalidKubeconfig",
        "InvalidKubeconfig",
      );
      assertMatch(
        readyCondition(bad!)?.message ?? "",
        new RegExp(`^Secret ${fleet}/prod-bad-kubeconfig key value: not valid YAML`),
      );
      await waitClusters(ns, "argo", { "prod-a": "Running", "prod-new": "Unknown", "prod-bad": "Unknown" });
      // Cluster API writes the kubeconfig: the target connects within one check
      await apply(cp, fleet, (await capiCluster("prod-new", "prod")).filter((d) => d.kind === "Secret"));
      await waitClusters(ns, "argo", { "prod-a": "Running", "prod-new": "Running", "prod-bad": "Unknown" });
      // removed: the target goes, the cluster leaves the status
      await ok(cp.kubectl(["delete", "clusters.cluster.x-k8s.io", "prod-a", "-n", fleet]), "delete");
      await waitTarget(ns, "prod-a", (t) => t === undefined, "deleted");
      await waitClusters(ns, "argo", { "prod-new": "Running", "prod-bad": "Unknown" });
      assertEquals(await secretNames(ns), [], "no Secret written");
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
});

Deno.test("clusterprofile inventory: the server from the access provider, the token by KEP-5339's secret reader; other providers, none, relabel, removal", async () => {
  const { token } = await setup();
  const h = harness();
  const cp = h.cluster("cp");
  const c1 = h.cluster("cluster-1");
  const ns = "inv-cp";
  const profiles = "inv-profiles";
  const kc = adminKc(cp);
  await createNamespace(kc, ns);
  await createNamespace(kc, profiles);
  const profile = async (name: string, namespace: string, env: string, providers?: unknown[]) => {
    const [p] = await fixture("clusterprofile.yaml", {
      PROFILE_NAME: name,
      ENV: env,
      SERVER: c1.url,
      CA_B64: b64(h.pki.ca.certPem),
      TOKEN_SECRET: `${name}-token`,
    });
    const { status, ...rest } = p as { status: { accessProviders: unknown[] } };
    if (providers) status.accessProviders = providers;
    await apply(cp, namespace, [rest]);
    await ok(
      cp.kubectl([
        "patch",
        "clusterprofile",
        name,
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        JSON.stringify({ status }),
      ]),
      "status",
    );
  };
  // KEP-5339's secret reader: the token in KSIT's (the consumer's) namespace, under the extension's clusterName
  await ok(
    cp.kubectl(["create", "secret", "generic", "eu-1-token", "-n", ns, `--from-literal=token=${token}`]),
    "token",
  );
  await profile("eu-1", profiles, "prod");
  // a profile in KSIT's own namespace: its target is owned by it
  await ok(
    cp.kubectl(["create", "secret", "generic", "local-1-token", "-n", ns, `--from-literal=token=${token}`]),
    "token",
  );
  await profile("local-1", ns, "prod");
  // a provider whose plugin KSIT does not run; a profile with no access provider yet
  await profile("gke-1", profiles, "prod", [{
    name: "google",
    cluster: { server: c1.url, "certificate-authority-data": b64(h.pki.ca.certPem) },
  }]);
  await profile("new-1", profiles, "prod", []);
  await createIntegration(kc, ns, "argo", {
    type: "argocd",
    targetSelector: { matchLabels: { env: "prod" } },
    config: { healthCheckInterval: "5s" },
  });
  const serve = await serveWithChartRbac(ns, [{
    source: "clusterprofile",
    namespaces: [profiles, ns],
    sync: true,
  }]);
  try {
    await dumpOnFailure([serve], async () => {
      const judged = await waitClusters(ns, "argo", {
        "eu-1": "Running",
        "local-1": "Running",
        "gke-1": "Unknown",
        "new-1": "Unknown",
      });
      const byName = new Map(judged.status!.clusters!.map((c) => [c.name, c]));
      assertEquals(byName.get("gke-1")?.reason, "SecretNotFound");
      assertStringIncludes(
        byName.get("gke-1")?.message ?? "",
        `Secret ${ns}/gke-1 key token: Secret not found: store the cluster's bearer token there`,
      );
      assertStringIncludes(
        byName.get("gke-1")?.message ?? "",
        "offers google, credential plugins KSIT does not run",
      );
      assertEquals(byName.get("new-1")?.reason, "InvalidClusterProfile");
      assertStringIncludes(
        byName.get("new-1")?.message ?? "",
        `ClusterProfile ${profiles}/new-1: no status.accessProviders`,
      );
      const eu = await getTarget(kc, ns, "eu-1");
      assertEquals(eu.spec.clusterProfileRef, {
        name: "eu-1",
        namespace: profiles,
        accessProvider: "secretreader",
      });
      assertEquals(eu.spec.kubeconfigSecretRef, {
        name: "eu-1-token",
        namespace: ns,
        key: "token",
        format: "token",
      });
      assertEquals(eu.metadata.labels?.["x-k8s.io/cluster-manager"], "ocm");
      assertEquals(eu.metadata.ownerReferences, undefined);
      const local = await getTarget(kc, ns, "local-1");
      assertEquals(local.metadata.ownerReferences?.map((o) => [o.kind, o.name]), [[
        "ClusterProfile",
        "local-1",
      ]]);
      // the secret reader convention for a provider KSIT does not run: store the token, the target connects
      await ok(
        cp.kubectl(["create", "secret", "generic", "gke-1", "-n", ns, `--from-literal=token=${token}`]),
        "token",
      );
      // the cluster manager publishes the other profile's access
      await profile("new-1", profiles, "prod", [{
        name: "secretreader",
        cluster: {
          server: c1.url,
          "certificate-authority-data": b64(h.pki.ca.certPem),
          extensions: [{
            name: "client.authentication.k8s.io/exec",
            extension: { clusterName: "eu-1-token" },
          }],
        },
      }]);
      await waitClusters(ns, "argo", {
        "eu-1": "Running",
        "local-1": "Running",
        "gke-1": "Running",
        "new-1": "Running",
      });
      // relabelled and removed
      await ok(
        cp.kubectl(["label", "clusterprofile", "eu-1", "-n", profiles, "env=dev", "--overwrite"]),
        "label",
      );
      await ok(cp.kubectl(["delete", "clusterprofile", "gke-1", "-n", profiles]), "delete");
      await waitTarget(ns, "gke-1", (t) => t === undefined, "deleted");
      await waitTarget(ns, "eu-1", (t) => t?.metadata.labels?.env === "dev", "relabelled");
      await waitClusters(ns, "argo", { "local-1": "Running", "new-1": "Running" });
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
});

/** `kubectl ksit …` (main.ts) on cp's admin kubeconfig. */
function ksit(args: string[]): Promise<RunResult> {
  const h = harness();
  return h.run(Deno.execPath(), ["run", "-A", "--quiet", `${root}main.ts`, ...args], undefined, {
    KUBECONFIG: h.cluster("cp").kubeconfigPath,
    NO_COLOR: "1",
  });
}

Deno.test("target import --from argocd|capi: preview, --apply, idempotent, hand-written names skipped; serve --credentials-from reads them in place; target list shows the source", async () => {
  const { token } = await setup();
  const h = harness();
  const cp = h.cluster("cp");
  const c1 = h.cluster("cluster-1");
  const ns = "inv-imp";
  const argoNs = "inv-imp-cd";
  const fleet = "inv-imp-fleet";
  const kc = adminKc(cp);
  for (const n of [ns, argoNs, fleet]) await createNamespace(kc, n);
  const docs = await fixture("argocd-cluster-secrets.yaml", {
    SECRET_PREFIX: "cluster",
    NAME_PREFIX: "imp",
    SERVER: c1.url,
    TOKEN: token,
    CA_DATA: b64(h.pki.ca.certPem),
    CERT_DATA: b64(h.pki.admin.certPem),
    KEY_DATA: b64(h.pki.admin.keyPem),
    ENV: "prod",
  });
  await apply(cp, argoNs, docs.filter((d) => /-(token|tls)$/.test((d.metadata as { name: string }).name)));
  await apply(cp, fleet, await capiCluster("imp-capi", "prod"));
  await putKubeconfigSecret(kc, ns, "imp-tls-kubeconfig", c1.kubeconfigYaml);
  await createTarget(kc, ns, "imp-tls", { clusterName: "imp-tls" }); // hand-written: never overwritten

  const preview = await ksit(["target", "import", "--from", "argocd", "--from-namespace", argoNs, "-n", ns]);
  assertEquals(preview.code, 0, preview.stderr);
  assertMatch(preview.stdout, /^NAME\s+FROM\s+CREDENTIALS\s+LABELS\s+ACTION$/m);
  assertMatch(
    preview.stdout,
    new RegExp(
      `^imp-token\\s+Secret ${argoNs}/cluster-token\\s+${argoNs}/cluster-token \\(argocd\\)\\s+env=prod\\s+create$`,
      "m",
    ),
  );
  assertMatch(preview.stdout, /^imp-tls\s+.*skip: target imp-tls exists \(hand-written\)$/m);
  assertStringIncludes(preview.stderr, `Preview only: nothing written to ${ns}`);
  assertStringIncludes(preview.stderr, `run it with --credentials-from argocd=${argoNs}`);
  assertEquals((await targets(ns)).map((t) => t.metadata.name), ["imp-tls"], "a preview writes nothing");
  const yaml = await ksit([
    "target",
    "import",
    "--from",
    "argocd",
    "--from-namespace",
    argoNs,
    "-n",
    ns,
    "-o",
    "yaml",
  ]);
  const listed = parseAllDocuments(yaml.stdout)[0]!.toJS() as { items: IntegrationTarget[] };
  assertEquals(listed.items.map((t) => t.metadata.name), ["imp-token"]);

  const applied = await ksit([
    "target",
    "import",
    "--from",
    "argocd",
    "--from-namespace",
    argoNs,
    "-n",
    ns,
    "--apply",
  ]);
  assertEquals(applied.code, 0, applied.stderr);
  assertEquals(applied.stdout, "integrationtarget.ksit.io/imp-token created\n");
  assertStringIncludes(
    applied.stderr,
    `skipped Secret ${argoNs}/cluster-tls: target imp-tls exists (hand-written)`,
  );
  const capi = await ksit([
    "target",
    "import",
    "--from",
    "capi",
    "--from-namespace",
    fleet,
    "-n",
    ns,
    "--apply",
  ]);
  assertEquals(capi.code, 0, capi.stderr);
  assertStringIncludes(capi.stdout, "integrationtarget.ksit.io/imp-capi created");
  const again = await ksit(["target", "import", "--from", "argocd", "--from-namespace", argoNs, "-n", ns]);
  assertMatch(again.stdout, /^imp-token\s+.*\s+unchanged$/m);
  const imported = await getTarget(kc, ns, "imp-token");
  assertEquals(imported.metadata.labels?.["ksit.io/imported-from"], "argocd");
  assertEquals(imported.metadata.labels?.["ksit.io/source"], undefined, "not maintained by serve");
  assertEquals((await getTarget(kc, ns, "imp-tls")).spec, { clusterName: "imp-tls" });
  const none = await ksit([
    "target",
    "import",
    "--from",
    "clusterprofile",
    "--from-namespace",
    argoNs,
    "-n",
    ns,
  ]);
  assertEquals(none.code, 0, none.stderr);
  assertStringIncludes(none.stderr, "No clusterprofile clusters found");

  // serve reads the imported targets' credentials in place, and maintains nothing
  await createIntegration(kc, ns, "argo", {
    type: "argocd",
    targetSelector: { matchLabels: { env: "prod" } },
  });
  const serve = await serveWithChartRbac(ns, [
    { source: "argocd", namespaces: [argoNs], sync: false },
    { source: "capi", namespaces: [fleet], sync: false },
  ]);
  try {
    await dumpOnFailure([serve], async () => {
      await waitClusters(ns, "argo", { "imp-token": "Running", "imp-capi": "Running" });
      const list = await ksit(["target", "list", "-n", ns]);
      assertEquals(list.code, 0, list.stderr);
      assertMatch(list.stdout, /^NAME\s+CLUSTER\s+SOURCE\s+READY\s+VERSION\s+REASON\s+AGE$/m);
      assertMatch(list.stdout, /^imp-token\s+imp-token\s+imported:argocd\s+True\s+v1\.\S+\s+Connected\s+/m);
      assertMatch(list.stdout, /^imp-capi\s+imp-capi\s+imported:capi\s+True\s+/m);
      assertMatch(list.stdout, /^imp-tls\s+imp-tls\s+manual\s+True\s+/m);
      const wide = await ksit(["target", "list", "-n", ns, "-o", "wide"]);
      assertMatch(
        wide.stdout,
        new RegExp(
          `^imp-capi\\s+.*Cluster ${fleet}/imp-capi\\s+.*${fleet}/imp-capi-kubeconfig/value\\s`,
          "m",
        ),
      );
      // a Secret of a namespace serve does not read: refused with what to do
      await ok(cp.kubectl(["create", "namespace", "inv-imp-other"]), "ns");
      await createTarget(kc, ns, "elsewhere", {
        clusterName: "elsewhere",
        kubeconfigSecretRef: { name: "x", namespace: "inv-imp-other" },
      });
      const refused = await waitTarget(
        ns,
        "elsewhere",
        (t) => reason(t) === "SecretNotFound",
        "SecretNotFound",
      );
      assertStringIncludes(
        readyCondition(refused!)?.message ?? "",
        "Secret inv-imp-other/x key kubeconfig: serve reads no Secrets of namespace inv-imp-other",
      );
      assertEquals((await targets(ns)).length, 4, "no target made without --inventory");
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
});

Deno.test("inventory sync runs on the leader only: a follower writes no target until it holds the Lease", async () => {
  await setup();
  const h = harness();
  const cp = h.cluster("cp");
  const ns = "inv-lead";
  const fleet = "inv-lead-fleet";
  const kc = adminKc(cp);
  await createNamespace(kc, ns);
  await createNamespace(kc, fleet);
  await apply(cp, fleet, await capiCluster("lead-1", "prod"));
  // another replica holds the Lease
  const lease = {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: "ksit-controller", namespace: ns },
    spec: {
      holderIdentity: "other-replica",
      leaseDurationSeconds: 3600,
      renewTime: new Date().toISOString().replace("Z", "000Z"), // MicroTime
    },
  };
  await apply(cp, ns, [lease]);
  const serve = await serveWithChartRbac(ns, [{ source: "capi", namespaces: [fleet], sync: true }], [
    "--leader-elect",
    "--lease-duration=2s",
  ]);
  try {
    await dumpOnFailure([serve], async () => {
      const ready = await serve.get("/readyz");
      assertStringIncludes(ready.text, "leader: false");
      // caches listed, not leading: the metrics of a follower show no inventory pass
      await eventually(async () => (await serve.get("/metrics")).text.includes("ksit_leader 0"), {
        what: "follower",
      });
      // a pass would have run as soon as the caches listed (readyz): none comes while another replica leads
      const until = Date.now() + 3_000;
      while (Date.now() < until) {
        assertEquals(await targets(ns), [], "a follower writes no target");
        await new Promise((r) => setTimeout(r, 250)); // the condition here is time passing
      }
      // the other replica goes away: this one leads and makes the target
      await ok(cp.kubectl(["delete", "lease", "ksit-controller", "-n", ns]), "delete lease");
      await waitTarget(
        ns,
        "lead-1",
        (t) => t?.metadata.labels?.["ksit.io/source"] === "capi",
        "made by the leader",
      );
    });
  } finally {
    assertEquals(await serve.stop(), 0);
  }
});
