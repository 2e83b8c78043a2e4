/**
 * `WorkloadReader` (kube/gather.ts) over @kubernetes/client-node 2.x, for `kubectl ksit check`: it only wraps
 * the KubeConfig it is given. The abort signal reaches fetch through a per-call middleware that sets it on the
 * RequestContext (client-node 2.x has no signal parameter).
 */
import {
  AppsV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  Observable,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from "@kubernetes/client-node";
import type { WorkloadReader } from "./gather.ts";
import { tuneTransport } from "./transport.ts";

/** Per-call options that make client-node pass `signal` to fetch (appended after the client's own middleware). */
function withSignal(signal: AbortSignal) {
  const middleware: ObservableMiddleware = {
    pre(ctx: RequestContext) {
      ctx.setSignal(signal);
      return new Observable(Promise.resolve(ctx));
    },
    post(ctx: ResponseContext) {
      return new Observable(Promise.resolve(ctx));
    },
  };
  return { middleware: [middleware], middlewareMergeStrategy: "append" as const };
}

/** A reader listing with `kc`'s current context. */
export function clientNodeReader(kc: KubeConfig): WorkloadReader {
  tuneTransport(kc); // Deno's fetch, pooled (idempotent; see kube_transport.ts)
  const apps = kc.makeApiClient(AppsV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  return {
    async listDeployments(namespace, signal) {
      return (await apps.listNamespacedDeployment({ namespace }, withSignal(signal))).items;
    },
    async listStatefulSets(namespace, signal) {
      return (await apps.listNamespacedStatefulSet({ namespace }, withSignal(signal))).items;
    },
    async listDaemonSets(namespace, signal) {
      return (await apps.listNamespacedDaemonSet({ namespace }, withSignal(signal))).items;
    },
    async listEndpointSlices(namespace, signal) {
      return (await discovery.listNamespacedEndpointSlice({ namespace }, withSignal(signal))).items;
    },
    async listAllNamespaces(kind, labelSelector, signal) {
      const q = { labelSelector };
      switch (kind) {
        case "Deployment":
          return (await apps.listDeploymentForAllNamespaces(q, withSignal(signal))).items;
        case "StatefulSet":
          return (await apps.listStatefulSetForAllNamespaces(q, withSignal(signal))).items;
        case "DaemonSet":
          return (await apps.listDaemonSetForAllNamespaces(q, withSignal(signal))).items;
      }
    },
  };
}
