/**
 * Runs `kubectl-ksit serve` as a subprocess for end-to-end tests (`deno run -A main.ts serve …`), waits for
 * its health server, and stops it (SIGTERM, or SIGKILL for failover tests). Also: seeding workload clusters
 * with tool fixtures, and the control-plane objects (Secret + IntegrationTarget + Integration) tests need.
 */
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1DaemonSet,
  type V1Deployment,
  type V1StatefulSet,
} from "@kubernetes/client-node";
import type { Integration, IntegrationTarget } from "../../api/types.ts";
import { tuneTransport } from "../../kube/transport.ts";
import type { TestCluster } from "./harness.ts";
import { loadFixture } from "../fixtures/load.ts";
import { eventually } from "./poll.ts";
import { pumpInto, trackChild } from "./harness.ts";
import { freePort } from "./ports.ts";
import { V8_FLAGS_ARG } from "../../scripts/v8_flags.ts";

const root = new URL("../../", import.meta.url).pathname;

/** The entry to run (`main.ts serve`); KSIT_SERVE_ENTRY overrides (e.g. a compiled binary's wrapper script). */
function entry(): string {
  return Deno.env.get("KSIT_SERVE_ENTRY") ?? "main.ts";
}

export interface ServeProcess {
  readonly pid: number;
  readonly healthUrl: string;
  readonly logPath: string;
  /** Exit status once stopped. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Sends `signal` (default SIGTERM) and waits for the exit; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** The JSON log lines so far. */
  logs(): Promise<Record<string, unknown>[]>;
  /** The last `n` lines of serve's output (for failure messages). */
  tail(n?: number): Promise<string>;
  /** Resident set size in KiB (from /proc). */
  rssKiB(): Promise<number>;
  /** GET a path of the health server. */
  get(path: string): Promise<{ status: number; text: string }>;
}

export interface ServeArgs {
  kubeconfigPath: string;
  namespace: string;
  /** Extra flags, e.g. ["--leader-elect", "--request-timeout=5s"]. */
  args?: string[];
  env?: Record<string, string>;
}

export async function startServe(o: ServeArgs): Promise<ServeProcess> {
  const port = freePort();
  const logPath = await Deno.makeTempFile({ prefix: "ksit-serve-", suffix: ".log" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      V8_FLAGS_ARG,
      entry(),
      "serve",
      "--kubeconfig",
      o.kubeconfigPath,
      "--namespace",
      o.namespace,
      "--health-addr",
      `127.0.0.1:${port}`,
      ...(o.args ?? []),
    ],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...o.env },
  }).spawn();
  trackChild(child.pid); // killed by the harness reaper if this test process dies
  const file = await Deno.open(logPath, { write: true, append: true });
  const pumped = Promise.all([pumpInto(file, child.stdout), pumpInto(file, child.stderr)]).finally(() =>
    file.close()
  );
  const healthUrl = `http://127.0.0.1:${port}`;
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await pumped;
    return s;
  });
  const proc: ServeProcess = {
    pid: child.pid,
    healthUrl,
    logPath,
    status,
    async stop(signal: Deno.Signal = "SIGTERM") {
      if (!exited) {
        try {
          child.kill(signal);
        } catch { /* gone */ }
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 15_000);
      const s = await status;
      clearTimeout(timer);
      return s.code;
    },
    async logs() {
      const text = await Deno.readTextFile(logPath).catch(() => "");
      return text.split("\n").filter((l) => l.startsWith("{")).map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { raw: l };
        }
      });
    },
    async tail(n = 40) {
      return (await Deno.readTextFile(logPath).catch(() => "")).split("\n").slice(-n).join("\n");
    },
    async rssKiB() {
      const text = await Deno.readTextFile(`/proc/${child.pid}/status`);
      return Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? 0);
    },
    async get(path: string) {
      const res = await fetch(`${healthUrl}${path}`, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, text: await res.text() };
    },
  };
  try {
    await eventually(async () => {
      if (exited) return "exited";
      return (await proc.get("/readyz")).status === 200;
    }, { timeoutMs: 60_000, intervalMs: 200, what: "serve /readyz" });
    if (exited) throw new Error("serve exited");
  } catch (e) {
    await proc.stop("SIGKILL");
    const tail = (await Deno.readTextFile(logPath).catch(() => "")).split("\n").slice(-30).join("\n");
    throw new Error(`serve did not become ready: ${(e as Error).message}\n${tail}`);
  }
  return proc;
}

// ------------------------------------------------------------------------------------------ seeding

/**
 * The admin KubeConfig of a harness cluster, speaking HTTP/1.1 only: with h2, Deno's node:http2 aborts the test
 * process when an API server that the tests stop sends GOAWAY (see kube/transport.ts).
 */
export function adminKc(c: TestCluster): KubeConfig {
  return tuneTransport(c.kc());
}

/**
 * Creates the objects of a tool fixture (tests/fixtures/tools/…) in `namespace` (created if needed) and writes
 * their status through /status, so the workload cluster looks like a healthy install.
 */
export async function seedFixture(kc: KubeConfig, fixture: string, namespace: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch((e) => {
    if ((e as { code?: number }).code !== 409) throw e;
  });
  const fx = await loadFixture(fixture, { namespace });
  const objects = kc.makeApiClient(KubernetesObjectApi);
  const apps = kc.makeApiClient(AppsV1Api);
  await Promise.all(fx.objects.map(async (o) => {
    const { status, ...rest } = o as KubernetesObject & { status?: unknown };
    const meta = { ...(rest.metadata ?? {}) } as Record<string, unknown>;
    for (const k of ["generation", "resourceVersion", "uid", "creationTimestamp", "managedFields"]) {
      delete meta[k];
    }
    // idempotent (the quickstart runs twice): an existing object is read back and gets its status again
    const created = await objects.create({ ...rest, metadata: meta } as KubernetesObject).catch((e) => {
      if ((e as { code?: number }).code !== 409) throw e;
      return objects.read({
        apiVersion: rest.apiVersion,
        kind: rest.kind,
        metadata: { name: meta.name as string, namespace },
      });
    });
    if (!status) return;
    const gen = created.metadata?.generation;
    const name = created.metadata!.name!;
    if (o.kind === "Deployment") {
      const cur = created as V1Deployment;
      cur.status = { ...(status as V1Deployment["status"]), observedGeneration: gen };
      await apps.replaceNamespacedDeploymentStatus({ name, namespace, body: cur });
    } else if (o.kind === "StatefulSet") {
      const cur = created as V1StatefulSet;
      cur.status = {
        ...(status as V1StatefulSet["status"]),
        observedGeneration: gen,
      } as V1StatefulSet["status"];
      await apps.replaceNamespacedStatefulSetStatus({ name, namespace, body: cur });
    } else if (o.kind === "DaemonSet") {
      const cur = created as V1DaemonSet;
      cur.status = { ...(status as V1DaemonSet["status"]), observedGeneration: gen } as V1DaemonSet["status"];
      await apps.replaceNamespacedDaemonSetStatus({ name, namespace, body: cur });
    }
  }));
}

/** Creates a namespace on the control plane. */
export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } }).catch((e) => {
    if ((e as { code?: number }).code !== 409) throw e;
  });
}

/** Creates or replaces the kubeconfig Secret `<name>` (key `kubeconfig`). */
export async function putKubeconfigSecret(
  kc: KubeConfig,
  namespace: string,
  name: string,
  kubeconfig: string,
) {
  const core = kc.makeApiClient(CoreV1Api);
  const body = { metadata: { name, namespace }, stringData: { kubeconfig } };
  try {
    await core.createNamespacedSecret({ namespace, body });
  } catch (e) {
    if ((e as { code?: number }).code !== 409) throw e;
    await core.replaceNamespacedSecret({ name, namespace, body });
  }
}

const ksit = { group: "ksit.io", version: "v1alpha1" };

export async function createTarget(
  kc: KubeConfig,
  namespace: string,
  name: string,
  spec: IntegrationTarget["spec"],
  labels?: Record<string, string>,
): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    ...ksit,
    namespace,
    plural: "integrationtargets",
    body: {
      apiVersion: "ksit.io/v1alpha1",
      kind: "IntegrationTarget",
      metadata: { name, namespace, labels },
      spec,
    },
  });
}

export async function createIntegration(
  kc: KubeConfig,
  namespace: string,
  name: string,
  spec: Integration["spec"],
): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    ...ksit,
    namespace,
    plural: "integrations",
    body: { apiVersion: "ksit.io/v1alpha1", kind: "Integration", metadata: { name, namespace }, spec },
  });
}

export async function getIntegration(kc: KubeConfig, namespace: string, name: string): Promise<Integration> {
  return await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    ...ksit,
    namespace,
    plural: "integrations",
    name,
  }) as Integration;
}

export async function getTarget(kc: KubeConfig, namespace: string, name: string): Promise<IntegrationTarget> {
  return await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    ...ksit,
    namespace,
    plural: "integrationtargets",
    name,
  }) as IntegrationTarget;
}

/** Merge-patches an object's metadata.labels (JSON merge patch through kubectl-free client-node). */
export async function patchTargetLabels(
  kc: KubeConfig,
  namespace: string,
  name: string,
  labels: Record<string, string | null>,
): Promise<void> {
  const t = await getTarget(kc, namespace, name);
  const merged: Record<string, string> = { ...(t.metadata.labels ?? {}) };
  for (const [k, v] of Object.entries(labels)) {
    if (v === null) delete merged[k];
    else merged[k] = v;
  }
  await kc.makeApiClient(CustomObjectsApi).replaceNamespacedCustomObject({
    ...ksit,
    namespace,
    plural: "integrationtargets",
    name,
    body: { ...t, metadata: { ...t.metadata, labels: merged } },
  });
}

/** The `Ready` condition of an object's status. */
export function readyCondition(
  o: { status?: { conditions?: { type: string; status: string; reason: string; message?: string }[] } },
) {
  return o.status?.conditions?.find((c) => c.type === "Ready");
}

/** Polls until Integration `ns/name` has `phase`; returns it. */
/** The holder of the leader-election Lease `ksit-controller` in `ns` ("" when none or no Lease). */
export async function leaseHolder(cp: TestCluster, ns: string): Promise<string> {
  const r = await cp.kubectl([
    "get",
    "lease",
    "ksit-controller",
    "-n",
    ns,
    "-o",
    "jsonpath={.spec.holderIdentity}",
  ]);
  return r.code === 0 ? r.stdout : "";
}

export async function waitPhase(kc: KubeConfig, ns: string, name: string, phase: string, timeoutMs = 30_000) {
  return await eventually(async () => {
    const i = await getIntegration(kc, ns, name);
    return i.status?.phase === phase ? i : undefined;
  }, { timeoutMs, intervalMs: 50, what: `${ns}/${name} phase ${phase}` });
}

/** Runs `fn`; if it throws, prints the log tail of each serve process first. */
export async function dumpOnFailure<T>(procs: ServeProcess[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    for (const p of procs) console.log(`serve ${p.pid} log (${p.logPath}) tail:\n${await p.tail()}`);
    throw e;
  }
}
