/** scripts/testbin.sh with KUBEBUILDER_ASSETS (setup-envtest users): the ready binaries are used, nothing built. */
import { assertEquals, assertStringIncludes } from "./support/assert.ts";
import { testbin } from "./support/testbin.ts";

const script = new URL("../scripts/testbin.sh", import.meta.url).pathname;

async function run(env: Record<string, string>) {
  const out = await new Deno.Command("bash", { args: [script], env, stdout: "piped", stderr: "piped" })
    .output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout).trim(), stderr: d.decode(out.stderr) };
}

Deno.test("KUBEBUILDER_ASSETS with all four binaries is used as it is", async () => {
  const tb = await testbin();
  const assets = await Deno.makeTempDir({ prefix: "ksit-kb-assets-" });
  try {
    for (const b of ["kube-apiserver", "etcd", "kubectl", "helm"]) {
      await Deno.symlink(`${tb.dir}/${b}`, `${assets}/${b}`);
    }
    const r = await run({ KUBEBUILDER_ASSETS: assets, KSIT_TESTBIN_CACHE: `${assets}/cache` });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.split("\n").pop(), assets);
    assertStringIncludes(r.stderr, "nothing built");
  } finally {
    await Deno.remove(assets, { recursive: true });
  }
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
