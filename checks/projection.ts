/**
 * What the judges read of a workload or EndpointSlice, and nothing else: `serve` keeps these projections in its
 * informer caches instead of whole objects (pod templates, `managedFields`, annotations are most of an
 * object's bytes and no rule reads them). checks/corpus_test.ts judges every upstream install both ways and
 * requires the same verdicts, so a rule that starts reading a new field fails there until it is kept here.
 *
 * Which rule needs which field (rule numbers of checks/workload.ts):
 * - metadata.name, namespace, labels: finding components (checks/match.ts, checks/tools.ts selectors);
 *   resourceVersion: the informer's watch; generation: rule 6; deletionTimestamp: rule 1.
 * - Deployment spec.replicas (rules 2, 5, 9, 10), spec.progressDeadlineSeconds (rule 11).
 * - StatefulSet spec.replicas (same rules), spec.updateStrategy (rule 10: OnDelete, partition).
 * - status: every counter, observedGeneration, current/updateRevision (rules 2–11) and the conditions' type,
 *   status, reason and message (rules 3, 4, 7, 11 and the messages); the conditions' timestamps are not read.
 * - EndpointSlice endpoints[].addresses, targetRef, conditions.ready (checks/endpoints.ts).
 */
import type { V1DaemonSet, V1Deployment, V1EndpointSlice, V1StatefulSet } from "@kubernetes/client-node";
import type { Snapshot } from "./snapshot.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

function meta(m: Loose): Loose {
  if (!m) return m;
  const out: Loose = { name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion };
  if (m.labels) out.labels = m.labels;
  if (m.generation !== undefined) out.generation = m.generation;
  if (m.deletionTimestamp) out.deletionTimestamp = m.deletionTimestamp;
  return out;
}

function conditions(cs: Loose[] | undefined): Loose[] | undefined {
  return cs?.map((c) => {
    const out: Loose = { type: c.type, status: c.status };
    if (c.reason) out.reason = c.reason;
    if (c.message) out.message = c.message;
    return out;
  });
}

/** The status with its conditions trimmed (its counters are a few numbers; all are kept). */
function status(s: Loose): Loose {
  if (!s) return s;
  const out: Loose = { ...s };
  if (s.conditions) out.conditions = conditions(s.conditions);
  return out;
}

function pick(o: Loose, keys: readonly string[]): Loose {
  if (!o) return o;
  const out: Loose = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export function projectDeployment(d: V1Deployment): V1Deployment {
  return {
    metadata: meta(d.metadata),
    spec: pick(d.spec, ["replicas", "progressDeadlineSeconds"]),
    status: status(d.status),
  } as V1Deployment;
}

export function projectStatefulSet(s: V1StatefulSet): V1StatefulSet {
  return {
    metadata: meta(s.metadata),
    spec: pick(s.spec, ["replicas", "updateStrategy"]),
    status: status(s.status),
  } as V1StatefulSet;
}

export function projectDaemonSet(d: V1DaemonSet): V1DaemonSet {
  return { metadata: meta(d.metadata), status: status(d.status) } as V1DaemonSet;
}

export function projectEndpointSlice(s: V1EndpointSlice): V1EndpointSlice {
  return {
    metadata: meta(s.metadata),
    endpoints: (s.endpoints ?? []).map((e) => {
      const out: Loose = { addresses: e.addresses };
      if (e.targetRef) out.targetRef = pick(e.targetRef, ["kind", "namespace", "name"]);
      if (e.conditions) out.conditions = pick(e.conditions, ["ready"]);
      return out;
    }),
  } as V1EndpointSlice;
}

/** A snapshot of projections (what `serve`'s caches give the judges). */
export function projectSnapshot(s: Snapshot): Snapshot {
  const out: Snapshot = {
    ...s,
    deployments: s.deployments.map(projectDeployment),
    statefulSets: s.statefulSets.map(projectStatefulSet),
  };
  if (s.daemonSets) out.daemonSets = s.daemonSets.map(projectDaemonSet);
  if (s.endpointSlices) out.endpointSlices = s.endpointSlices.map(projectEndpointSlice);
  return out;
}
