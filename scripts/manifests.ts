/** `deno task manifests`: writes the generated CRDs into deploy/crds and the Helm chart's crds/. */
import { renderManifests } from "../api/manifests.ts";

const root = new URL("../", import.meta.url);
for (const [path, text] of renderManifests()) {
  const url = new URL(path, root);
  await Deno.mkdir(new URL(".", url), { recursive: true });
  let old = "";
  try {
    old = await Deno.readTextFile(url);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (old !== text) {
    await Deno.writeTextFile(url, text);
    console.log(`wrote ${path}`);
  } else console.log(`unchanged ${path}`);
}
