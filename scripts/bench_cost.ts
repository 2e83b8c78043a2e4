/**
 * `deno task bench:cost`: what one workload cluster costs `serve` in memory, taken apart (issue 15). One real
 * kube-apiserver on 0.0.0.0; every target is its own loopback address (its own Deno HTTP client and TLS +
 * HTTP/2 connection, as in `deno task bench`), with W namespaces of one Deployment each. Two ladders, each in a
 * fresh process (scripts/bench/cost_child.ts): `raw` is the floor any Deno program pays for the same
 * connections and quiet watch streams — no KSIT code on the path; `ksit` is the same through KSIT's own
 * ClusterClient and informers. Prints a table: RSS, V8 heap and external memory after each step, and what
 * the step added per target (or per watch), with the total projected to 1,000 and 10,000 targets.
 *
 *   deno task bench:cost [--targets 1000] [--watches 10] [--json PATH]
 */
import { Harness } from "../tests/support/harness.ts";
import { loopback } from "./bench/run.ts";
import { V8_FLAGS } from "./v8_flags.ts";

interface Step {
  step: string;
  /** What the step added one of (scripts/bench/cost_child.ts). */
  per: "process" | "target" | "watch";
  rss: number;
  heap: number;
  external: number;
}

function flags(args: string[]): { targets: number; watches: number; json?: string } {
  const f = { targets: 1000, watches: 10, json: undefined as string | undefined };
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1];
    if (args[i] === "--targets") f.targets = Number(v), i++;
    else if (args[i] === "--watches") f.watches = Number(v), i++;
    else if (args[i] === "--json") f.json = v, i++;
    else throw new Error(`unknown flag ${args[i]} (--targets N, --watches W, --json PATH)`);
  }
  // the serving certificate names 127.0.0.1–127.0.3.255 (tests/support/pki.ts): 1,022 target addresses
  if (!(f.targets >= 1 && f.targets <= 1022)) throw new Error("--targets must be 1–1022");
  if (!(f.watches >= 1 && f.watches <= 50)) throw new Error("--watches must be 1–50");
  return f;
}

async function ladder(name: string, file: string, watches: number): Promise<Step[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--v8-flags=${[...V8_FLAGS, "--expose-gc"].join(",")}`,
      new URL("./bench/cost_child.ts", import.meta.url).pathname,
      name,
      file,
      String(watches),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`${name} ladder failed (${out.code}):\n${text}\n${new TextDecoder().decode(out.stderr)}`);
  }
  return text.trim().split("\n").map((l) => JSON.parse(l) as Step);
}

const MiB = 1048576;
const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** The table of one ladder: each step's totals and what it added, per target or per watch. */
function table(name: string, steps: Step[], targets: number, watches: number): string {
  const rows = [
    `| ${name}: step | RSS (MiB) | V8 heap (MiB) | external (MiB) | added RSS | … of it V8 heap | … external |`,
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  const count = { process: 1, target: targets, watch: targets * watches };
  steps.forEach((s, i) => {
    const prev = steps[i - 1];
    const [scale, unit] = s.per === "process" ? [MiB, "MiB"] : [1024, `KiB / ${s.per}`];
    const d = (k: "rss" | "heap" | "external") => prev ? fmt((s[k] - prev[k]) / scale / count[s.per]) : "—";
    rows.push(
      `| ${s.step} | ${fmt(s.rss / MiB, 0)} | ${fmt(s.heap / MiB, 0)} | ${fmt(s.external / MiB, 0)} | ` +
        `${d("rss")}${prev ? ` ${unit}` : ""} | ${d("heap")} | ${d("external")} |`,
    );
  });
  const code = steps.findLast((s) => s.per === "process")!.rss;
  const perTarget = (steps.at(-1)!.rss - code) / targets;
  const at = (n: number) => fmt((code + n * perTarget) / MiB, 0);
  rows.push(
    "",
    `${name}: ${fmt(perTarget / 1024)} KiB per target with ${watches} watches on top of ${
      fmt(code / MiB, 0)
    } ` +
      `MiB of loaded code → ${at(1000)} MiB at 1,000 targets, ${at(10_000)} MiB at 10,000.`,
  );
  return rows.join("\n");
}

if (import.meta.main) {
  const f = flags(Deno.args);
  const h = await Harness.start({ clusters: ["w"], bindAddress: "0.0.0.0" });
  const dir = await Deno.makeTempDir({ prefix: "ksit-bench-cost-" });
  try {
    const c = h.cluster("w");
    for (let w = 0; w < f.watches; w++) {
      const ns = `cost-${w}`;
      const deploy = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "app", namespace: ns, labels: { app: "app" } },
        spec: {
          selector: { matchLabels: { app: "app" } },
          template: {
            metadata: { labels: { app: "app" } },
            spec: { containers: [{ name: "c", image: "app:1" }] },
          },
        },
      };
      const r1 = await c.kubectl(["create", "namespace", ns]);
      const r2 = await c.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(deploy) });
      if (r1.code || r2.code) throw new Error(`setup of ${ns} failed: ${r1.stderr}${r2.stderr}`);
    }
    const admin = { certPem: h.pki.admin.certPem, keyPem: h.pki.admin.keyPem };
    const kcs = Array.from(
      { length: f.targets },
      (_, i) => c.kubeconfigFor(admin, { server: `https://${loopback(i)}:${c.port}`, contextName: `t${i}` }),
    );
    const file = `${dir}/kubeconfigs.json`;
    await Deno.writeTextFile(file, JSON.stringify(kcs), { mode: 0o600 });
    const results: Record<string, Step[]> = {};
    for (const name of ["raw", "ksit"]) {
      results[name] = await ladder(name, file, f.watches);
      console.log(`\n${table(name, results[name]!, f.targets, f.watches)}`);
    }
    if (f.json) await Deno.writeTextFile(f.json, JSON.stringify({ ...f, results }, null, 1));
    console.log(
      `\n${f.targets} targets, ${f.watches} watches each; ${Deno.version.deno}, V8 ${Deno.version.v8}`,
    );
  } finally {
    await h.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
