/** Installs the generated KSIT CRDs on a test server and waits until they are Established. */
import type { TestCluster } from "./harness.ts";

const crdDir = new URL("../../deploy/crds/", import.meta.url).pathname;

export async function installCrds(c: TestCluster): Promise<void> {
  const apply = await c.kubectl(["apply", "--server-side", "-f", crdDir]);
  if (apply.code !== 0) throw new Error(`applying CRDs on ${c.name} failed: ${apply.stderr}`);
  const wait = await c.kubectl([
    "wait",
    "--for=condition=Established",
    "--timeout=30s",
    "crd/integrations.ksit.io",
    "crd/integrationtargets.ksit.io",
  ]);
  if (wait.code !== 0) throw new Error(`CRDs not Established on ${c.name}: ${wait.stderr}`);
}
