/**
 * `kubectl ksit status | describe | version | completion` end to end on real API servers: the plugin is
 * installed with `deno task install` (bundle + launcher) and run through the real kubectl (plugin discovery
 * on PATH); `--watch` follows a real watch; each error class has its exit code and one line.
 * Servers: `cp` (control plane with the CRDs) and `cluster-1` (a workload cluster without them).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";
import { installCrds } from "./support/crds.ts";
import { type Harness, type RunResult, useHarness } from "./support/harness.ts";
import { eventually } from "./support/poll.ts";
import { rollUp } from "../checks/rollup.ts";
import type { ClusterStatus, Integration, ToolType } from "../api/types.ts";

const harness = useHarness({ clusters: ["cp", "cluster-1"] });
const root = new URL("../", import.meta.url).pathname;
const main = `${root}main.ts`;
let installDir = "";

Deno.test.beforeAll(async () => {
  const h = harness();
  await installCrds(h.cluster("cp"));
  installDir = await Deno.makeTempDir({ prefix: "ksit-install-" });
});

Deno.test.afterAll(async () => {
  if (installDir) await Deno.remove(installDir, { recursive: true }).catch(() => {});
});

/** Runs `deno run -A main.ts …` (the source entry point). */
function ksit(h: Harness, args: string[], env?: Record<string, string>): Promise<RunResult> {
  return h.run(Deno.execPath(), ["run", "-A", "--quiet", main, ...args], undefined, env);
}

function running(name: string): ClusterStatus {
  return {
    name,
    phase: "Running",
    reason: "RequiredComponentsHealthy",
    message: "4/4 required components healthy",
  };
}

function failed(name: string): ClusterStatus {
  return {
    name,
    phase: "Failed",
    reason: "RequiredComponentUnavailable",
    message: "argocd-repo-server: 0/2 available",
    components: [{
      name: "argocd-repo-server",
      kind: "Deployment",
      workload: "argocd-repo-server",
      required: true,
      status: "Unhealthy",
      ready: "0/2",
      reason: "NoReplicasAvailable",
      message: "argocd-repo-server: 0/2 available",
    }],
  };
}

/** Creates an Integration and writes its status (what the controller would) through /status. */
async function seed(
  h: Harness,
  ns: string,
  name: string,
  type: ToolType,
  clusters: ClusterStatus[],
): Promise<void> {
  const cp = h.cluster("cp");
  const obj = {
    apiVersion: "ksit.io/v1alpha1",
    kind: "Integration",
    metadata: { name, namespace: ns },
    spec: { type, targetClusters: clusters.map((c) => c.name) },
  };
  const r = await cp.kubectl(["apply", "--server-side", "-f", "-"], { stdin: JSON.stringify(obj) });
  assertEquals(r.code, 0, r.stderr);
  await setStatus(h, ns, name, clusters);
}

async function setStatus(h: Harness, ns: string, name: string, clusters: ClusterStatus[]) {
  const cp = h.cluster("cp");
  const status = rollUp({
    generation: 1,
    enabled: true,
    clusters,
    now: new Date().toISOString().slice(0, 19) + "Z",
  });
  const r = await cp.kubectl([
    "patch",
    "integration",
    name,
    "-n",
    ns,
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status }),
  ]);
  assertEquals(r.code, 0, r.stderr);
}

async function namespace(h: Harness, ns: string) {
  const r = await h.cluster("cp").kubectl(["create", "namespace", ns]);
  assertEquals(r.code, 0, r.stderr);
}

Deno.test("kubectl ksit status through kubectl plugin discovery (deno task install)", async () => {
  const h = harness();
  await namespace(h, "plugin");
  await seed(h, "plugin", "argocd-prod", "argocd", [running("cluster-1"), running("cluster-2")]);
  await seed(h, "plugin", "flux-prod", "flux", [running("cluster-1"), failed("cluster-2")]);

  const inst = await h.run(Deno.execPath(), ["task", "-q", "--cwd", root, "install", "--root", installDir]);
  assertEquals(inst.code, 0, inst.stderr + inst.stdout);
  const env = { PATH: `${installDir}/bin:${Deno.env.get("PATH")}` };
  const kubeconfig = h.cluster("cp").kubeconfigPath;

  const list = await h.run(h.bin.kubectl, ["plugin", "list"], undefined, env);
  assertStringIncludes(list.stdout, `${installDir}/bin/kubectl-ksit`);

  const r = await h.run(
    h.bin.kubectl,
    ["ksit", "status", "--kubeconfig", kubeconfig, "-n", "plugin"],
    undefined,
    env,
  );
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /^NAME\s+TYPE\s+PHASE\s+HEALTHY\s+AGE\s+MESSAGE$/m);
  assertMatch(r.stdout, /^argocd-prod\s+argocd\s+Running\s+2\/2\s+\d+s\s+all 2 clusters healthy$/m);
  assertMatch(
    r.stdout,
    /^flux-prod\s+flux\s+Failed\s+1\/2\s+\d+s\s+cluster-2: argocd-repo-server: 0\/2 available$/m,
  );
  assert(!r.stdout.includes("\x1b["), "no colour when stdout is not a terminal");

  const code = await h.run(
    h.bin.kubectl,
    ["ksit", "status", "--exit-code", "--kubeconfig", kubeconfig, "-n", "plugin"],
    undefined,
    env,
  );
  assertEquals(code.code, 3, "--exit-code: flux-prod is Failed");
  const ok = await h.run(
    h.bin.kubectl,
    ["ksit", "--kubeconfig", kubeconfig, "status", "-n", "plugin", "--exit-code", "--type", "argocd"],
    undefined,
    env,
  );
  assertEquals(ok.code, 0, ok.stderr);
  assert(!ok.stdout.includes("flux-prod"));

  // the same bundle's other paths: -o yaml loads the yaml package on demand, describe the command tree
  const yaml = await h.run(
    h.bin.kubectl,
    ["ksit", "status", "--kubeconfig", kubeconfig, "-n", "plugin", "-o", "yaml"],
    undefined,
    env,
  );
  assertEquals(yaml.code, 0, yaml.stderr);
  assertMatch(yaml.stdout, /^kind: List$/m);
  const described = await h.run(
    h.bin.kubectl,
    ["ksit", "describe", "flux-prod", "--kubeconfig", kubeconfig, "-n", "plugin"],
    undefined,
    env,
  );
  assertEquals(described.code, 0, described.stderr);
  assertMatch(described.stdout, /^Name:\s+flux-prod$/m);

  // a plain `status` starts on chunks that import nothing but each other: no Node layer, no commander, no
  // yaml, no client-node (start-up: docs/cli-startup.md)
  const lib = `${installDir}/lib/kubectl-ksit`;
  const seen = new Set<string>();
  const outside: string[] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (
      const m of Deno.readTextFileSync(`${lib}/${file}`).matchAll(/^import (?:[^"]*? from )?"([^"]+)";/gm)
    ) {
      if (m[1]!.startsWith("./")) walk(m[1]!.slice(2));
      else outside.push(`${file}: ${m[1]}`);
    }
  };
  walk("main.js");
  assertEquals(outside, []);
  assert(seen.size > 3, [...seen].join(" "));

  // kubectl ksit <TAB>: kubectl runs kubectl_complete-ksit, which asks kubectl-ksit __complete
  const comp = await h.run(h.bin.kubectl, ["__complete", "ksit", ""], undefined, env);
  assertEquals(comp.code, 0, comp.stderr);
  for (const sub of ["status", "describe", "check", "target", "completion"]) {
    assertMatch(comp.stdout, new RegExp(`^${sub}\\b`, "m"));
  }
  const names = await h.run(
    h.bin.kubectl,
    ["__complete", "ksit", "describe", "--kubeconfig", kubeconfig, "-n", "plugin", "fl"],
    undefined,
    env,
  );
  assertMatch(names.stdout, /^flux-prod\b/m);
  assert(!names.stdout.includes("argocd-prod"));
});

Deno.test("status: -o json|yaml|wide, matrix, -A, --cluster, colour rules", async () => {
  const h = harness();
  await namespace(h, "views");
  await seed(h, "views", "argocd", "argocd", [running("c-a"), failed("c-b")]);
  await seed(h, "views", "istio", "istio", [running("c-a")]);
  const kc = ["--kubeconfig", h.cluster("cp").kubeconfigPath];

  const json = await ksit(h, ["status", ...kc, "-n", "views", "-o", "json"]);
  assertEquals(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout);
  assertEquals(doc.kind, "List");
  assertEquals(doc.items.map((i: Integration) => i.metadata.name), ["argocd", "istio"]);
  assertEquals(doc.items[0].status.phase, "Failed");
  assert(!json.stdout.includes("managedFields"));

  const yaml = await ksit(h, ["status", ...kc, "-n", "views", "-o", "yaml"]);
  assertMatch(yaml.stdout, /^kind: List$/m);

  const wide = await ksit(h, ["status", ...kc, "-n", "views", "-o", "wide"]);
  assertMatch(
    wide.stdout,
    /^argocd\s+argocd\s+Failed\s+1\/2\s+\S+\s+c-a:Running,c-b:Failed\s+ComponentsFailed\s+/m,
  );

  const matrix = await ksit(h, ["status", ...kc, "-n", "views", "--view", "matrix"]);
  assertMatch(matrix.stdout, /^NAME\s+TYPE\s+PHASE\s+c-a\s+c-b$/m);
  assertMatch(matrix.stdout, /^argocd\s+argocd\s+Failed\s+Running\s+Failed$/m);
  assertMatch(matrix.stdout, /^istio\s+istio\s+Running\s+Running\s+-$/m);

  const cluster = await ksit(h, ["status", ...kc, "-n", "views", "--cluster", "c-b"]);
  assert(cluster.stdout.includes("argocd") && !cluster.stdout.includes("istio"), cluster.stdout);

  const all = await ksit(h, ["status", ...kc, "-A"]);
  assertMatch(all.stdout, /^NAMESPACE\s+NAME\s+TYPE/m);
  assertMatch(all.stdout, /^views\s+argocd\s+/m);

  const none = await ksit(h, ["status", ...kc, "-n", "empty-namespace"]);
  assertEquals(none.code, 0);
  assertEquals(none.stdout, "");
  assertStringIncludes(none.stderr, "No integrations found in empty-namespace namespace.");
});

Deno.test("status --watch redraws from a watch when an Integration changes", async () => {
  const h = harness();
  await namespace(h, "watch");
  await seed(h, "watch", "argocd", "argocd", [running("cluster-1")]);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      main,
      "status",
      "--watch",
      "--kubeconfig",
      h.cluster("cp").kubeconfigPath,
      "-n",
      "watch",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let out = "";
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) out += chunk;
  })();
  try {
    await eventually(() => /^argocd\s+argocd\s+Running/m.test(out), {
      timeoutMs: 20_000,
      what: "first table",
    });
    await setStatus(h, "watch", "argocd", [failed("cluster-1")]);
    await eventually(() => /^argocd\s+argocd\s+Failed/m.test(out), {
      timeoutMs: 10_000,
      what: "redraw on change",
    });
    await seed(h, "watch", "flux", "flux", [running("cluster-1")]);
    await eventually(() => /^flux\s+flux\s+Running/m.test(out), { timeoutMs: 10_000, what: "redraw on add" });
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    await reading;
    await child.stderr.cancel().catch(() => {});
    assertEquals(status.code, 0, "SIGTERM ends --watch with exit 0");
  }
});

Deno.test("describe: per cluster and component, conditions, events", async () => {
  const h = harness();
  const cp = h.cluster("cp");
  await namespace(h, "desc");
  await seed(h, "desc", "argocd-prod", "argocd", [running("cluster-1"), failed("cluster-2")]);
  const integ = JSON.parse(
    (await cp.kubectl(["get", "integration", "argocd-prod", "-n", "desc", "-o", "json"])).stdout,
  );
  const event = {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: "argocd-prod.test1", namespace: "desc" },
    involvedObject: {
      apiVersion: "ksit.io/v1alpha1",
      kind: "Integration",
      name: "argocd-prod",
      namespace: "desc",
      uid: integ.metadata.uid,
    },
    type: "Warning",
    reason: "Failed",
    message: "cluster-2: argocd-repo-server: 0/2 available",
    source: { component: "ksit-controller" },
    firstTimestamp: new Date().toISOString().slice(0, 19) + "Z",
    lastTimestamp: new Date().toISOString().slice(0, 19) + "Z",
    count: 2,
  };
  const ev = await cp.kubectl(["create", "-f", "-"], { stdin: JSON.stringify(event) });
  assertEquals(ev.code, 0, ev.stderr);

  const r = await ksit(h, ["describe", "argocd-prod", "--kubeconfig", cp.kubeconfigPath, "-n", "desc"]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /^Phase:\s+Failed$/m);
  assertMatch(r.stdout, /^ {2}cluster-2\s+Failed\s+RequiredComponentUnavailable$/m);
  assertMatch(
    r.stdout,
    /^ {4}argocd-repo-server\s+Deployment\s+yes\s+Unhealthy\s+0\/2\s+NoReplicasAvailable\s+/m,
  );
  assertMatch(r.stdout, /^ {2}Ready\s+False\s+ComponentsFailed\s+/m);
  assertMatch(
    r.stdout,
    /^ {2}Warning\s+Failed\s+\S+ \(x2\)\s+ksit-controller\s+cluster-2: argocd-repo-server/m,
  );

  const y = await ksit(h, [
    "describe",
    "argocd-prod",
    "--kubeconfig",
    cp.kubeconfigPath,
    "-n",
    "desc",
    "-o",
    "yaml",
  ]);
  assertMatch(y.stdout, /^kind: IntegrationDescription$/m);

  const missing = await ksit(h, ["describe", "nope", "--kubeconfig", cp.kubeconfigPath, "-n", "desc"]);
  assertEquals(missing.code, 9, missing.stderr);
  assertMatch(missing.stderr, /^error: integration "nope" not found in namespace desc on context cp/);
});

Deno.test("errors: one line and a distinct exit code each; the stack only with --debug", async () => {
  const h = harness();
  const cp = h.cluster("cp");
  const dir = await Deno.makeTempDir({ prefix: "ksit-errors-" });
  try {
    // no kubeconfig at all
    // HOME elsewhere (no ~/.kube/config); DENO_DIR kept, or deno would start from an empty cache there
    const info = JSON.parse((await h.run(Deno.execPath(), ["info", "--json"])).stdout);
    const none = await ksit(h, ["status"], {
      KUBECONFIG: `${dir}/missing`,
      HOME: dir,
      DENO_DIR: info.denoDir,
    });
    assertEquals(none.code, 4, none.stderr);
    assertMatch(none.stderr, /^error: no kubeconfig found \(looked at .*missing\): pass --kubeconfig/);

    // unknown context
    const ctx = await ksit(h, ["status", "--kubeconfig", cp.kubeconfigPath, "--context", "nope"]);
    assertEquals(ctx.code, 5, ctx.stderr);
    assertEquals(ctx.stderr.trim().split("\n").length, 1, ctx.stderr);
    assertStringIncludes(ctx.stderr, `context "nope" not found in kubeconfig`);
    assertStringIncludes(ctx.stderr, "available: cp");

    // unreachable server (a closed port)
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const dead = `${dir}/dead.kubeconfig`;
    await Deno.writeTextFile(
      dead,
      cp.kubeconfigFor({ certPem: h.pki.admin.certPem, keyPem: h.pki.admin.keyPem }, {
        server: `https://127.0.0.1:${port}`,
        contextName: "dead",
      }),
    );
    const unreachable = await ksit(h, ["status", "--kubeconfig", dead]);
    assertEquals(unreachable.code, 6, unreachable.stderr);
    assertMatch(
      unreachable.stderr,
      /^error: context dead \(https:\/\/127\.0\.0\.1:\d+\): cannot reach the API server/,
    );
    assertEquals(unreachable.stderr.trim().split("\n").length, 1, unreachable.stderr);

    // CRDs not installed (cluster-1 has none)
    const c1 = h.cluster("cluster-1");
    const crds = await ksit(h, ["status", "--kubeconfig", c1.kubeconfigPath]);
    assertEquals(crds.code, 7, crds.stderr);
    assertEquals(
      crds.stderr.trim(),
      "error: KSIT CRDs are not installed on context cluster-1: run helm install ksit deploy/helm/ksit -n ksit-system --create-namespace",
    );

    // forbidden: a ServiceAccount without any RBAC
    assertEquals((await cp.kubectl(["create", "namespace", "nobody"])).code, 0);
    assertEquals((await cp.kubectl(["create", "serviceaccount", "nobody", "-n", "nobody"])).code, 0);
    const token = await cp.token("nobody", "nobody");
    const sa = `${dir}/sa.kubeconfig`;
    await Deno.writeTextFile(sa, cp.kubeconfigFor({ token }, { contextName: "nobody" }));
    const forbidden = await ksit(h, ["status", "--kubeconfig", sa, "-n", "nobody"]);
    assertEquals(forbidden.code, 8, forbidden.stderr);
    assertMatch(
      forbidden.stderr,
      /^error: context nobody \(.*\): forbidden \(403\): .*cannot list resource "integrations"/,
    );
    assertEquals(forbidden.stderr.trim().split("\n").length, 1);

    // --debug adds the stack
    const debug = await ksit(h, ["status", "--kubeconfig", sa, "-n", "nobody", "--debug"]);
    assertEquals(debug.code, 8);
    assertMatch(debug.stderr, /\n\s+at /);

    // usage errors
    const usage = await ksit(h, ["status", "--output", "xml"]);
    assertEquals(usage.code, 2, usage.stderr);
    const unknown = await ksit(h, ["frobnicate"]);
    assertEquals(unknown.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task bundle: one JS file that runs with deno run", async () => {
  const h = harness();
  const r = await h.run(Deno.execPath(), ["task", "-q", "--cwd", root, "bundle"]);
  assertEquals(r.code, 0, r.stderr);
  const out = await h.run(Deno.execPath(), [
    "run",
    "-A",
    "--no-config",
    `${root}dist/kubectl-ksit.js`,
    "status",
    "--kubeconfig",
    h.cluster("cp").kubeconfigPath,
    "-A",
    "-o",
    "json",
  ]);
  assertEquals(out.code, 0, out.stderr);
  assertEquals(JSON.parse(out.stdout).kind, "List");
  // client-node (check) inside the bundle too
  const check = await h.run(Deno.execPath(), [
    "run",
    "-A",
    "--no-config",
    `${root}dist/kubectl-ksit.js`,
    "check",
    "--kubeconfig",
    h.cluster("cluster-1").kubeconfigPath,
    "--type",
    "istio",
  ]);
  assertEquals(check.code, 3, check.stderr);
  assertMatch(
    check.stdout,
    /^cluster-1\s+istio\s+istio-system,istio-ingress\s+NotInstalled\s+-\s+istio: not installed/m,
  );
  const v = await h.run(Deno.execPath(), [
    "run",
    "-A",
    "--no-config",
    `${root}dist/kubectl-ksit.js`,
    "version",
    "--client",
  ]);
  assertMatch(v.stdout, /^Client Version: v\d+\.\d+\.\d+/);
});

Deno.test("version: client and server, and whether the KSIT API is served", async () => {
  const h = harness();
  const r = await ksit(h, ["version", "--kubeconfig", h.cluster("cp").kubeconfigPath]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /^Server Version: v1\.\d+\.\d+ \(context cp\)$/m);
  assertMatch(r.stdout, /^KSIT API: ksit\.io\/v1alpha1 served$/m);
  const c1 = await ksit(h, ["version", "--kubeconfig", h.cluster("cluster-1").kubeconfigPath, "-o", "json"]);
  assertEquals(JSON.parse(c1.stdout).ksitApi.served, false);
});

/** Runs the CLI on a pseudo-terminal of the given width (util-linux `script`), or undefined without it. */
async function onTerminal(h: Harness, cols: number, args: string[], env: Record<string, string>) {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const cmd = [Deno.execPath(), "run", "-A", "--quiet", main, ...args].map(quote).join(" ");
  try {
    return await h.run("script", ["-qec", `stty cols ${cols}; ${cmd}`, "/dev/null"], undefined, env);
  } catch {
    return undefined;
  }
}

Deno.test("on a terminal: colour (not with NO_COLOR), and the matrix when it fits the width", async () => {
  const h = harness();
  await namespace(h, "tty");
  await seed(h, "tty", "argocd", "argocd", [running("c-1"), failed("c-2")]);
  const args = ["status", "--kubeconfig", h.cluster("cp").kubeconfigPath, "-n", "tty"];
  const wide = await onTerminal(h, 120, args, { NO_COLOR: "" });
  if (!wide) {
    console.log("util-linux `script` not available: terminal behaviour not tested");
    return;
  }
  assertEquals(wide.code, 0, wide.stdout);
  assertMatch(wide.stdout, /^NAME\s+TYPE\s+PHASE\s+c-1\s+c-2\r?$/m);
  assertStringIncludes(wide.stdout, "\x1b[31mFailed\x1b[39m");
  const narrow = await onTerminal(h, 40, args, { NO_COLOR: "" });
  assertMatch(narrow!.stdout, /^NAME\s+TYPE\s+PHASE\s+HEALTHY\s+AGE\s+MESSAGE\r?$/m);
  const plain = await onTerminal(h, 120, args, { NO_COLOR: "1" });
  assert(!plain!.stdout.includes("\x1b["), "NO_COLOR");
  assertMatch(plain!.stdout, /^argocd\s+argocd\s+Failed\s+Running\s+Failed\r?$/m);
});
