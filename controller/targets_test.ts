import type { V1Secret } from "@kubernetes/client-node";
import type { IntegrationTarget } from "../api/types.ts";
import { assert, assertEquals, assertMatch } from "../tests/support/assert.ts";
import { controllerMetrics } from "./metrics.ts";
import { Semaphore } from "../util/semaphore.ts";
import { type Connection, projectSecret, refreshConnection, secretRef, targetStatus } from "./targets.ts";

const target = (spec: Partial<IntegrationTarget["spec"]> = {}): IntegrationTarget => ({
  apiVersion: "ksit.io/v1alpha1",
  kind: "IntegrationTarget",
  metadata: { name: "t1", namespace: "ns", generation: 3 },
  spec: { clusterName: "cluster-1", ...spec },
});

const conn = (): Connection => ({
  targetKey: "ns/t1",
  clusterName: "cluster-1",
  gen: 0,
  state: { ready: false, reason: "ClusterUnreachable", message: "" },
});

const opts = {
  allowExecAuth: false,
  timeoutMs: 1000,
  metrics: controllerMetrics(),
  global: new Semaphore(4),
};

function secret(kubeconfig: string, key = "kubeconfig", rv = "1"): V1Secret {
  return {
    metadata: { name: "cluster-1-kubeconfig", uid: "u", resourceVersion: rv },
    data: { [key]: btoa(kubeconfig) },
  };
}

const execKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/echo, args: ['{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}']}}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`;

Deno.test("secretRef: default <clusterName>-kubeconfig / kubeconfig, or spec.kubeconfigSecretRef", () => {
  assertEquals(secretRef(target()), { name: "cluster-1-kubeconfig", key: "kubeconfig" });
  assertEquals(secretRef(target({ kubeconfigSecretRef: { name: "s", key: "k" } })), { name: "s", key: "k" });
});

Deno.test("refreshConnection: Secret missing ⇒ SecretNotFound; wrong key or garbage ⇒ InvalidKubeconfig", async () => {
  const c = conn();
  await refreshConnection(c, target(), undefined, opts);
  assertEquals([c.state.ready, c.state.reason], [false, "SecretNotFound"]);
  assertMatch(c.state.message, /Secret ns\/cluster-1-kubeconfig/);
  await refreshConnection(c, target(), secret("x", "other"), opts);
  assertEquals(c.state.reason, "InvalidKubeconfig");
  await refreshConnection(c, target(), secret(": not yaml [", "kubeconfig", "2"), opts);
  assertEquals(c.state.reason, "InvalidKubeconfig");
  assert(c.client === undefined);
});

Deno.test("projectSecret: the cache keeps what a kubeconfig can be; a dropped value still gets its reason", async () => {
  const helm: V1Secret = {
    metadata: {
      name: "cluster-1-kubeconfig",
      namespace: "ns",
      uid: "u",
      resourceVersion: "7",
      annotations: { big: "x".repeat(1000) },
      managedFields: [{ manager: "helm" }],
    },
    type: "helm.sh/release.v1",
    data: { release: "H4sI".repeat(10_000), kubeconfig: btoa("apiVersion: v1") },
  };
  const p = projectSecret(helm);
  assertEquals(p.metadata, { name: "cluster-1-kubeconfig", namespace: "ns", uid: "u", resourceVersion: "7" });
  assertEquals(p.data, {});
  assertEquals(p.dropped, { release: 0, kubeconfig: 0 });
  const c = conn();
  await refreshConnection(c, target(), p, opts);
  assertEquals(c.state.reason, "InvalidKubeconfig");
  assertMatch(c.state.message, /type helm\.sh\/release\.v1 does not hold a kubeconfig; use an Opaque Secret/);

  const huge = projectSecret({ ...secret("x"), data: { kubeconfig: "A".repeat(400 * 1024) } });
  assertEquals(huge.data, {});
  assertEquals(huge.dropped, { kubeconfig: 400 * 1024 });
  await refreshConnection(c, target(), huge, opts);
  assertMatch(c.state.message, /300 KiB is too large for a kubeconfig \(at most 256 KiB\)/);

  const ok = projectSecret(secret("apiVersion: v1"));
  assertEquals(ok.data, { kubeconfig: btoa("apiVersion: v1") });
  assertEquals(ok.dropped, undefined);
});

Deno.test("refreshConnection: exec kubeconfig ⇒ ExecAuthNotAllowed unless allowed; never echoes the Secret", async () => {
  const c = conn();
  await refreshConnection(c, target(), secret(execKubeconfig), opts);
  assertEquals(c.state.reason, "ExecAuthNotAllowed");
  assert(!c.state.message.includes("client.authentication"), c.state.message);
  const allowed = conn();
  await refreshConnection(allowed, target(), secret(execKubeconfig), { ...opts, allowExecAuth: true });
  assert(allowed.client !== undefined, "client built when exec auth is allowed");
  assertEquals(allowed.gen, 1);
  // same Secret version: not rebuilt
  await refreshConnection(allowed, target(), secret(execKubeconfig), { ...opts, allowExecAuth: true });
  assertEquals(allowed.gen, 1);
  // new Secret version: rebuilt
  await refreshConnection(allowed, target(), secret(execKubeconfig, "kubeconfig", "9"), {
    ...opts,
    allowExecAuth: true,
  });
  assertEquals(allowed.gen, 2);
});

Deno.test("targetStatus: Ready condition with observedGeneration; lastTransitionTime moves only on change", () => {
  const t = target();
  const s1 = targetStatus(
    t,
    { ready: true, reason: "Connected", message: "ok", serverVersion: "v1.37.2" },
    "2026-01-01T00:00:00Z",
  );
  assertEquals(s1.serverVersion, "v1.37.2");
  assertEquals(s1.observedGeneration, 3);
  assertEquals(s1.conditions?.[0]?.observedGeneration, 3);
  const t2 = { ...t, status: s1 };
  const s2 = targetStatus(t2, { ready: true, reason: "Connected", message: "ok" }, "2026-01-02T00:00:00Z");
  assertEquals(s2.conditions?.[0]?.lastTransitionTime, "2026-01-01T00:00:00Z");
  const s3 = targetStatus(
    t2,
    { ready: false, reason: "ClusterUnreachable", message: "down" },
    "2026-01-03T00:00:00Z",
  );
  assertEquals(s3.conditions?.[0]?.lastTransitionTime, "2026-01-03T00:00:00Z");
  assertEquals(s3.serverVersion, "v1.37.2", "last known version kept");
});
