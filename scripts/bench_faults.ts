/**
 * `deno task bench:faults`: how long `serve` takes to report a workload cluster that cannot serve reads as
 * Unknown (issue 11: within 15 s), for each way a cluster goes away — its API server dead (SIGKILL), hung
 * (SIGSTOP), black-holed (a TCP proxy that stops forwarding) or without etcd — and that a quiet healthy
 * cluster never flaps meanwhile. Real kube-apiservers on loopback; each round injects every fault at a random
 * moment of the API servers' 10 s lease-renewal cycle, waits for Unknown, repairs, waits for Running.
 * Prints a table and writes docs/faults.md.
 *
 *   deno task bench:faults [--rounds 5] [--out docs/faults.md]
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { installCrds } from "../tests/support/crds.ts";
import { TcpProxy } from "../tests/support/fake_cluster.ts";
import { Harness } from "../tests/support/harness.ts";
import {
  adminKc,
  createIntegration,
  createNamespace,
  createTarget,
  getIntegration,
  putKubeconfigSecret,
  seedFixture,
  startServe,
  waitPhase,
} from "../tests/support/serve.ts";

const root = new URL("../", import.meta.url).pathname;
const FAULTS = ["dead", "hung", "holed", "etcdless"] as const;
type Fault = typeof FAULTS[number];
const WHAT: Record<Fault, string> = {
  dead: "API server killed (SIGKILL)",
  hung: "API server hung (SIGSTOP)",
  holed: "black-holed (TCP proxy drops everything)",
  etcdless: "etcd killed (API server up)",
};
const ns = "bench-faults";

function flags(args: string[]): { rounds: number; out: string } {
  let rounds = 5;
  let out = `${root}docs/faults.md`;
  for (let i = 0; i < args.length; i++) {
    const [k, inline] = args[i]!.split("=", 2);
    const v = () => inline ?? args[++i] ?? "";
    if (k === "--rounds") rounds = Number(v());
    else if (k === "--out") out = v();
    else throw new Error(`unknown flag ${k}`);
  }
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--rounds: a positive integer");
  return { rounds, out };
}

async function untilPhase(cp: KubeConfig, name: string, phase: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  await waitPhase(cp, ns, name, phase, timeoutMs);
  return performance.now() - t0;
}

async function main() {
  const { rounds, out } = flags(Deno.args);
  const started = performance.now();
  const log = (s: string) =>
    console.log(`[faults ${((performance.now() - started) / 1000).toFixed(1)}s] ${s}`);
  const h = await Harness.start({ clusters: ["cp", "quiet", "dead", "hung", "holed"] });
  const e = await Harness.start({ clusters: ["etcdless"] });
  const proxy = new TcpProxy({ hostname: "127.0.0.1", port: h.cluster("holed").port });
  const results: Record<Fault, number[]> = { dead: [], hung: [], holed: [], etcdless: [] };
  let flaps = 0;
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  try {
    const cpc = h.cluster("cp");
    await installCrds(cpc);
    const cp = adminKc(cpc);
    await createNamespace(cp, ns);
    const admin = { certPem: h.pki.admin.certPem, keyPem: h.pki.admin.keyPem };
    const clusters = {
      quiet: h.cluster("quiet"),
      dead: h.cluster("dead"),
      hung: h.cluster("hung"),
      holed: h.cluster("holed"),
      etcdless: e.cluster("etcdless"),
    };
    for (const [name, c] of Object.entries(clusters)) {
      await seedFixture(adminKc(c), "tools/flux/install.yaml", "flux-system");
      const kubeconfig = name === "etcdless"
        ? c.kubeconfigYaml
        : c.kubeconfigFor(admin, name === "holed" ? { server: proxy.url } : {});
      await putKubeconfigSecret(cp, ns, `${name}-kubeconfig`, kubeconfig);
      await createTarget(cp, ns, name, { clusterName: name });
      await createIntegration(cp, ns, name, { type: "flux", targetClusters: [name] });
    }
    serve = await startServe({ kubeconfigPath: cpc.kubeconfigPath, namespace: ns });
    for (const name of Object.keys(clusters)) await waitPhase(cp, ns, name, "Running", 60_000);
    const quietRv = (await getIntegration(cp, ns, "quiet")).metadata.resourceVersion;
    for (let round = 1; round <= rounds; round++) {
      // a random point of the 10 s lease-renewal cycle
      await new Promise((r) => setTimeout(r, Math.random() * 10_000));
      clusters.hung.pause();
      proxy.blackhole();
      const t0 = performance.now();
      await Promise.all([e.stopEtcd(), clusters.dead.stop("SIGKILL")]);
      const injectedIn = performance.now() - t0;
      await Promise.all(FAULTS.map(async (f) => {
        results[f].push(await untilPhase(cp, f, "Unknown", 60_000) + injectedIn);
      }));
      log(
        `round ${round}: ${FAULTS.map((f) => `${f} ${(results[f].at(-1)! / 1000).toFixed(1)}s`).join(", ")}`,
      );
      clusters.hung.resume();
      proxy.restore();
      await Promise.all([e.restartEtcd(), clusters.dead.start()]);
      for (const f of FAULTS) await untilPhase(cp, f, "Running", 90_000);
    }
    if ((await getIntegration(cp, ns, "quiet")).metadata.resourceVersion !== quietRv) flaps++;
  } finally {
    await serve?.stop();
    proxy.close();
    await h.stop();
    await e.stop();
  }
  const s = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const rows = FAULTS.map((f) => {
    const xs = s(results[f]);
    return `| ${WHAT[f]} | ${fmt(xs[0]!)} | ${fmt(xs[Math.floor(xs.length / 2)]!)} | ${fmt(xs.at(-1)!)} | ${
      xs.at(-1)! <= 15_000 ? "yes" : "**no**"
    } |`;
  });
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(/model name\s*:\s*(.*)/)?.[1];
  const doc = `# Fault detection

How long \`kubectl-ksit serve\` takes from a fault on a workload cluster to the Integration phase \`Unknown\`
(\`deno task bench:faults --rounds ${rounds}\`; each round injects every fault at a random moment of the API
servers' 10 s identity-lease renewal, then repairs it). Goal: within 15 s, whatever the cause; a quiet healthy
cluster never flaps. How it works: README, "Security model"; controller/heartbeat.ts.

| fault | min | median | max | ≤ 15 s |
| --- | --- | --- | --- | --- |
${rows.join("\n")}

Quiet healthy cluster: ${flaps === 0 ? "no status write in the whole run (no flap)" : "**flapped**"}.
Machine: ${cpu ?? "?"}, ${navigator.hardwareConcurrency} cores; ${rounds} rounds; ${
    new Date().toISOString().slice(0, 10)
  }.
`;
  await Deno.writeTextFile(out, doc);
  // as `deno fmt --check` wants it (aligned tables, wrapped lines)
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", out] }).output();
  console.log(`\n${doc}`);
  log(`wrote ${out}`);
}

if (import.meta.main) {
  await main();
  Deno.exit(0);
}
