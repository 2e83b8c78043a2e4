/**
 * Synthetic fleets for the dashboard's tests: `syntheticFleet(n)` makes n IntegrationTargets and one
 * Integration per tool type over all of them, with a few clusters in trouble; `StaticSource` serves objects
 * from memory as a `FleetSource` and lets a test change them.
 */
import { TOOL_TYPES } from "../../api/schema.ts";
import type { ClusterStatus, Integration, IntegrationTarget, Phase } from "../../api/types.ts";
import type { FleetSource } from "../../ui/fleet.ts";
import type { RawEvent, SourceInfo } from "../../ui/view_model.ts";

export function target(
  namespace: string,
  clusterName: string,
  o: { labels?: Record<string, string>; ready?: "True" | "False"; reason?: string; message?: string } = {},
): IntegrationTarget {
  return {
    apiVersion: "ksit.io/v1alpha1",
    kind: "IntegrationTarget",
    metadata: { name: clusterName, namespace, uid: `uid-t-${clusterName}` },
    spec: { clusterName, ...(o.labels ? { labels: o.labels } : {}) },
    status: {
      serverVersion: "v1.37.2",
      conditions: [{
        type: "Ready",
        status: o.ready ?? "True",
        reason: o.reason ?? "Connected",
        message: o.message ?? "",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      }],
    },
  };
}

export function integration(
  namespace: string,
  name: string,
  type: string,
  clusters: ClusterStatus[],
  phase?: Phase,
): Integration {
  const worst = phase ??
    (clusters.some((c) => c.phase === "Failed")
      ? "Failed"
      : clusters.some((c) => c.phase === "Unknown")
      ? "Unknown"
      : clusters.some((c) => c.phase === "Degraded")
      ? "Degraded"
      : "Running");
  const healthy = clusters.filter((c) => c.phase === "Running").length;
  return {
    apiVersion: "ksit.io/v1alpha1",
    kind: "Integration",
    metadata: { name, namespace, uid: `uid-i-${name}`, generation: 1 },
    spec: { type: type as Integration["spec"]["type"], targetClusters: clusters.map((c) => c.name) },
    status: {
      observedGeneration: 1,
      phase: worst,
      healthy: `${healthy}/${clusters.length}`,
      message: worst === "Running" ? `all ${clusters.length} clusters healthy` : "something is wrong",
      summary: { targets: clusters.length, healthy },
      conditions: [{
        type: "Ready",
        status: worst === "Running" ? "True" : "False",
        reason: worst === "Running" ? "AllHealthy" : worst,
        message: "",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      }],
      clusters,
    },
  };
}

/** n clusters `cluster-0001`…, 4 Integrations (one per tool); every 97th cluster Failed, every 13th Degraded. */
export function syntheticFleet(n: number, namespace = "ksit-system") {
  const names = Array.from({ length: n }, (_, i) => `cluster-${String(i + 1).padStart(4, "0")}`);
  const targets = names.map((c, i) =>
    target(namespace, c, { labels: { env: i % 3 === 0 ? "prod" : "dev", region: `r${i % 5}` } })
  );
  const integrations = TOOL_TYPES.map((type, t) =>
    integration(
      namespace,
      type,
      type,
      names.map((c, i): ClusterStatus => {
        if ((i + t) % 97 === 0) {
          return {
            name: c,
            phase: "Failed",
            reason: "ComponentUnhealthy",
            message: `${c}: ${type}-server: 0/2 available`,
            components: [{ name: `${type}-server`, kind: "Deployment", required: true, status: "Unhealthy" }],
          };
        }
        if ((i + t) % 13 === 0) {
          return { name: c, phase: "Degraded", reason: "OptionalUnhealthy", message: `${c}: optional 1/2` };
        }
        return { name: c, phase: "Running", reason: "Healthy", message: "4/4 required components healthy" };
      }),
    )
  );
  return { targets, integrations };
}

/** A FleetSource over objects in memory. */
export class StaticSource implements FleetSource {
  private readonly fns = new Set<() => void>();
  connected = true;
  problem: string | undefined;
  eventList: RawEvent[] = [];
  eventReads = 0;
  fullVerdicts = new Map<string, ClusterStatus[]>();

  constructor(
    public items: Integration[],
    public targetItems: IntegrationTarget[],
    readonly namespace = "ksit-system",
  ) {}

  info(): SourceInfo {
    return {
      kind: "dashboard",
      namespace: this.namespace,
      context: "test",
      connected: this.connected,
      synced: true,
      ...(this.problem ? { problem: this.problem } : {}),
    };
  }
  integrations() {
    return this.items;
  }
  targets() {
    return this.targetItems;
  }
  onChange(fn: () => void) {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  verdicts(id: string) {
    return this.fullVerdicts.get(id);
  }
  events(): Promise<RawEvent[]> {
    this.eventReads++;
    return Promise.resolve(this.eventList);
  }
  /** Replaces the objects and announces the change. */
  set(items: Integration[], targets = this.targetItems): void {
    this.items = items;
    this.targetItems = targets;
    for (const f of this.fns) f();
  }
  changed(): void {
    for (const f of this.fns) f();
  }
}
