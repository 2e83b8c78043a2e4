import { assertEquals } from "../tests/support/assert.ts";
import { renderManifests } from "./manifests.ts";

Deno.test("generated CRD manifests are up to date (run `deno task manifests`)", async () => {
  const root = new URL("../", import.meta.url);
  for (const [path, text] of renderManifests()) {
    const onDisk = await Deno.readTextFile(new URL(path, root));
    assertEquals(onDisk, text, `${path} is stale: run \`deno task manifests\``);
  }
});
