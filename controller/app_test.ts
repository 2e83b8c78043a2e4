import { assertEquals, assertMatch, assertStringIncludes } from "../tests/support/assert.ts";
import { type AppState, createApp } from "./app.ts";
import { controllerMetrics } from "./metrics.ts";

function state(over: Partial<AppState> = {}): AppState & { advance(ms: number): void } {
  let now = 1_000_000;
  return {
    clock: { now: () => now },
    metrics: controllerMetrics(),
    heartbeat: () => 999_000,
    synced: () => true,
    leader: () => true,
    ...over,
    advance: (ms: number) => (now += ms),
  };
}

Deno.test("app: /healthz ok while the loop ticks, 503 when stalled", async () => {
  const s = state();
  const app = createApp(s);
  assertEquals((await app.request("/healthz")).status, 200);
  s.advance(60_000);
  const res = await app.request("/healthz");
  assertEquals(res.status, 503);
  assertStringIncludes(await res.text(), "stalled");
});

Deno.test("app: /readyz follows the control-plane cache sync", async () => {
  let synced = false;
  const app = createApp(state({ synced: () => synced }));
  assertEquals((await app.request("/readyz")).status, 503);
  synced = true;
  assertEquals((await app.request("/readyz")).status, 200);
});

Deno.test("app: /metrics serves the Prometheus text format", async () => {
  const s = state();
  s.metrics.integrationPhase.set({ namespace: "n", name: "a", type: "argocd", phase: "Running" }, 1);
  s.metrics.apiRequests.inc({ target: "n/t1", verb: "list", code: "2xx" });
  s.metrics.checkDuration.observe({ type: "argocd" }, 0.01);
  const res = await createApp(s).request("/metrics");
  assertEquals(res.status, 200);
  assertMatch(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assertStringIncludes(
    text,
    'ksit_integration_phase{namespace="n",name="a",type="argocd",phase="Running"} 1',
  );
  assertStringIncludes(text, 'ksit_api_requests_total{target="n/t1",verb="list",code="2xx"} 1');
  assertStringIncludes(text, 'ksit_check_duration_seconds_count{type="argocd"} 1');
  assertStringIncludes(text, "ksit_leader 1");
});
