/**
 * scripts/testbin.sh with KUBEBUILDER_ASSETS (setup-envtest users): the ready binaries are used, and only what
 * setup-envtest does not ship (helm, kube-controller-manager, kube-scheduler, kwok, promtool) is added.
 */
import { assertEquals, assertStringIncludes } from "./support/assert.ts";
import { testbin } from "./support/testbin.ts";

const script = new URL("../scripts/testbin.sh", import.meta.url).pathname;
const ENVTEST = ["kube-apiserver", "etcd", "kubectl"];
const EXTRA = ["helm", "kube-controller-manager", "kube-scheduler", "kwok", "kwok-stages", "promtool"];

async function run(env: Record<string, string>) {
  const out = await new Deno.Command("bash", { args: [script], env, stdout: "piped", stderr: "piped" })
    .output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout).trim(), stderr: d.decode(out.stderr) };
}

async function sha12(s: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 12);
}

async function withAssets(fn: (assets: string, tb: Awaited<ReturnType<typeof testbin>>) => Promise<void>) {
  const tb = await testbin();
  const assets = await Deno.makeTempDir({ prefix: "ksit-kb-assets-" });
  try {
    await fn(assets, tb);
  } finally {
    await Deno.remove(assets, { recursive: true });
  }
}

Deno.test("KUBEBUILDER_ASSETS with every binary is used as it is", async () => {
  await withAssets(async (assets, tb) => {
    for (const b of [...ENVTEST, ...EXTRA]) await Deno.symlink(`${tb.dir}/${b}`, `${assets}/${b}`);
    const r = await run({ KUBEBUILDER_ASSETS: assets, KSIT_TESTBIN_CACHE: `${assets}/cache` });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.split("\n").pop(), assets);
    assertStringIncludes(r.stderr, "nothing built");
  });
});

Deno.test("KUBEBUILDER_ASSETS with setup-envtest's three binaries: the rest comes from the combined directory", async () => {
  await withAssets(async (assets, tb) => {
    await Deno.mkdir(`${assets}/envtest`);
    for (const b of ENVTEST) await Deno.symlink(`${tb.dir}/${b}`, `${assets}/envtest/${b}`);
    // what an earlier run built into the combined directory
    const combined = `${assets}/cache/envtest-${await sha12(`${assets}/envtest`)}`;
    await Deno.mkdir(combined, { recursive: true });
    for (const b of EXTRA) await Deno.symlink(`${tb.dir}/${b}`, `${combined}/${b}`);
    const r = await run({ KUBEBUILDER_ASSETS: `${assets}/envtest`, KSIT_TESTBIN_CACHE: `${assets}/cache` });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.split("\n").pop(), combined);
    assertStringIncludes(r.stderr, "+ what it lacks");
    for (const b of ENVTEST) {
      assertEquals(await Deno.realPath(`${combined}/${b}`), await Deno.realPath(`${tb.dir}/${b}`));
    }
  });
});

Deno.test("KUBEBUILDER_ASSETS lacking the live-cluster binaries and no Go: says what is missing", async () => {
  await withAssets(async (assets, tb) => {
    for (const b of ENVTEST) await Deno.symlink(`${tb.dir}/${b}`, `${assets}/${b}`);
    const r = await run({
      KUBEBUILDER_ASSETS: assets,
      KSIT_TESTBIN_CACHE: `${assets}/cache`,
      PATH: "/usr/bin:/bin",
    });
    assertEquals(r.code, 1, r.stderr);
    assertStringIncludes(r.stderr, "lacks: helm k8s kwok promtool");
    assertStringIncludes(r.stderr, "Go is needed");
  });
});

Deno.test("KUBEBUILDER_ASSETS missing a binary is a clear error", async () => {
  const assets = await Deno.makeTempDir({ prefix: "ksit-kb-assets-" });
  try {
    const r = await run({ KUBEBUILDER_ASSETS: assets, KSIT_TESTBIN_CACHE: `${assets}/cache` });
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, `KUBEBUILDER_ASSETS=${assets} has no executable kube-apiserver`);
  } finally {
    await Deno.remove(assets, { recursive: true });
  }
});
