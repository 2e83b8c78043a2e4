import { assert, assertEquals } from "../tests/support/assert.ts";
import { renderAssets } from "./assets_render.ts";

const dir = new URL("./assets/", import.meta.url);

Deno.test("ui/assets_gen.ts is up to date (run `deno task ui:assets`)", async () => {
  const onDisk = await Deno.readTextFile(new URL("./assets_gen.ts", import.meta.url));
  assertEquals(onDisk, await renderAssets(dir), "ui/assets_gen.ts is stale: run `deno task ui:assets`");
});

Deno.test("the page's script puts no string on the page as HTML and loads nothing from elsewhere", async () => {
  const js = await Deno.readTextFile(new URL("app.js", dir));
  const css = await Deno.readTextFile(new URL("app.css", dir));
  for (
    const bad of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"]
  ) {
    assert(!js.includes(bad), `app.js uses ${bad}`);
  }
  for (const text of [js, css]) {
    assert(!/https?:\/\//.test(text), "an absolute URL in the page's assets");
    assert(!/@import|url\(/.test(text), "a CSS import or url() in the page's assets");
  }
});
