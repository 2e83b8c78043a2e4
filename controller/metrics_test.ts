import { assertEquals, assertMatch, assertStringIncludes } from "../tests/support/assert.ts";
import { controllerMetrics, Counter, Gauge, Histogram, Registry } from "./metrics.ts";

Deno.test("metrics: counter, gauge, histogram in Prometheus text format", () => {
  const r = new Registry();
  const c = r.register(new Counter("t_requests_total", "Requests.", ["code"] as const));
  const g = r.register(new Gauge("t_up", "Up.", ["name"] as const));
  const h = r.register(new Histogram("t_seconds", "Durations.", [], [0.1, 1]));
  c.inc({ code: "200" });
  c.inc({ code: "200" });
  c.inc({ code: "500" });
  g.set({ name: 'a"b' }, 1);
  h.observe({}, 0.05);
  h.observe({}, 0.5);
  h.observe({}, 5);
  const text = r.render();
  assertStringIncludes(text, "# TYPE t_requests_total counter\n");
  assertStringIncludes(text, 't_requests_total{code="200"} 2\n');
  assertStringIncludes(text, 't_requests_total{code="500"} 1\n');
  assertStringIncludes(text, 't_up{name="a\\"b"} 1\n');
  assertStringIncludes(text, 't_seconds_bucket{le="0.1"} 1\n');
  assertStringIncludes(text, 't_seconds_bucket{le="1"} 2\n');
  assertStringIncludes(text, 't_seconds_bucket{le="+Inf"} 3\n');
  assertStringIncludes(text, "t_seconds_sum 5.55\n");
  assertStringIncludes(text, "t_seconds_count 3\n");
  assertMatch(text, /\n$/);
});

Deno.test("metrics: removeMatching drops an object's series", () => {
  const m = controllerMetrics();
  m.integrationPhase.set({ namespace: "n", name: "a", type: "argocd", phase: "Running" }, 1);
  m.integrationPhase.set({ namespace: "n", name: "b", type: "argocd", phase: "Running" }, 1);
  m.integrationPhase.removeMatching({ namespace: "n", name: "a" });
  assertEquals(
    m.integrationPhase.get({ namespace: "n", name: "a", type: "argocd", phase: "Running" }),
    undefined,
  );
  assertEquals(m.integrationPhase.get({ namespace: "n", name: "b", type: "argocd", phase: "Running" }), 1);
});

Deno.test("metrics: removeMatching through the index and by a scan drop the same series, and re-adding works", () => {
  const m = controllerMetrics();
  const g = m.componentHealthy;
  const set = (cluster: string, integration: string, component: string) =>
    g.set({ namespace: "n", integration, type: "argocd", cluster, component, status: "Healthy" }, 1);
  for (const c of ["c1", "c2"]) for (const i of ["a", "b"]) for (const k of ["x", "y"]) set(c, i, k);
  g.removeMatching({ namespace: "n", integration: "a", cluster: "c1" }); // indexed (namespace, cluster)
  g.removeMatching({ integration: "b", component: "y" }); // a scan
  const left = g.render().split("\n").filter((l) => l.startsWith("ksit_component_healthy{")).map((l) =>
    l.replace(/.*integration="(\w)".*cluster="(\w+)",component="(\w)".*/, "$2/$1/$3")
  ).sort();
  assertEquals(left, ["c1/b/x", "c2/a/x", "c2/a/y", "c2/b/x"]);
  set("c1", "a", "x");
  g.removeMatching({ namespace: "n", cluster: "c1" });
  assertEquals(
    g.get({
      namespace: "n",
      integration: "a",
      type: "argocd",
      cluster: "c1",
      component: "x",
      status: "Healthy",
    }),
    undefined,
  );
  assertEquals(
    g.get({
      namespace: "n",
      integration: "a",
      type: "argocd",
      cluster: "c2",
      component: "x",
      status: "Healthy",
    }),
    1,
  );
});

Deno.test("metrics: the per-replica series carry the replica's identity", () => {
  const m = controllerMetrics();
  m.ownedTargets.set({ replica: "r-0" }, 340);
  m.replicas.set({ replica: "r-0" }, 3);
  m.shardInfo.set({ replica: "r-0", mode: "fixed", shard: "0/3" }, 1);
  const text = m.registry.render();
  assertStringIncludes(text, 'ksit_owned_targets{replica="r-0"} 340\n');
  assertStringIncludes(text, 'ksit_replicas{replica="r-0"} 3\n');
  assertStringIncludes(text, 'ksit_shard_info{replica="r-0",mode="fixed",shard="0/3"} 1\n');
});
