/** `deno task ui:assets`: writes ui/assets_gen.ts from ui/assets/ (the dashboard's script and style). */
import { renderAssets } from "../ui/assets_render.ts";

const root = new URL("../", import.meta.url);
const text = await renderAssets(new URL("ui/assets/", root));
const out = new URL("ui/assets_gen.ts", root);
const old = await Deno.readTextFile(out).catch(() => "");
if (old !== text) {
  await Deno.writeTextFile(out, text);
  console.log("wrote ui/assets_gen.ts");
} else console.log("unchanged ui/assets_gen.ts");
