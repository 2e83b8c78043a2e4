/**
 * Kubernetes Events about Integrations (core/v1 Events; `kubectl describe` and `kubectl get events` show
 * them). RBAC (control plane, watched namespace): create on "" events.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import type { KubeClient } from "./kube.ts";
import type { Logger } from "./log.ts";
import type { Clock } from "./clock.ts";
import { rfc3339 } from "./status.ts";

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface EventRecorder {
  record(obj: EventTarget, type: "Normal" | "Warning", reason: string, message: string): Promise<void>;
}

export function kubeEventRecorder(
  kube: KubeClient,
  clock: Clock,
  log: Logger,
  instance: string,
): EventRecorder {
  const core = kube.api(CoreV1Api);
  return {
    async record(obj, type, reason, message) {
      const namespace = obj.metadata.namespace ?? "default";
      const now = rfc3339(clock.now());
      try {
        // RBAC: events create (namespaced Role)
        await kube.call("create", () =>
          core.createNamespacedEvent({
            namespace,
            body: {
              metadata: { generateName: `${obj.metadata.name}.`, namespace },
              involvedObject: {
                apiVersion: obj.apiVersion,
                kind: obj.kind,
                name: obj.metadata.name,
                namespace,
                uid: obj.metadata.uid,
                resourceVersion: obj.metadata.resourceVersion,
              },
              type,
              reason,
              message: message.length > 1000 ? message.slice(0, 1000) + "…" : message,
              firstTimestamp: new Date(now),
              lastTimestamp: new Date(now),
              count: 1,
              source: { component: "ksit-controller" },
              reportingComponent: "ksit.io/controller",
              reportingInstance: instance,
            },
          }));
        log.info("event", { object: `${namespace}/${obj.metadata.name}`, type, reason, message });
      } catch (e) {
        // an Event is best effort: never fail a reconcile because of it
        log.warn("event not recorded", { object: `${namespace}/${obj.metadata.name}`, reason, error: e });
      }
    },
  };
}

/** Records into an array (unit tests). */
export function memoryEventRecorder(): EventRecorder & {
  events: { object: string; type: string; reason: string; message: string }[];
} {
  const events: { object: string; type: string; reason: string; message: string }[] = [];
  return {
    events,
    record(obj, type, reason, message) {
      events.push({ object: `${obj.metadata.namespace}/${obj.metadata.name}`, type, reason, message });
      return Promise.resolve();
    },
  };
}
