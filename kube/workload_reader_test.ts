/**
 * clientNodeReader against a tiny fake API server on 127.0.0.1. Loading client-node needs env access and the
 * server needs net, so these run under `deno task test` (-A) and are skipped under `--allow-read` alone.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { loadFixture } from "../tests/fixtures/load.ts";
import { assert, assertEquals, assertRejects } from "../tests/support/assert.ts";
import { gather, GatherError } from "./gather.ts";

const allowed = (["net", "env"] as const).every((name) =>
  Deno.permissions.querySync({ name }).state === "granted"
);
const fixture = await loadFixture("tools/argocd/install.yaml");

interface FakeServer {
  kc: KubeConfig;
  requests: string[];
  /** Resolves when the client gave up on a hanging answer (its body stream was cancelled). */
  abandoned: Promise<void>;
  close(): Promise<void>;
}

/**
 * Serves the fixture's lists; `statusFor(path)` may answer an error status instead, `hang(path)` sends headers
 * but never the body.
 */
async function fakeApiServer(
  opts: { statusFor?: (path: string) => number | undefined; hang?: (path: string) => boolean } = {},
): Promise<FakeServer> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const requests: string[] = [];
  const abandoned = Promise.withResolvers<void>();
  const lists: Record<string, [string, string, unknown[]]> = {
    "/apis/apps/v1/namespaces/argocd/deployments": ["apps/v1", "DeploymentList", fixture.deployments],
    "/apis/apps/v1/namespaces/argocd/statefulsets": ["apps/v1", "StatefulSetList", fixture.statefulSets],
    "/apis/discovery.k8s.io/v1/namespaces/argocd/endpointslices": [
      "discovery.k8s.io/v1",
      "EndpointSliceList",
      fixture.endpointSlices,
    ],
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    requests.push(`${req.method} ${path} ${req.headers.get("authorization")}`);
    if (opts.hang?.(path)) {
      const body = new ReadableStream({ cancel: () => abandoned.resolve() });
      return new Response(body, { headers: { "content-type": "application/json" } });
    }
    const status = opts.statusFor?.(path);
    if (status) {
      return Response.json({ kind: "Status", apiVersion: "v1", status: "Failure", code: status }, { status });
    }
    const list = lists[path];
    if (!list) return Response.json({ kind: "Status", code: 404 }, { status: 404 });
    const [apiVersion, kind, items] = list;
    return Response.json({ apiVersion, kind, metadata: { resourceVersion: "1" }, items });
  });
  const kc = new KubeConfig();
  // client-node refuses plain http unless skipTLSVerify is set.
  kc.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${server.addr.port}`, skipTLSVerify: true }],
    users: [{ name: "u", token: "t0ken" }],
    contexts: [{ name: "fake", cluster: "fake", user: "u" }],
    currentContext: "fake",
  });
  return { kc, requests, abandoned: abandoned.promise, close: () => server.shutdown() };
}

Deno.test({
  name: "clientNodeReader: lists the three kinds with the kubeconfig's credentials",
  ignore: !allowed,
  async fn() {
    const { clientNodeReader } = await import("./workload_reader.ts");
    const api = await fakeApiServer();
    try {
      const snapshot = await gather(clientNodeReader(api.kc), {
        namespace: "argocd",
        types: "argocd",
        timeoutMs: 5000,
      });
      assertEquals(
        snapshot.deployments.map((d) => d.metadata?.name),
        fixture.deployments.map((d) => d.metadata?.name),
      );
      assertEquals(snapshot.statefulSets[0]?.status?.availableReplicas, 1);
      assertEquals(snapshot.endpointSlices?.length, fixture.endpointSlices.length);
      assertEquals(api.requests.sort(), [
        "GET /apis/apps/v1/namespaces/argocd/deployments Bearer t0ken",
        "GET /apis/apps/v1/namespaces/argocd/statefulsets Bearer t0ken",
        "GET /apis/discovery.k8s.io/v1/namespaces/argocd/endpointslices Bearer t0ken",
      ]);
    } finally {
      await api.close();
    }
  },
});

Deno.test({
  name: "clientNodeReader: 403 ⇒ GatherError Forbidden",
  ignore: !allowed,
  async fn() {
    const { clientNodeReader } = await import("./workload_reader.ts");
    const api = await fakeApiServer({ statusFor: (p) => (p.endsWith("/statefulsets") ? 403 : undefined) });
    try {
      const err = await assertRejects(() =>
        gather(clientNodeReader(api.kc), { namespace: "argocd", types: "argocd", timeoutMs: 5000 })
      );
      assert(err instanceof GatherError);
      assertEquals(err.reason, "Forbidden");
    } finally {
      await api.close();
    }
  },
});

Deno.test({
  name: "clientNodeReader: the deadline aborts the HTTP request itself",
  ignore: !allowed,
  async fn() {
    const { clientNodeReader } = await import("./workload_reader.ts");
    const api = await fakeApiServer({ hang: (p) => p.endsWith("/endpointslices") });
    try {
      const err = await assertRejects(() =>
        gather(clientNodeReader(api.kc), { namespace: "argocd", types: "argocd", timeoutMs: 200 })
      );
      assertEquals((err as GatherError).reason, "Timeout");
      // The signal reached fetch: the client closed the request, it did not just stop waiting for it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const closed = await Promise.race([
        api.abandoned.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 2000))),
      ]);
      clearTimeout(timer);
      assert(closed, "the HTTP request was not aborted");
    } finally {
      await api.close();
    }
  },
});

Deno.test({
  name: "clientNodeReader: nobody listening ⇒ ClusterUnreachable",
  ignore: !allowed,
  async fn() {
    const { clientNodeReader } = await import("./workload_reader.ts");
    const api = await fakeApiServer();
    await api.close();
    const err = await assertRejects(() =>
      gather(clientNodeReader(api.kc), { namespace: "argocd", types: "flux", timeoutMs: 5000 })
    );
    assertEquals((err as GatherError).reason, "ClusterUnreachable");
  },
});
