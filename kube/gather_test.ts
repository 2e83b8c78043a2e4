import type { V1DaemonSet, V1Deployment, V1EndpointSlice, V1StatefulSet } from "@kubernetes/client-node";
import { loadFixture } from "../tests/fixtures/load.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../tests/support/assert.ts";
import { discover, gather, GatherError, gatherTool, type WorkloadReader } from "./gather.ts";

const fixture = await loadFixture("tools/argocd/install.yaml");

type Call = "deployments" | "statefulsets" | "daemonsets" | "endpointslices";

/** A reader over the fixture that records calls; `behave` may replace a call's answer. */
function fakeReader(behave: Partial<Record<Call, (signal: AbortSignal) => Promise<unknown>>> = {}) {
  const calls: { what: Call; namespace: string; signal: AbortSignal }[] = [];
  const answer = <T>(what: Call, namespace: string, signal: AbortSignal, items: T[]): Promise<T[]> => {
    calls.push({ what, namespace, signal });
    const custom = behave[what];
    return custom ? (custom(signal) as Promise<T[]>) : Promise.resolve(structuredClone(items));
  };
  const reader: WorkloadReader = {
    listDeployments: (ns, signal) => answer<V1Deployment>("deployments", ns, signal, fixture.deployments),
    listStatefulSets: (ns, signal) => answer<V1StatefulSet>("statefulsets", ns, signal, fixture.statefulSets),
    listDaemonSets: (ns, signal) => answer<V1DaemonSet>("daemonsets", ns, signal, []),
    listEndpointSlices: (ns, signal) =>
      answer<V1EndpointSlice>("endpointslices", ns, signal, fixture.endpointSlices),
    listAllNamespaces: () => Promise.reject(new Error("not used")),
  };
  return { reader, calls };
}

/** Never answers, but rejects with the signal's reason when aborted (as fetch does). */
const hang = (signal: AbortSignal) =>
  new Promise<never>((_, reject) =>
    signal.addEventListener("abort", () => reject(signal.reason), { once: true })
  );
/** Never answers and ignores the signal (a badly behaved reader). */
const deaf = () => new Promise<never>(() => {});

Deno.test("gather: Argo CD needs three lists, one call each, in the namespace asked for", async () => {
  const { reader, calls } = fakeReader();
  const snapshot = await gather(reader, { namespace: "argocd", types: "argocd", timeoutMs: 1000 });
  assertEquals(calls.map((c) => c.what).sort(), ["deployments", "endpointslices", "statefulsets"]);
  assert(calls.every((c) => c.namespace === "argocd"));
  assertEquals(snapshot, {
    namespace: "argocd",
    deployments: fixture.deployments,
    statefulSets: fixture.statefulSets,
    endpointSlices: fixture.endpointSlices,
  });
});

Deno.test("gather: tools without endpoints skip the EndpointSlice list; DaemonSets and StatefulSets only for those with some", async () => {
  const cases = [
    [["flux"], ["deployments"]],
    [["prometheus"], ["daemonsets", "deployments", "statefulsets"]],
    [["istio"], ["daemonsets", "deployments"]],
    [["istio", "flux"], ["daemonsets", "deployments"]],
  ] as const;
  for (const [types, lists] of cases) {
    const { reader, calls } = fakeReader();
    const snapshot = await gather(reader, { namespace: "ns", types: [...types], timeoutMs: 1000 });
    assertEquals(calls.map((c) => c.what).sort(), [...lists]);
    assertEquals("endpointSlices" in snapshot, false);
    assertEquals("daemonSets" in snapshot, (lists as readonly string[]).includes("daemonsets"));
    if (!(lists as readonly string[]).includes("statefulsets")) assertEquals(snapshot.statefulSets, []);
  }
  const forced = fakeReader();
  await gather(forced.reader, {
    namespace: "ns",
    types: "flux",
    timeoutMs: 1000,
    withDaemonSets: true,
    withStatefulSets: true,
  });
  assertEquals(forced.calls.map((c) => c.what).sort(), ["daemonsets", "deployments", "statefulsets"]);
});

Deno.test("gather: several tools in one namespace share the calls; withEndpoints forces the list", async () => {
  const shared = fakeReader();
  await gather(shared.reader, { namespace: "ns", types: ["flux", "argocd"], timeoutMs: 1000 });
  assertEquals(shared.calls.length, 3);
  const forced = fakeReader();
  const snapshot = await gather(forced.reader, {
    namespace: "ns",
    types: "flux",
    timeoutMs: 1000,
    withEndpoints: true,
  });
  assertEquals(forced.calls.map((c) => c.what).sort(), ["deployments", "endpointslices"]);
  assertEquals(snapshot.endpointSlices?.length, fixture.endpointSlices.length);
});

Deno.test("gather: calls run concurrently", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { reader, calls } = fakeReader({
    deployments: async () => (await gate, []),
    statefulsets: async () => (await gate, []),
    endpointslices: async () => (await gate, []),
  });
  const pending = gather(reader, { namespace: "argocd", types: "argocd", timeoutMs: 1000 });
  await Promise.resolve();
  assertEquals(calls.length, 3, "all three calls started before any answered");
  release();
  await pending;
});

Deno.test("gather: a call past the deadline ⇒ Timeout, and the reader's signal is aborted", async () => {
  const { reader, calls } = fakeReader({ statefulsets: hang });
  const err = await assertRejects(() =>
    gather(reader, { namespace: "argocd", types: "argocd", timeoutMs: 20 })
  );
  assert(err instanceof GatherError);
  assertEquals(err.reason, "Timeout");
  assertEquals(err.message, "list statefulsets in namespace argocd: no answer within 20ms");
  assert(calls.every((c) => c.signal.aborted));
});

Deno.test("gather: the deadline holds even when the reader ignores the signal", async () => {
  const { reader } = fakeReader({ deployments: deaf });
  const err = await assertRejects(() =>
    gather(reader, { namespace: "flux-system", types: "flux", timeoutMs: 20 })
  );
  assertEquals((err as GatherError).reason, "Timeout");
});

Deno.test("gather: the caller's signal aborts ⇒ Aborted", async () => {
  const controller = new AbortController();
  const { reader } = fakeReader({ deployments: hang });
  const pending = gather(reader, {
    namespace: "ns",
    types: "flux",
    timeoutMs: 10_000,
    signal: controller.signal,
  });
  controller.abort(new Error("shutting down"));
  const err = await assertRejects(() => pending);
  assertEquals([(err as GatherError).reason, err.message], [
    "Aborted",
    "list deployments in namespace ns: aborted",
  ]);
});

Deno.test("gather: an already aborted signal makes no wait", async () => {
  const { reader } = fakeReader({ deployments: deaf, statefulsets: deaf });
  const err = await assertRejects(() =>
    gather(reader, { namespace: "ns", types: "flux", timeoutMs: 10_000, signal: AbortSignal.abort() })
  );
  assertEquals((err as GatherError).reason, "Aborted");
});

/** What client-node 2.x throws for a non-2xx answer. */
class FakeApiException extends Error {
  constructor(readonly code: number) {
    super(`HTTP-Code: ${code}\nMessage: Unknown API Status Code!`);
  }
}

/** What undici's fetch throws when the server cannot be reached. */
function networkError(code: string, message: string): TypeError {
  const cause = Object.assign(new Error(message), { code });
  return new TypeError("fetch failed", { cause });
}

const errorCases: { name: string; error: unknown; reason: string; message: string }[] = [
  {
    name: "401",
    error: new FakeApiException(401),
    reason: "Unauthorized",
    message:
      "list deployments in namespace argocd: 401 Unauthorized: the kubeconfig's credentials were rejected",
  },
  {
    name: "403",
    error: new FakeApiException(403),
    reason: "Forbidden",
    message: "list deployments in namespace argocd: 403 Forbidden: grant list on deployments in argocd",
  },
  {
    name: "503",
    error: new FakeApiException(503),
    reason: "ClusterUnreachable",
    message: "list deployments in namespace argocd: API server answered HTTP 503",
  },
  {
    name: "connection refused",
    error: networkError("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.9:6443"),
    reason: "ClusterUnreachable",
    message: "list deployments in namespace argocd: connection refused",
  },
  {
    name: "DNS",
    error: networkError("ENOTFOUND", "getaddrinfo failed for api.gone.example"),
    reason: "ClusterUnreachable",
    message: "list deployments in namespace argocd: DNS lookup failed",
  },
  {
    name: "a GatherError from the reader passes through",
    error: new GatherError("Forbidden", "custom"),
    reason: "Forbidden",
    message: "custom",
  },
];

for (const c of errorCases) {
  Deno.test(`gather: error mapping: ${c.name}`, async () => {
    const { reader, calls } = fakeReader({ deployments: () => Promise.reject(c.error), statefulsets: hang });
    const err = await assertRejects(() =>
      gather(reader, { namespace: "argocd", types: "argocd", timeoutMs: 5000 })
    );
    assert(err instanceof GatherError, `not a GatherError: ${err}`);
    assertEquals([err.reason, err.message], [c.reason, c.message]);
    if (!(c.error instanceof GatherError)) assertEquals(err.cause, c.error);
    assert(calls.every((x) => x.signal.aborted), "the other calls are cancelled on the first failure");
  });
}

Deno.test("gather: GatherError is an Error with name, reason and cause", () => {
  const cause = new Error("x");
  const err = new GatherError("Timeout", "slow", { cause });
  assert(err instanceof Error);
  assertEquals([err.name, err.reason, err.message, err.cause], ["GatherError", "Timeout", "slow", cause]);
  assertStringIncludes(String(err), "GatherError: slow");
});

// ------------------------------------------------------------------ gatherTool: namespaces and discovery

/** A reader over per-namespace Deployments; `denied` namespaces answer 403; cluster-wide lists as given. */
function clusterReader(
  byNamespace: Record<string, V1Deployment[]>,
  o: { denied?: string[]; allDenied?: boolean } = {},
) {
  const calls: string[] = [];
  const forbidden = () => Promise.reject(Object.assign(new Error("HTTP-Code: 403"), { code: 403 }));
  const list = <T>(what: string, ns: string, items: T[]) => {
    calls.push(`${what} ${ns}`);
    return o.denied?.includes(ns) ? forbidden() : Promise.resolve(structuredClone(items));
  };
  const reader: WorkloadReader = {
    listDeployments: (ns) => list("deployments", ns, byNamespace[ns] ?? []),
    listStatefulSets: (ns) => list("statefulsets", ns, []),
    listDaemonSets: (ns) => list("daemonsets", ns, []),
    listEndpointSlices: (ns) => list("endpointslices", ns, []),
    listAllNamespaces: (kind, selector) => {
      calls.push(`all ${kind} ${selector}`);
      if (o.allDenied) return forbidden();
      const all = Object.entries(byNamespace).flatMap(([ns, ds]) =>
        ds.map((d) => ({ ...structuredClone(d), metadata: { ...d.metadata, namespace: ns } }))
      );
      return Promise.resolve(kind === "Deployment" ? all : []);
    },
  };
  return { reader, calls };
}

const istiod = (ns: string): V1Deployment => ({
  metadata: { name: "istiod", namespace: ns, labels: { app: "istiod", istio: "pilot" } },
  spec: { replicas: 1 } as V1Deployment["spec"],
  status: { replicas: 1, availableReplicas: 1, readyReplicas: 1, updatedReplicas: 1 },
});
const istioDefaults = {
  namespaces: ["istio-system", "istio-ingress"],
  configured: false,
  optional: ["istio-ingress"],
};

Deno.test("gatherTool: an optional default namespace the RBAC refuses is left out; a required one fails", async () => {
  const { reader } = clusterReader({ "istio-system": [istiod("istio-system")] }, {
    denied: ["istio-ingress"],
  });
  const { snapshot, discovery } = await gatherTool(reader, {
    type: "istio",
    namespaces: istioDefaults,
    discover: true,
    timeoutMs: 1000,
  });
  assertEquals([snapshot.namespace, snapshot.namespaces, discovery], ["istio-system", undefined, undefined]);
  assertEquals(snapshot.deployments.map((d) => d.metadata?.name), ["istiod"]);
  const denied = clusterReader({}, { denied: ["mesh"] });
  const err = await assertRejects(() =>
    gatherTool(denied.reader, {
      type: "istio",
      namespaces: { namespaces: ["mesh"], configured: true, optional: [] },
      discover: true,
      timeoutMs: 1000,
    })
  );
  assertEquals((err as GatherError).reason, "Forbidden");
});

Deno.test("gatherTool: not in its default namespaces ⇒ found by its labels elsewhere, and read there", async () => {
  const { reader, calls } = clusterReader({ "mesh-control": [istiod("mesh-control")], other: [] });
  const { snapshot, discovery } = await gatherTool(reader, {
    type: "istio",
    namespaces: istioDefaults,
    discover: true,
    timeoutMs: 1000,
  });
  assertEquals(discovery?.found, ["mesh-control"]);
  assertEquals(snapshot.namespaces, ["istio-system", "istio-ingress", "mesh-control"]);
  assertEquals(snapshot.deployments.map((d) => d.metadata?.name), ["istiod"]);
  assert(calls.includes("all Deployment istio"), calls.join("; "));
  assert(calls.includes("all DaemonSet app.kubernetes.io/part-of=istio"), calls.join("; "));
  assert(calls.includes("deployments mesh-control"));
});

Deno.test("gatherTool: configured namespaces are never widened by discovery; found tools need none", async () => {
  for (const namespaces of [{ namespaces: ["mesh"], configured: true, optional: [] }, istioDefaults]) {
    const { reader, calls } = clusterReader({
      mesh: [istiod("mesh")],
      "istio-system": [istiod("istio-system")],
    });
    const { discovery } = await gatherTool(reader, {
      type: "istio",
      namespaces,
      discover: true,
      timeoutMs: 1000,
    });
    assertEquals(discovery, undefined);
    assert(!calls.some((c) => c.startsWith("all ")), calls.join("; "));
  }
});

Deno.test("discover: nothing found; a 403 on every cluster-wide list is an answer that says so", async () => {
  const none = await discover(clusterReader({}).reader, { type: "argocd", timeoutMs: 1000 });
  assertEquals(none, { searched: "Deployments labelled app.kubernetes.io/part-of=argocd", found: [] });
  const denied = await discover(clusterReader({}, { allDenied: true }).reader, {
    type: "argocd",
    timeoutMs: 1000,
  });
  assertEquals(denied.found, []);
  assertEquals(
    denied.forbidden,
    "list deployments in all namespaces: 403 Forbidden: grant list on deployments cluster-wide",
  );
});

Deno.test("gatherTool: a gateway alone in a default namespace does not stop the search for istiod elsewhere", async () => {
  const gateway: V1Deployment = {
    metadata: { name: "istio-ingress", labels: { app: "istio-ingress", istio: "ingress" } },
    spec: { replicas: 1 } as V1Deployment["spec"],
    status: { replicas: 1, availableReplicas: 1, readyReplicas: 1, updatedReplicas: 1 },
  };
  const { reader } = clusterReader({ "istio-ingress": [gateway], "mesh-control": [istiod("mesh-control")] });
  const { snapshot, discovery } = await gatherTool(reader, {
    type: "istio",
    namespaces: istioDefaults,
    discover: true,
    timeoutMs: 1000,
  });
  assertEquals(discovery?.found, ["istio-ingress", "mesh-control"]);
  assertEquals(snapshot.namespaces, ["istio-system", "istio-ingress", "mesh-control"]);
  assertEquals(snapshot.deployments.map((d) => d.metadata?.name).sort(), ["istio-ingress", "istiod"]);
});

Deno.test("gatherTool: a discovery answer may be supplied (serve's cache) instead of listed", async () => {
  const { reader, calls } = clusterReader({ "mesh-control": [istiod("mesh-control")] });
  const { discovery } = await gatherTool(reader, {
    type: "istio",
    namespaces: istioDefaults,
    discover: () => Promise.resolve({ searched: "cached", found: ["mesh-control"] }),
    timeoutMs: 1000,
  });
  assertEquals(discovery?.searched, "cached");
  assert(!calls.some((c) => c.startsWith("all ")), calls.join("; "));
});
