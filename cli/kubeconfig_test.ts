import { assert, assertEquals, assertRejects, assertThrows } from "../tests/support/assert.ts";
import { CliError } from "./errors.ts";
import { kubeconfigPaths, loadKubeconfig, parseKubeconfigText } from "./kubeconfig.ts";

const dir = new URL("../tests/golden/kubeconfig/", import.meta.url).pathname.replace(/\/$/, "");
const env = (vars: Record<string, string>) => (n: string) => vars[n];

Deno.test("kubeconfig: --kubeconfig wins over KUBECONFIG, which wins over ~/.kube/config", () => {
  assertEquals(kubeconfigPaths({ kubeconfig: "/x", env: env({ KUBECONFIG: "/a:/b", HOME: "/h" }) }).paths, [
    "/x",
  ]);
  assertEquals(kubeconfigPaths({ env: env({ KUBECONFIG: "/a::/b", HOME: "/h" }) }).paths, ["/a", "/b"]);
  assertEquals(kubeconfigPaths({ env: env({ HOME: "/h" }) }).paths, ["/h/.kube/config"]);
  assertEquals(kubeconfigPaths({ kubeconfig: "~/k", env: env({ HOME: "/h" }) }).paths, ["/h/k"]);
});

Deno.test("kubeconfig: KUBECONFIG files merge, first definition and first current-context win", async () => {
  const kc = await loadKubeconfig({
    env: env({ KUBECONFIG: `${dir}/a.yaml:${dir}/missing.yaml:${dir}/b.yaml` }),
  });
  assertEquals(kc.files, [`${dir}/a.yaml`, `${dir}/b.yaml`]);
  assertEquals(kc.currentContext, "alpha");
  assertEquals(kc.contextNames(), ["alpha", "beta", "broken", "exec", "shared"]);
  assertEquals(kc.resolve("shared").cluster.server, "https://from-a.example:6443");
  const alpha = kc.resolve();
  assertEquals(alpha.namespace, "team-a");
  // relative paths are resolved against the file that holds them
  assertEquals(alpha.cluster["certificate-authority"], `${dir}/certs/ca.pem`);
  assertEquals(alpha.user["client-certificate"], `${dir}/certs/client.pem`);
  assertEquals(alpha.user["client-key"], "/abs/client.key");
  assertEquals(kc.resolve("exec").user.exec?.command, `${dir}/bin/get-token`);
  assertEquals(kc.resolve("beta").user.token, "not-a-real-token");
});

Deno.test("kubeconfig: clear errors for a missing file, unknown contexts, broken contexts", async () => {
  const missing = await assertRejects(() => loadKubeconfig({ kubeconfig: `${dir}/nope.yaml` }));
  assert(missing instanceof CliError && missing.reason === "NoKubeconfig");
  assertEquals(missing.message, `kubeconfig ${dir}/nope.yaml: no such file`);

  const none = await assertRejects(() => loadKubeconfig({ env: env({ KUBECONFIG: `${dir}/nope.yaml` }) }));
  assert(none instanceof CliError && none.reason === "NoKubeconfig");
  assert(none.message.startsWith("no kubeconfig found"), none.message);

  const empty = await assertRejects(() => loadKubeconfig({ kubeconfig: `${dir}/empty.yaml` }));
  assert(empty instanceof CliError && empty.reason === "NoKubeconfig");

  const kc = await loadKubeconfig({ kubeconfig: `${dir}/b.yaml` });
  const unknown = assertThrows(() => kc.resolve("gamma"));
  assert(unknown instanceof CliError && unknown.reason === "UnknownContext");
  assertEquals(
    unknown.message,
    `context "gamma" not found in kubeconfig ${dir}/b.yaml; available: beta, broken, shared`,
  );
  const broken = assertThrows(() => kc.resolve("broken"));
  assert(broken instanceof CliError && broken.reason === "NoKubeconfig");
});

Deno.test("kubeconfig: invalid YAML is reported without echoing the content", async () => {
  const e = await assertRejects(() => parseKubeconfigText("users: [{name: a, user: {token: s3cret", "/k"));
  assert(e instanceof CliError && e.reason === "NoKubeconfig");
  assert(!e.message.includes("s3cret"), e.message);
});

Deno.test("kubeconfig: a resolved context becomes a client-node KubeConfig without YAML (paths absolute)", async () => {
  const kc = await loadKubeconfig({ kubeconfig: `${dir}/a.yaml` });
  const { kubeConfigForContext } = await import("../kube/kubeconfig.ts");
  const alpha = kubeConfigForContext(kc.resolve("alpha"));
  assertEquals(alpha.getCurrentContext(), "alpha");
  assertEquals(alpha.getCurrentCluster()?.caFile, `${dir}/certs/ca.pem`);
  assertEquals(alpha.getCurrentUser()?.certFile, `${dir}/certs/client.pem`);
  assertEquals(alpha.getContextObject("alpha")?.namespace, "team-a");
  const exec = kubeConfigForContext(kc.resolve("exec"));
  assertEquals(exec.getCurrentUser()?.exec?.command, `${dir}/bin/get-token`);
});
