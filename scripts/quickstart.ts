/**
 * `deno task quickstart`: the main job on a fresh machine (Node + Go, no Docker). Builds or reuses the test
 * binaries; starts a control plane and two live workload clusters (real kube-apiserver processes; the workload
 * clusters also run kube-controller-manager, kube-scheduler and kwok with 3 fake nodes — tests/support/live.ts;
 * background, state in one directory); installs KSIT with its Helm chart; creates the Deployments and
 * StatefulSets of Argo CD, Flux, kube-prometheus-stack and Istio installs on the workload clusters, which the
 * controllers roll out (pods scheduled, Ready through kwok); registers them with `kubectl ksit target add
 * --service-account`; applies deploy/samples; runs `serve` under the chart's ServiceAccount; waits until every
 * Integration is judged and prints what to look at next, with a real way to break a component (`kubectl set
 * image` to a tag that never pulls) and to repair it (`kubectl rollout undo`). Idempotent (a second run puts the
 * tools' objects back as installed). `deno task quickstart:down` stops it all.
 *
 * KSIT_QUICKSTART_DIR overrides the state directory (default: .ksit/quickstart in the repository).
 */
import { CustomObjectsApi } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { Harness, pidAlive, type TestCluster } from "../tests/support/harness.ts";
import { setImageArgs } from "../tests/support/faults.ts";
import { NEVER_READY_TAG } from "../tests/support/kwok_stages.ts";
import { installTool, waitRolledOut } from "../tests/support/live_workloads.ts";
import { eventually } from "../tests/support/poll.ts";
import { freePort } from "../tests/support/ports.ts";
import { V8_FLAGS_ARG } from "./v8_flags.ts";

const root = new URL("../", import.meta.url).pathname;
const dir = Deno.env.get("KSIT_QUICKSTART_DIR") ?? `${root}.ksit/quickstart`;
const NS = "ksit-system";
const CLUSTERS = ["ksit-cp", "cluster-1", "cluster-2"] as const;
const WORKLOAD_CLUSTERS = ["cluster-1", "cluster-2"];
/** The break/repair demo: argocd-repo-server (2 replicas) on cluster-1; its rollout fails after this deadline. */
const DEMO = { cluster: "cluster-1", namespace: "argocd", deployment: "argocd-repo-server", deadlineS: 15 };
const started = performance.now();
const tty = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);

function step(what: string) {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(5);
  console.log(`${bold("==>")} [${s}s] ${what}`);
}

/**
 * What each workload cluster runs: fixture files shaped like the upstream installs (their Deployments,
 * StatefulSets and Services, created as real objects), per tool namespace.
 */
const TOOLS: Record<string, { fixture: string; namespace: string }[]> = {
  "cluster-1": [
    { fixture: "tools/argocd/install.yaml", namespace: "argocd" },
    { fixture: "tools/flux/install.yaml", namespace: "flux-system" },
    { fixture: "tools/prometheus/kps-prometheus.yaml", namespace: "monitoring" },
    { fixture: "tools/istio/default.yaml", namespace: "istio-system" },
  ],
  "cluster-2": [
    { fixture: "tools/argocd/helm-argo.yaml", namespace: "argocd" },
    { fixture: "tools/prometheus/kps-kps.yaml", namespace: "monitoring" },
    { fixture: "tools/istio/revisioned.yaml", namespace: "istio-system" },
  ],
};

async function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; quiet?: boolean } = {},
) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { KUBECONFIG: `${dir}/kubeconfig`, ...opts.env },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(
      `${cmd.split("/").pop()} ${args.join(" ")} failed (exit ${out.code}):\n${stderr}${stdout}`,
    );
  }
  return stdout;
}

const ksit = (args: string[]) => run(Deno.execPath(), ["run", "-A", `${root}main.ts`, ...args]);

/** One kubeconfig with a context per cluster (admin), the control plane current. */
async function writeKubeconfig(h: Harness) {
  const ca = btoa(h.pki.ca.certPem);
  const user = {
    "client-certificate-data": btoa(h.pki.admin.certPem),
    "client-key-data": btoa(h.pki.admin.keyPem),
  };
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: h.clusters.map((c) => ({
      name: c.name,
      cluster: { server: c.url, "certificate-authority-data": ca },
    })),
    users: [{ name: "admin", user }],
    contexts: h.clusters.map((c) => ({
      name: c.name,
      context: { cluster: c.name, user: "admin", ...(c.name === "ksit-cp" ? { namespace: NS } : {}) },
    })),
    "current-context": "ksit-cp",
  };
  await Deno.writeTextFile(`${dir}/kubeconfig`, stringify(config), { mode: 0o600 });
}

async function clusters(): Promise<Harness> {
  const existing = await Harness.attach(dir);
  if (existing?.healthy) {
    step(`reusing the running clusters in ${dir}`);
    return existing;
  }
  if (existing) {
    step("a previous quickstart is partly down; stopping what is left");
    await existing.stop();
  }
  step(`starting ${CLUSTERS.join(", ")} (kube-apiserver + etcd on 127.0.0.1; state in ${dir})`);
  console.log(
    `    ${
      WORKLOAD_CLUSTERS.join(" and ")
    } are live: kube-controller-manager, kube-scheduler and kwok (3 fake nodes)`,
  );
  const h = await Harness.start({ clusters: [...CLUSTERS], detached: { dir }, live: WORKLOAD_CLUSTERS });
  console.log(
    `    ready in ${(h.startupMs / 1000).toFixed(1)}s (controllers and nodes ${
      (h.liveStartupMs / 1000).toFixed(1)
    }s after their API servers)`,
  );
  return h;
}

async function installTools(c: TestCluster) {
  await Promise.all(
    (TOOLS[c.name] ?? []).map((t) =>
      installTool(c, new URL(`../tests/fixtures/${t.fixture}`, import.meta.url).href, t.namespace)
    ),
  );
}

async function startServe(h: Harness, cp: TestCluster): Promise<{ healthUrl: string; uiUrl?: string }> {
  const statePath = `${dir}/serve.json`;
  try {
    const s = JSON.parse(await Deno.readTextFile(statePath));
    if (pidAlive(s.pid)) {
      step(`serve is already running (pid ${s.pid})`);
      return s;
    }
  } catch { /* not started yet */ }
  step("starting `kubectl-ksit serve` with a token of the chart's ServiceAccount (its Role only)");
  const token = (await run(h.bin.kubectl, ["create", "token", "ksit", "-n", NS, "--duration=8760h"])).trim();
  const kubeconfig = `${dir}/serve.kubeconfig`;
  await Deno.writeTextFile(kubeconfig, cp.kubeconfigFor({ token }, { namespace: NS }), { mode: 0o600 });
  const port = freePort();
  const healthUrl = `http://127.0.0.1:${port}`;
  const uiPort = freePort();
  const uiUrl = `http://127.0.0.1:${uiPort}/ui/`;
  const proc = h.proc("serve", Deno.execPath(), [
    "run",
    "-A",
    V8_FLAGS_ARG,
    `${root}main.ts`,
    "serve",
    "--kubeconfig",
    kubeconfig,
    "--namespace",
    NS,
    "--health-addr",
    `127.0.0.1:${port}`,
    "--ui-addr",
    `127.0.0.1:${uiPort}`,
  ], `${dir}/serve.log`);
  await proc.start();
  await Deno.writeTextFile(statePath, JSON.stringify({ pid: proc.pid, healthUrl, uiUrl }));
  await eventually(async () => {
    if (!proc.running) throw new Error(`serve exited; see ${dir}/serve.log`);
    const res = await fetch(`${healthUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.ok;
  }, { timeoutMs: 60_000, intervalMs: 250, what: "serve /readyz" });
  return { healthUrl, uiUrl };
}

async function waitJudged(cp: TestCluster) {
  const api = cp.kc().makeApiClient(CustomObjectsApi);
  await eventually(async () => {
    const list = await api.listNamespacedCustomObject({
      group: "ksit.io",
      version: "v1alpha1",
      namespace: NS,
      plural: "integrations",
    }) as {
      items: {
        metadata: { generation?: number };
        status?: { phase?: string; observedGeneration?: number };
      }[];
    };
    return list.items.length > 0 &&
      list.items.every((i) =>
        i.status?.phase && i.status.phase !== "Pending" &&
        i.status.observedGeneration === i.metadata.generation
      );
  }, { timeoutMs: 90_000, intervalMs: 250, what: "every Integration judged" });
}

async function up() {
  step("test binaries (built from Go modules the first time, then cached)");
  const h = await clusters();
  await writeKubeconfig(h);
  const cp = h.cluster("ksit-cp");
  const env = {
    PATH: `${dir}/bin:${h.bin.dir}:${Deno.env.get("PATH") ?? ""}`,
    HOME: Deno.env.get("HOME") ?? dir,
  };

  step("installing KSIT on the control plane with the Helm chart (CRDs, RBAC, ServiceAccount)");
  await run(h.bin.helm, [
    "upgrade",
    "--install",
    "ksit",
    `${root}deploy/helm/ksit`,
    "-n",
    NS,
    "--create-namespace",
  ], {
    env,
  });

  step(
    "creating Argo CD, Flux, kube-prometheus-stack and Istio on the workload clusters; waiting for the rollouts",
  );
  await Promise.all(WORKLOAD_CLUSTERS.map((n) => installTools(h.cluster(n))));
  const demo = h.cluster(DEMO.cluster);
  // the demo's stuck rollout fails after DEMO.deadlineS instead of the default 600 s (a user's own setting)
  const deadline = await demo.kubectl([
    "-n",
    DEMO.namespace,
    "patch",
    "deployment",
    DEMO.deployment,
    "-p",
    JSON.stringify({ spec: { progressDeadlineSeconds: DEMO.deadlineS } }),
  ]);
  if (deadline.code !== 0) throw new Error(`setting progressDeadlineSeconds failed: ${deadline.stderr}`);
  await waitRolledOut(demo, DEMO.namespace, [`deployment/${DEMO.deployment}`]);

  step("kubectl ksit target add --service-account (read-only ServiceAccount on each workload cluster)");
  for (const name of WORKLOAD_CLUSTERS) {
    await ksit([
      "target",
      "add",
      name,
      "--context",
      name,
      "--service-account",
      "-n",
      NS,
      "--label",
      "env=demo",
    ]);
  }

  step("applying the sample Integrations from deploy/samples/");
  await run(h.bin.kubectl, ["apply", "-n", NS, "-f", `${root}deploy/samples/`]);

  step("installing the kubectl-ksit plugin into the state directory");
  await run(Deno.execPath(), ["run", "-A", `${root}scripts/install.ts`, "--bin-dir", `${dir}/bin`]);

  const served = await startServe(h, cp);
  step("waiting until every Integration is judged");
  await waitJudged(cp);

  const exportLine = `export KUBECONFIG=${dir}/kubeconfig PATH=${dir}/bin:${h.bin.dir}:$PATH`;
  console.log(`\n${bold("$ kubectl get integrations,integrationtargets -n " + NS)}`);
  console.log(await run(h.bin.kubectl, ["get", "integrations,integrationtargets", "-n", NS], { env }));
  console.log(bold(`$ kubectl ksit status -n ${NS}`));
  console.log(await ksit(["status", "-n", NS, "--view", "list"]));
  console.log(bold(`$ kubectl ksit status -n ${NS} --view matrix`));
  console.log(await ksit(["status", "-n", NS, "--view", "matrix"]));
  console.log(bold(`$ kubectl --context ${DEMO.cluster} -n ${DEMO.namespace} get deployments,statefulsets`));
  console.log(
    await run(h.bin.kubectl, [
      "--context",
      DEMO.cluster,
      "-n",
      DEMO.namespace,
      "get",
      "deployments,statefulsets",
    ], {
      env,
    }),
  );
  const kubectl = `kubectl --context ${DEMO.cluster}`;
  const breakCmd = `${kubectl} ${
    (await setImageArgs(demo, DEMO.namespace, DEMO.deployment, NEVER_READY_TAG)).join(" ")
  }`;
  const fixCmd = `${kubectl} -n ${DEMO.namespace} rollout undo deployment/${DEMO.deployment}`;
  console.log(`${bold("Use it:")}
  ${exportLine}
  kubectl ksit status -n ${NS}            # or: kubectl get integ -n ${NS} -o wide
  kubectl ksit describe argocd -n ${NS}
  ${served.uiUrl ? `open ${served.uiUrl}      # the live dashboard (serve --ui-addr)` : ""}
  kubectl ksit dashboard -n ${NS} --open  # the same page, served locally from your kubeconfig

${
    bold("Break a component")
  } (roll ${DEMO.deployment} on ${DEMO.cluster} out to an image tag that never pulls):
  ${breakCmd}
  => within about a second: argocd Degraded, HEALTHY 1/2, "${DEMO.cluster}: ${DEMO.deployment}: rollout in progress,
     1/2 replicas updated, 2/2 available" (the new pod waits in ImagePullBackOff, the old ones serve);
     ${DEMO.deadlineS} s later (its progressDeadlineSeconds, set by the quickstart; 600 s by default) the Deployment
     controller gives up: argocd Failed, a Warning Event; kubectl ksit status --exit-code exits 3.
${bold("Repair it:")}
  ${fixCmd}

${bold("Stop everything:")} deno task quickstart:down     (logs: ${dir}/*.log and ${dir}/<cluster>/*.log)
quickstart finished in ${((performance.now() - started) / 1000).toFixed(1)}s`);
}

async function down() {
  const h = await Harness.attach(dir);
  try {
    const s = JSON.parse(await Deno.readTextFile(`${dir}/serve.json`));
    if (pidAlive(s.pid)) {
      Deno.kill(s.pid, "SIGTERM");
      await eventually(() => !pidAlive(s.pid), { timeoutMs: 15_000, what: "serve to exit" }).catch(() => {
        if (pidAlive(s.pid)) Deno.kill(s.pid, "SIGKILL");
      });
    }
  } catch { /* no serve */ }
  if (h) {
    await h.stop();
    console.log(`stopped the quickstart clusters and removed ${dir}`);
  } else {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    console.log("no quickstart is running");
  }
}

const verb = Deno.args[0] ?? "up";
try {
  if (verb === "up") await up();
  else if (verb === "down") await down();
  else {
    console.error("usage: quickstart.ts up|down");
    Deno.exit(2);
  }
} catch (e) {
  console.error(`quickstart failed: ${(e as Error).message}`);
  console.error(`logs are in ${dir}; stop with: deno task quickstart:down`);
  Deno.exit(1);
}
// the background processes are detached; nothing keeps this process alive
Deno.exit(0);
