/**
 * Start-up comparison for the CLI: `kubectl ksit status` (through kubectl's plugin discovery, as users run
 * it) against `kubectl get integrations`, on one real API server holding 50 Integrations with status.
 * Also times the other ways to run the plugin. Prints numbers; not a test.
 *
 *   deno run -A scripts/bench_cli.ts [--runs 15]
 */
import { rollUp } from "../checks/rollup.ts";
import type { ClusterStatus } from "../api/types.ts";
import { Harness } from "../tests/support/harness.ts";
import { installCrds } from "../tests/support/crds.ts";

const runsFlag = Deno.args.indexOf("--runs");
const RUNS = runsFlag >= 0 ? Number(Deno.args[runsFlag + 1]) : 20;
const COUNT = 50;
const NS = "bench";
const root = new URL("../", import.meta.url).pathname;

const h = await Harness.start({ clusters: ["cp"] });
const installRoot = await Deno.makeTempDir({ prefix: "ksit-bench-" });
try {
  const cp = h.cluster("cp");
  await installCrds(cp);
  await cp.kubectl(["create", "namespace", NS]);
  const types = ["argocd", "flux", "prometheus", "istio"] as const;
  const items = Array.from({ length: COUNT }, (_, i) => ({
    apiVersion: "ksit.io/v1alpha1",
    kind: "Integration",
    metadata: { name: `integ-${String(i).padStart(2, "0")}`, namespace: NS },
    spec: { type: types[i % 4], targetClusters: ["cluster-1", "cluster-2", "cluster-3"] },
  }));
  const applied = await cp.kubectl(["apply", "--server-side", "-f", "-"], {
    stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items }),
  });
  if (applied.code !== 0) throw new Error(applied.stderr);
  const now = new Date().toISOString().slice(0, 19) + "Z";
  await Promise.all(items.map(async (it, i) => {
    const clusters: ClusterStatus[] = ["cluster-1", "cluster-2", "cluster-3"].map((name, j) => ({
      name,
      phase: (i + j) % 7 === 0 ? "Degraded" : "Running",
      reason: "RequiredComponentsHealthy",
      message: "4/4 required components healthy",
    }));
    const status = rollUp({ generation: 1, enabled: true, clusters, now });
    const r = await cp.kubectl([
      "patch",
      "integration",
      it.metadata.name,
      "-n",
      NS,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status }),
    ]);
    if (r.code !== 0) throw new Error(r.stderr);
  }));

  // the plugin as users install it (code-split bundle + launcher), and the single-file bundle
  const inst = await h.run(Deno.execPath(), ["task", "-q", "--cwd", root, "install", "--root", installRoot]);
  if (inst.code !== 0) throw new Error(inst.stderr + inst.stdout);
  const bundle = await h.run(Deno.execPath(), ["task", "-q", "--cwd", root, "bundle"]);
  if (bundle.code !== 0) throw new Error(bundle.stderr);

  const env = { PATH: `${installRoot}/bin:${Deno.env.get("PATH")}` };
  const kc = ["--kubeconfig", cp.kubeconfigPath];
  const cases: [string, string, string[]][] = [
    ["kubectl get integrations", h.bin.kubectl, ["get", "integrations", "-n", NS, ...kc]],
    ["kubectl ksit status (plugin via kubectl)", h.bin.kubectl, ["ksit", "status", "-n", NS, ...kc]],
    ["kubectl-ksit status (launcher directly)", `${installRoot}/bin/kubectl-ksit`, [
      "status",
      "-n",
      NS,
      ...kc,
    ]],
    ["deno run dist/kubectl-ksit.js status (single-file bundle)", Deno.execPath(), [
      "run",
      "-A",
      "--no-config",
      `${root}dist/kubectl-ksit.js`,
      "status",
      "-n",
      NS,
      ...kc,
    ]],
    ["deno run main.ts status (source)", Deno.execPath(), [
      "run",
      "-A",
      `${root}main.ts`,
      "status",
      "-n",
      NS,
      ...kc,
    ]],
  ];
  console.log(
    `${COUNT} Integrations on one kube-apiserver; ${RUNS} rounds after a warm-up, the cases interleaved ` +
      `(round-robin) so background load hits them alike\n`,
  );
  const times = new Map<string, number[]>(cases.map(([label]) => [label, []]));
  const lines = new Map<string, number>();
  for (let round = -1; round < RUNS; round++) {
    for (const [label, cmd, args] of cases) {
      const t0 = performance.now();
      const r = await h.run(cmd, args, undefined, env);
      const ms = performance.now() - t0;
      if (r.code !== 0) throw new Error(`${label}: exit ${r.code}: ${r.stderr}`);
      if (round < 0) lines.set(label, r.stdout.trim().split("\n").length);
      else times.get(label)!.push(ms);
    }
  }
  const results: Record<string, number> = {};
  for (const [label] of cases) {
    const t = times.get(label)!.sort((a, b) => a - b);
    const median = t[Math.floor(t.length / 2)]!;
    results[label] = median;
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    console.log(
      `${label.padEnd(58)} median ${median.toFixed(0).padStart(5)} ms   mean ${
        mean.toFixed(0).padStart(5)
      } ms   ` +
        `min ${t[0]!.toFixed(0).padStart(5)} ms   (${lines.get(label)} lines)`,
    );
  }
  const base = results["kubectl get integrations"]!;
  const plugin = results["kubectl ksit status (plugin via kubectl)"]!;
  console.log(`\nkubectl ksit status / kubectl get integrations = ${(plugin / base).toFixed(2)}x (median)`);
} finally {
  await h.stop();
  await Deno.remove(installRoot, { recursive: true }).catch(() => {});
}
