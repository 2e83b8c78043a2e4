/**
 * Locates the real test binaries (kube-apiserver, etcd, kubectl, helm; for live clusters also
 * kube-controller-manager, kube-scheduler, kwok and kwok's stage files), building them once if needed.
 */

export interface Testbin {
  dir: string;
  kubeApiserver: string;
  etcd: string;
  kubectl: string;
  helm: string;
  /** Live clusters only (checked when one starts: tests/support/live.ts). */
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
  /** kwok's Stage CRD (`stages-crd.yaml`) and default stages, copied from the kwok module by testbin.sh. */
  kwokStages: string;
  /** Prometheus' promtool (the chart's alert rules: tests/prometheus_rules_test.ts). */
  promtool: string;
}

let cached: Promise<Testbin> | undefined;

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function resolve(): Promise<Testbin> {
  // KSIT_TESTBIN: a directory the CI script (or a user) already filled; otherwise ask the build script,
  // which answers from its cache in well under a second once built (and honours KUBEBUILDER_ASSETS).
  let dir = Deno.env.get("KSIT_TESTBIN");
  if (!dir) {
    const script = new URL("../../scripts/testbin.sh", import.meta.url).pathname;
    const out = await new Deno.Command("bash", { args: [script], stdout: "piped", stderr: "inherit" })
      .output();
    if (!out.success) throw new Error(`scripts/testbin.sh failed (exit ${out.code}); see its output above`);
    dir = new TextDecoder().decode(out.stdout).trim().split("\n").pop()!;
  }
  const bin = (name: string) => `${dir}/${name}`;
  let helm = bin("helm");
  if (!(await exists(helm))) helm = "helm";
  const tb = {
    dir,
    kubeApiserver: bin("kube-apiserver"),
    etcd: bin("etcd"),
    kubectl: bin("kubectl"),
    helm,
    kubeControllerManager: bin("kube-controller-manager"),
    kubeScheduler: bin("kube-scheduler"),
    kwok: bin("kwok"),
    kwokStages: bin("kwok-stages"),
    promtool: bin("promtool"),
  };
  for (const p of [tb.kubeApiserver, tb.etcd, tb.kubectl]) {
    if (!(await exists(p))) throw new Error(`test binary missing: ${p} (run scripts/testbin.sh)`);
  }
  return tb;
}

export function testbin(): Promise<Testbin> {
  cached ??= resolve();
  return cached;
}
