import type { V1Deployment, V1EndpointSlice, V1StatefulSet } from "@kubernetes/client-node";
import { loadFixture } from "../tests/fixtures/load.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../tests/support/assert.ts";
import { gather, GatherError, type WorkloadReader } from "./gather.ts";

const fixture = await loadFixture("tools/argocd/install.yaml");

type Call = "deployments" | "statefulsets" | "endpointslices";

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
    listEndpointSlices: (ns, signal) =>
      answer<V1EndpointSlice>("endpointslices", ns, signal, fixture.endpointSlices),
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

Deno.test("gather: tools without endpoints skip the EndpointSlice list", async () => {
  for (const types of ["flux", "prometheus", ["istio", "flux"]] as const) {
    const { reader, calls } = fakeReader();
    const snapshot = await gather(reader, { namespace: "ns", types: [...[types].flat()], timeoutMs: 1000 });
    assertEquals(calls.map((c) => c.what).sort(), ["deployments", "statefulsets"]);
    assertEquals("endpointSlices" in snapshot, false);
  }
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
  assertEquals(forced.calls.length, 3);
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
