/** `kubectl-ksit __complete …` (what kubectl_complete-ksit and the shell scripts ask). */
import { assert, assertEquals } from "../tests/support/assert.ts";
import { main } from "../main.ts";
import { memoryIo } from "./io.ts";

const kubeconfig = new URL("../tests/golden/kubeconfig/a.yaml", import.meta.url).pathname;

async function complete(...words: string[]): Promise<{ values: string[]; directive: string }> {
  const io = memoryIo({ env: (n) => (n === "KSIT_COMPLETE_NO_DESC" ? "1" : undefined) });
  assertEquals(await main(["__complete", ...words], io), 0);
  const lines = io.stdout.trimEnd().split("\n");
  return { values: lines.slice(0, -1), directive: lines[lines.length - 1]! };
}

Deno.test("completes subcommands, flags and fixed values", async () => {
  const top = await complete("");
  for (const s of ["status", "describe", "check", "target", "serve", "version", "completion"]) {
    assert(top.values.includes(s), s);
  }
  assertEquals(top.directive, ":4");
  assertEquals((await complete("st")).values, ["status"]);
  assertEquals((await complete("target", "")).values.sort(), ["add", "import", "list"]);
  assertEquals((await complete("target", "import", "--from", "")).values, [
    "capi",
    "argocd",
    "clusterprofile",
  ]);
  const flags = (await complete("status", "--w")).values;
  assertEquals(flags, ["--watch"]);
  assert((await complete("status", "--")).values.includes("--kubeconfig"), "global flags too");
  assertEquals((await complete("status", "-o", "")).values, ["table", "wide", "json", "yaml"]);
  assertEquals((await complete("status", "--view", "m")).values, ["matrix"]);
  assertEquals((await complete("check", "--type", "")).values, ["argocd", "flux", "prometheus", "istio"]);
  assertEquals((await complete("completion", "")).values, ["bash", "zsh", "fish"]);
  assertEquals((await complete("--kubeconfig", "")).directive, ":0", "files for --kubeconfig");
});

Deno.test("completes contexts from the kubeconfig named on the command line", async () => {
  assertEquals((await complete("check", "--kubeconfig", kubeconfig, "--context", "")).values, [
    "alpha",
    "exec",
    "shared",
  ]);
  assertEquals(
    (await complete("--kubeconfig", kubeconfig, "target", "add", "x", "--control-plane-context", "sh"))
      .values,
    [
      "shared",
    ],
  );
});

Deno.test("API-backed completions fail quietly", async () => {
  // alpha.example does not resolve: no candidates, still a directive
  const r = await complete("describe", "--kubeconfig", kubeconfig, "--context", "shared", "");
  assertEquals(r.values, []);
  assertEquals(r.directive, ":4");
});
