/**
 * The dashboard's source inside `serve` (`--ui-addr`): the controller's own informers (no extra watch), its
 * full verdicts (every component, also of healthy clusters), and the recent Events of one Integration read on
 * demand. RBAC: list on "" events in the watched namespace (files/controller-rbac.yaml).
 */
import { CoreV1Api } from "@kubernetes/client-node";
import type { FleetSource } from "../ui/fleet.ts";
import type { RawEvent, SourceInfo } from "../ui/view_model.ts";
import type { ClusterClient } from "../kube/client.ts";
import { errorMessage } from "../kube/errors.ts";
import type { Controller } from "./controller.ts";

export function controllerSource(
  controller: Controller,
  kube: ClusterClient,
  scope: { namespace: string; allNamespaces: boolean },
): FleetSource {
  return {
    info(): SourceInfo {
      const reachable = controller.controlPlaneReachable();
      return {
        kind: "serve",
        namespace: scope.allNamespaces ? "*" : scope.namespace,
        connected: reachable && controller.cachesListed(),
        synced: controller.listedOnce(),
        ...(reachable ? {} : { problem: "the control plane is unreachable" }),
        ...(reachable && !controller.cachesListed() ? { problem: "listing Integrations and targets" } : {}),
      };
    },
    integrations: () => controller.currentIntegrations(),
    targets: () => controller.currentTargets(),
    onChange: (fn) => controller.onChange(fn),
    verdicts: (id) => controller.lastVerdicts(id),
    async events(namespace, name, uid) {
      const fieldSelector = [
        "involvedObject.kind=Integration",
        `involvedObject.name=${name}`,
        ...(uid ? [`involvedObject.uid=${uid}`] : []),
      ].join(",");
      try {
        const list = await kube.call(
          "list",
          () => kube.api(CoreV1Api).listNamespacedEvent({ namespace, fieldSelector, limit: 500 }),
        );
        return list.items as RawEvent[];
      } catch (e) {
        throw new Error(errorMessage(e));
      }
    },
  };
}
