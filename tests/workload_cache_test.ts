/**
 * A workload cache watches only the kinds its users' tools can have (checks/tools.ts needs*): Flux has only
 * Deployments, Istio no StatefulSets; Argo CD's Services are EndpointSlices. Counted in the code
 * (DenoWatch.live: watch requests open), on a real API server.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { ToolType } from "../api/types.ts";
import { needsDaemonSets, needsEndpoints, needsStatefulSets } from "../checks/tools.ts";
import { CachePool } from "../controller/workload_cache.ts";
import { ClusterClient } from "../kube/client.ts";
import { closeTransport, DenoWatch } from "../kube/transport.ts";
import { systemClock } from "../util/clock.ts";
import { nullLogger } from "../util/log.ts";
import { Semaphore } from "../util/semaphore.ts";
import { assertEquals } from "./support/assert.ts";
import { useHarness } from "./support/harness.ts";
import { eventually } from "./support/poll.ts";

const harness = useHarness({ clusters: ["w1"] });

const needs = (type: ToolType) => ({
  endpoints: needsEndpoints(type),
  daemonSets: needsDaemonSets(type),
  statefulSets: needsStatefulSets(type),
});

Deno.test("workload caches watch only the kinds their tools can have, and add a kind when a user needs it", async () => {
  const kc: KubeConfig = harness().cluster("w1").kc();
  const client = new ClusterClient(kc, {
    target: "w1",
    timeoutMs: 5_000,
    countRequest: () => {},
    global: new Semaphore(16),
  });
  const pool = new CachePool(nullLogger, systemClock, () => {});
  const base = DenoWatch.live;
  const open = (n: number, what: string) =>
    eventually(() => DenoWatch.live - base === n, { what: `${n} watches open (${what})`, timeoutMs: 10_000 });
  try {
    // Flux: Deployments only
    const flux = pool.acquire("flux@t", "ns/t", 1, "flux-system", client, needs("flux"));
    await eventually(() => flux.synced, { what: "flux-system cache listed" });
    await open(1, "flux-system: deployments");
    // Istio: Deployments and DaemonSets
    const istio = pool.acquire("istio@t", "ns/t", 1, "istio-system", client, needs("istio"));
    await eventually(() => istio.synced, { what: "istio-system cache listed" });
    await open(3, "+ istio-system: deployments, daemonsets");
    // Argo CD: Deployments, StatefulSets, EndpointSlices
    const argocd = pool.acquire("argocd@t", "ns/t", 1, "argocd", client, needs("argocd"));
    await eventually(() => argocd.synced, { what: "argocd cache listed" });
    await open(6, "+ argocd: deployments, statefulsets, endpointslices");
    // Prometheus looking in flux-system too: the shared cache adds StatefulSets and DaemonSets
    const shared = pool.acquire("prometheus@t", "ns/t", 1, "flux-system", client, needs("prometheus"));
    assertEquals(shared, flux);
    await eventually(() => shared.synced, { what: "flux-system cache listed again" });
    await open(8, "+ flux-system: statefulsets, daemonsets");
    // every user gone: every watch ends
    for (const user of ["flux@t", "istio@t", "argocd@t", "prometheus@t"]) pool.releaseExcept(user);
    await open(0, "all released");
  } finally {
    for (const user of ["flux@t", "istio@t", "argocd@t", "prometheus@t"]) pool.releaseExcept(user);
    await closeTransport(kc).catch(() => {});
  }
});
