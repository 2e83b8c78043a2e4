import { assertEquals } from "../tests/support/assert.ts";
import { goldenIntegrations, NOW } from "../tests/golden/fixtures.ts";
import { chooseView, phaseOf, type StatusRenderOptions } from "./status_render.ts";
import { matches } from "./status_view.ts";

const base: StatusRenderOptions = {
  output: "table",
  allNamespaces: false,
  view: "list",
  color: false,
  now: NOW,
};

Deno.test("auto view: matrix only on a terminal wide enough for it, and only with several clusters", async () => {
  const items = await goldenIntegrations();
  assertEquals(chooseView(items, { ...base, columns: undefined }), "list", "not a terminal");
  assertEquals(chooseView(items, { ...base, columns: 200 }), "matrix");
  assertEquals(chooseView(items, { ...base, columns: 40 }), "list", "too narrow");
  const one = items.filter((i) => i.metadata.name === "istio");
  assertEquals(chooseView(one, { ...base, columns: 200 }), "list", "one cluster: the list says more");
});

Deno.test("phase before the first verdict, and the --type / --cluster filters", async () => {
  const items = await goldenIntegrations();
  const fresh = { ...items[0]!, status: undefined };
  assertEquals(phaseOf(fresh), "Pending");
  assertEquals(phaseOf({ ...fresh, spec: { ...fresh.spec, enabled: false } }), "Disabled");
  const names = (o: Parameters<typeof matches>[1]) =>
    items.filter((i) => matches(i, o)).map((i) => i.metadata.name);
  assertEquals(names({ type: ["istio"] }), ["istio", "istio-canary"]);
  assertEquals(names({ cluster: "cluster-3" }), ["argocd-prod", "prometheus"]);
  assertEquals(names({ type: ["argocd", "flux"], cluster: "cluster-2" }), ["argocd-prod", "flux"]);
});
