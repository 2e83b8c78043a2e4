/** Pure judge of one Service's endpoints, from its discovery.k8s.io/v1 EndpointSlices. */
import type { V1EndpointSlice } from "@kubernetes/client-node";
import { COMPONENT_REASONS as R } from "./reasons.ts";
import type { Verdict } from "./verdict.ts";

/** The label the EndpointSlice controller puts on every slice of a Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/**
 * ≥1 ready endpoint ⇒ Healthy `EndpointsReady`; slices but none ready ⇒ Unhealthy `NoReadyEndpoints`;
 * no slice ⇒ Missing `NoEndpoints`. An endpoint is ready unless `conditions.ready` is false (nil means
 * ready, as the API documents). Endpoints are counted once even when dual-stack slices list them twice.
 */
export function judgeEndpoints(service: string, slices: readonly V1EndpointSlice[]): Verdict {
  const base = { kind: "Service" as const, workload: service };
  if (slices.length === 0) {
    return {
      ...base,
      status: "Missing",
      reason: R.NoEndpoints,
      ready: "0/0",
      message: `${service}: no EndpointSlice for Service ${service}`,
      available: 0,
      desired: 0,
    };
  }
  const all = new Map<string, boolean>();
  for (const slice of slices) {
    for (const ep of slice.endpoints ?? []) {
      const ref = ep.targetRef;
      const key = ref?.name
        ? `${ref.kind ?? ""}/${ref.namespace ?? ""}/${ref.name}`
        : [...ep.addresses].sort().join(",");
      const ready = ep.conditions?.ready !== false;
      all.set(key, (all.get(key) ?? false) || ready);
    }
  }
  const total = all.size;
  const ready = [...all.values()].filter(Boolean).length;
  const counts = { ready: `${ready}/${total}`, available: ready, desired: total };
  if (ready === 0) {
    return {
      ...base,
      ...counts,
      status: "Unhealthy",
      reason: R.NoReadyEndpoints,
      message: `${service}: Service has no ready endpoints (${ready}/${total})`,
    };
  }
  return {
    ...base,
    ...counts,
    status: "Healthy",
    reason: R.EndpointsReady,
    message: `${service}: ${ready}/${total} endpoints ready`,
  };
}
