/**
 * The client transport on a real API server: connections are pooled (client-node alone opens one per request),
 * and a graceful API server shutdown does not take the process down (see kube/transport.ts).
 */
import { AppsV1Api, CoreV1Api, type V1Deployment } from "@kubernetes/client-node";
import { DenoWatch, tuneTransport } from "../kube/transport.ts";
import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import { useHarness } from "./support/harness.ts";
import { eventually } from "./support/poll.ts";

const harness = useHarness({ clusters: ["reuse", "goaway"] });

/** Client-side TCP connections to `port` in ESTABLISHED state (from /proc/net/tcp). */
function clientConnections(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  return Deno.readTextFileSync("/proc/net/tcp").split("\n").slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[2]?.endsWith(`:${hex}`) && f[3] === "01").length;
}

Deno.test("requests reuse pooled connections", async () => {
  const c = harness().cluster("reuse");
  const kc = tuneTransport(c.kc());
  const api = kc.makeApiClient(CoreV1Api);
  await api.listNamespace();
  const before = clientConnections(c.port);
  for (let i = 0; i < 20; i++) await api.listNamespace();
  const opened = clientConnections(c.port) - before;
  assert(opened <= 1, `20 sequential requests opened ${opened} new connections`);
});

Deno.test("a watching process survives the API server's graceful shutdown (GOAWAY)", async () => {
  const c = harness().cluster("goaway");
  const probe = new URL("./support/goaway_probe.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", probe, c.kubeconfigPath],
    cwd: new URL("../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out.push(value);
    }
  })();
  const stderr = new Response(child.stderr).text();
  try {
    await eventually(() => out.join("").includes("watching"), { timeoutMs: 30_000, what: "probe watching" });
    await c.stop("SIGTERM"); // graceful: kube-apiserver sends GOAWAY to its clients
    const status = await child.status;
    await pump;
    const text = out.join("");
    assertEquals(
      status.code,
      0,
      `probe exited ${status.code} (signal ${status.signal}): ${text}\n${await stderr}`,
    );
    assertStringIncludes(text, "survived");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    if (!c.running) await c.start();
  }
});

Deno.test("DenoWatch delivers events and ends promptly when the server is killed", async () => {
  const c = harness().cluster("reuse");
  const kc = tuneTransport(c.kc());
  const ns = "transport-watch";
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const seen: string[] = [];
  const ended = Promise.withResolvers<unknown>();
  const ctl = await new DenoWatch(kc).watch(
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    { allowWatchBookmarks: true },
    (type: string, obj: V1Deployment) => seen.push(`${type} ${obj.metadata?.name}`),
    (err) => ended.resolve(err),
  );
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: "w" },
      spec: {
        selector: { matchLabels: { a: "b" } },
        template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "x" }] } },
      },
    },
  });
  await eventually(() => seen.includes("ADDED w"), { timeoutMs: 10_000, what: "ADDED event" });
  const t0 = performance.now();
  await c.stop("SIGKILL");
  try {
    const err = await ended.promise;
    const ms = performance.now() - t0;
    assert(err, "a dropped connection ends the watch with an error");
    assert(ms < 5000, `the watch ended ${Math.round(ms)} ms after the server died`);
  } finally {
    ctl.abort();
    await c.start();
  }
});
