import { assert, assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import { integration, StaticSource, target } from "../tests/support/fleet_fixtures.ts";
import { createUiApp, CSP, loopbackHosts } from "./app.ts";
import { Fleet } from "./fleet.ts";
import type { FleetView } from "./view_model.ts";

function setup() {
  const source = new StaticSource(
    [integration("ns", "argo", "argocd", [{ name: "c1", phase: "Running" }])],
    [target("ns", "c1")],
    "ns",
  );
  const fleet = new Fleet(source, { throttleMs: 10 }).start();
  return { source, fleet, app: createUiApp(fleet, { pingMs: 50 }) };
}

Deno.test("ui app: page, script and style with a strict CSP; no inline code; read-only", async () => {
  const { app, fleet } = setup();
  try {
    const page = await app.request("/ui/");
    assertEquals(page.status, 200);
    assertEquals(page.headers.get("content-security-policy"), CSP);
    assertStringIncludes(CSP, "default-src 'none'");
    assert(!CSP.includes("unsafe"), CSP);
    const html = await page.text();
    assert(!/<script>/.test(html) && !/<style/.test(html) && !/ on[a-z]+=/.test(html), html);
    assertEquals(page.headers.get("x-content-type-options"), "nosniff");
    const js = await app.request("/ui/app.js");
    assertStringIncludes(js.headers.get("content-type") ?? "", "javascript");
    const etag = js.headers.get("etag")!;
    assertEquals((await app.request("/ui/app.js", { headers: { "if-none-match": etag } })).status, 304);
    assertStringIncludes((await app.request("/ui/app.css")).headers.get("content-type") ?? "", "text/css");
    assertEquals((await app.request("/ui/api/view", { method: "POST" })).status, 405);
    assertEquals((await app.request("/ui/api/view", { method: "DELETE" })).status, 405);
    assertEquals((await app.request("/", { redirect: "manual" })).headers.get("location"), "/ui/");
  } finally {
    fleet.stop();
  }
});

Deno.test("ui app: view, cluster and integration drill-downs (events cached)", async () => {
  const { app, fleet, source } = setup();
  try {
    source.eventList = [{
      type: "Warning",
      reason: "Failed",
      message: "boom",
      lastTimestamp: "2026-01-01T00:00:00Z",
    }];
    const view = await (await app.request("/ui/api/view")).json() as FleetView;
    assertEquals(view.clusters[0]!.cells[0]!.phase, "Running");
    const c = await app.request("/ui/api/cluster?id=ns%2Fc1");
    assertEquals(c.status, 200);
    assertEquals((await c.json()).tools[0].integration, "ns/argo");
    assertEquals((await app.request("/ui/api/cluster?id=nope")).status, 404);
    const i = await (await app.request("/ui/api/integration?id=ns%2Fargo")).json();
    assertEquals(i.events[0].message, "boom");
    assertEquals(i.timeline.map((t: { to: string }) => t.to), ["Running"]);
    await app.request("/ui/api/integration?id=ns%2Fargo");
    assertEquals(source.eventReads, 1, "events are cached between two opens");
    assertEquals((await app.request("/ui/api/integration")).status, 400);
  } finally {
    fleet.stop();
  }
});

Deno.test("ui app: Host header checked when bound to loopback (DNS rebinding)", async () => {
  const { fleet } = setup();
  try {
    const app = createUiApp(fleet, { allowHost: loopbackHosts() });
    const get = (host: string) => app.request("/ui/", { headers: { host } });
    assertEquals((await get("127.0.0.1:8090")).status, 200);
    assertEquals((await get("localhost:8090")).status, 200);
    assertEquals((await get("evil.example:8090")).status, 421);
    assertEquals((await get("localhost:9999")).status, 200, "kubectl port-forward to another local port");
    assertEquals((await get("localhost.evil.example:8090")).status, 421);
    assertEquals((await get("")).status, 421);
  } finally {
    fleet.stop();
  }
});

Deno.test("ui app: the stream pushes the view at once and again on every change; pings in between", async () => {
  const { app, fleet, source } = setup();
  const ctl = new AbortController();
  try {
    const res = await app.request("/ui/api/stream", { signal: ctl.signal });
    assertEquals(res.headers.get("content-type"), "text/event-stream");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    const next = async (what: RegExp) => {
      while (!what.test(buf)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${what}: ${buf}`);
        buf += value;
      }
      const m = buf.match(what)!;
      buf = buf.slice(m.index! + m[0].length);
      return m;
    };
    const first = await next(/event: view\ndata: (.*)\nid: (\d+)/);
    assertEquals((JSON.parse(first[1]!) as FleetView).clusters[0]!.cells[0]!.phase, "Running");
    await next(/event: ping\n/);
    source.set([integration("ns", "argo", "argocd", [{ name: "c1", phase: "Failed", reason: "Broken" }])]);
    const second = await next(/event: view\ndata: (.*)\nid: (\d+)/);
    const v = JSON.parse(second[1]!) as FleetView;
    assertEquals(v.clusters[0]!.cells[0]!.phase, "Failed");
    assert(Number(second[2]) > Number(first[2]));
    // a change that changes nothing is not pushed; the timeline saw Running → Failed
    assertEquals(fleet.timeline.get("ns/argo").map((t) => t.to), ["Running", "Failed"]);
    await reader.cancel();
  } finally {
    ctl.abort();
    fleet.stop();
  }
});
