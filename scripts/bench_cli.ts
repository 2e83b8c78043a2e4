/**
 * `deno task bench:cli`: start-up of the CLI. `kubectl ksit status` through kubectl's plugin dispatch (a
 * `kubectl-ksit` on PATH, installed by `deno task install` as users install it) against `kubectl get
 * integrations`, on one real kube-apiserver holding 50 Integrations with status; the two interleaved
 * (A, B, A, B, …) after a warm-up round, so background load hits both alike. Prints the medians, their
 * ratio and the load average; not a test (tests/bench_cli_test.ts only checks that it runs).
 *
 *   deno task bench:cli [--runs 21] [--all] [--write] [--repo DIR]
 *
 * --all     also times the other ways to run the plugin: the single-file bundle behind the same kind of
 *           launcher (`deno task install --bundle dist/kubectl-ksit.js`), the launcher without kubectl, and
 *           `deno run main.ts` from source
 * --write   puts the result into docs/cli-startup.md (between its bench:cli markers)
 * --repo    installs the plugin from another checkout (e.g. an older commit, for a before/after)
 */
import { rollUp } from "../checks/rollup.ts";
import type { ClusterStatus } from "../api/types.ts";
import { Harness } from "../tests/support/harness.ts";
import { installCrds } from "../tests/support/crds.ts";

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}
const RUNS = Number(flag("--runs") ?? 21);
const ALL = Deno.args.includes("--all");
const WRITE = Deno.args.includes("--write");
const here = new URL("../", import.meta.url).pathname;
const repo = flag("--repo") ? `${flag("--repo")!.replace(/\/$/, "")}/` : here;
const COUNT = 50;
const NS = "bench";
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("--runs needs a positive integer");

const loadAverage = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function seed(h: Harness) {
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
}

interface Case {
  label: string;
  cmd: string;
  args: string[];
  env?: Record<string, string>;
}

const h = await Harness.start({ clusters: ["cp"] });
const tmp = await Deno.makeTempDir({ prefix: "ksit-bench-cli-" });
try {
  await seed(h);
  const install = async (root: string, extra: string[] = []) => {
    const r = await h.run(Deno.execPath(), [
      "task",
      "-q",
      "--cwd",
      repo,
      "install",
      "--root",
      root,
      ...extra,
    ]);
    if (r.code !== 0) throw new Error(`deno task install: ${r.stderr}${r.stdout}`);
    return { PATH: `${root}/bin:${Deno.env.get("PATH")}` };
  };
  const path = await install(`${tmp}/split`);
  const kc = ["--kubeconfig", h.cluster("cp").kubeconfigPath];
  const status = ["status", "-n", NS, ...kc];
  const cases: Case[] = [
    { label: "kubectl ksit status", cmd: h.bin.kubectl, args: ["ksit", ...status], env: path },
    { label: "kubectl get integrations", cmd: h.bin.kubectl, args: ["get", "integrations", "-n", NS, ...kc] },
  ];
  if (ALL) {
    const bundle = await h.run(Deno.execPath(), ["task", "-q", "--cwd", repo, "bundle"]);
    if (bundle.code !== 0) throw new Error(`deno task bundle: ${bundle.stderr}`);
    const single = await install(`${tmp}/single`, ["--bundle", `${repo}dist/kubectl-ksit.js`]);
    cases.push(
      {
        label: "kubectl ksit status (single-file bundle)",
        cmd: h.bin.kubectl,
        args: ["ksit", ...status],
        env: single,
      },
      {
        label: "kubectl-ksit status (launcher, no kubectl)",
        cmd: `${tmp}/split/bin/kubectl-ksit`,
        args: status,
      },
      {
        label: "deno run -A main.ts status (source)",
        cmd: Deno.execPath(),
        args: ["run", "-A", `${repo}main.ts`, ...status],
      },
    );
  }
  const loadBefore = loadAverage();
  console.log(
    `${COUNT} Integrations on one kube-apiserver; ${RUNS} runs of each after a warm-up round, interleaved ` +
      `(${cases.map((_, i) => String.fromCharCode(65 + i)).join(", ")}, …); load average ${loadBefore}\n`,
  );
  const times = cases.map(() => [] as number[]);
  const lines = cases.map(() => 0);
  for (let round = -1; round < RUNS; round++) {
    for (const [i, c] of cases.entries()) {
      const t0 = performance.now();
      const r = await h.run(c.cmd, c.args, undefined, c.env);
      const ms = performance.now() - t0;
      if (r.code !== 0) throw new Error(`${c.label}: exit ${r.code}: ${r.stderr}`);
      lines[i] = r.stdout.trim().split("\n").length;
      if (round >= 0) times[i]!.push(ms);
    }
  }
  const loadAfter = loadAverage();
  for (const [i, c] of cases.entries()) {
    const t = times[i]!;
    console.log(
      `${c.label.padEnd(44)} median ${median(t).toFixed(0).padStart(4)} ms   min ${
        Math.min(...t).toFixed(0).padStart(4)
      } ms   max ${Math.max(...t).toFixed(0).padStart(4)} ms   (${lines[i]} lines)`,
    );
  }
  const ksit = median(times[0]!);
  const kubectl = median(times[1]!);
  const result =
    `cli-startup: kubectl ksit status ${ksit.toFixed(0)} ms / kubectl get integrations ${
      kubectl.toFixed(0)
    } ms = ${(ksit / kubectl).toFixed(2)} (medians of ${RUNS} interleaved runs; ${COUNT} Integrations; ` +
    `load average ${loadBefore.split(" ")[0]} → ${loadAfter.split(" ")[0]})`;
  console.log(`\n${result}`);
  if (WRITE) await writeDoc(result, cases, times, loadBefore, loadAfter);
} finally {
  await h.stop();
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}

/** Replaces the block between docs/cli-startup.md's markers with this run's numbers. */
async function writeDoc(result: string, cases: Case[], times: number[][], before: string, after: string) {
  const file = `${here}docs/cli-startup.md`;
  const doc = await Deno.readTextFile(file);
  const [begin, end] = ["<!-- bench:cli begin -->", "<!-- bench:cli end -->"];
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file}: markers ${begin} … ${end} not found`);
  const cpu = (await Deno.readTextFile("/proc/cpuinfo")).match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "?";
  const rows = cases.map((c, i) =>
    `| ${c.label} | ${median(times[i]!).toFixed(0)} | ${Math.min(...times[i]!).toFixed(0)} | ${
      Math.max(...times[i]!).toFixed(0)
    } |`
  );
  const block = [
    begin,
    "",
    `Written by \`deno task bench:cli --write\` on ${
      new Date().toISOString().slice(0, 10)
    } (${cpu}, ${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}; load average ${before} before, ${after} after):`,
    "",
    "| command | median (ms) | min (ms) | max (ms) |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    "```",
    result,
    "```",
    "",
    end,
  ].join("\n");
  await Deno.writeTextFile(file, doc.slice(0, a) + block + doc.slice(b + end.length));
  const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", file], cwd: here }).output();
  if (!fmt.success) throw new Error(`deno fmt ${file} failed`);
  console.log(`wrote ${file}`);
}
