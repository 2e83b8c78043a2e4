/**
 * The dashboard's view model: Integrations + IntegrationTargets (+ the controller's full verdicts, the phase
 * timeline and recent Events, where the source has them) → the JSON the page renders. Pure: no I/O, no clock.
 *
 * The matrix is clusters (rows) × Integrations (columns): a fleet has far more clusters than Integrations, so
 * rows are what the page virtualizes. Only fields picked here reach the page: never a Secret, a kubeconfig,
 * an annotation (`last-applied-configuration` may hold anything) or a managed field.
 */
import type {
  ClusterStatus,
  ComponentStatus,
  Condition,
  Integration,
  IntegrationTarget,
  Phase,
} from "../api/types.ts";
import { INTEGRATION_PHASES, TOOL_TYPES } from "../api/schema.ts";

/**
 * How bad a phase is, for "worst first" (higher is worse). A tool that is not installed or disabled is not a
 * problem; Pending is not judged yet.
 */
export const PHASE_SEVERITY: Record<Phase, number> = {
  Failed: 6,
  Unknown: 5,
  Degraded: 4,
  Pending: 3,
  NotInstalled: 2,
  Running: 1,
  Disabled: 0,
};

export function severity(phase: string | undefined): number {
  return PHASE_SEVERITY[phase as Phase] ?? PHASE_SEVERITY.Unknown;
}

/** One cell of the matrix: an Integration's verdict on one cluster. */
export interface ViewCell {
  phase: Phase;
  reason?: string;
  message?: string;
}

export interface ViewIntegration {
  /** `namespace/name`. */
  id: string;
  namespace: string;
  name: string;
  type: string;
  phase: Phase;
  healthy: string;
  message: string;
}

export interface ViewCluster {
  /** `namespace/clusterName`: cluster names are unique per namespace of KSIT objects. */
  id: string;
  namespace: string;
  name: string;
  /** The IntegrationTarget's labels (spec.labels merged with metadata.labels, metadata wins). */
  labels: Record<string, string>;
  /** Ready condition of the IntegrationTarget: "True", "False", "Unknown", or "" when there is no target. */
  ready: string;
  reason: string;
  message: string;
  version: string;
  /** Worst phase over its cells (Unknown when the target is not Ready). */
  worst: Phase;
  /** One per `integrations` entry (same order); null where the Integration does not target this cluster. */
  cells: (ViewCell | null)[];
}

export interface FleetView {
  /** Increases with every new view of one source. */
  version: number;
  generatedAt: string;
  source: SourceInfo;
  totals: {
    integrations: number;
    clusters: number;
    /** Integrations by phase. */
    integrationPhases: Partial<Record<Phase, number>>;
    /** Cells (Integration × cluster verdicts) by phase. */
    cellPhases: Partial<Record<Phase, number>>;
    /** Targets whose Ready condition is not True. */
    unreachable: number;
  };
  integrations: ViewIntegration[];
  clusters: ViewCluster[];
  /** Values for the page's filters. */
  filters: { types: string[]; phases: Phase[]; labels: Record<string, string[]> };
}

export interface SourceInfo {
  /** `serve` (in-cluster controller) or `dashboard` (kubectl ksit dashboard). */
  kind: "serve" | "dashboard";
  /** The watched namespace, or "*" for all. */
  namespace: string;
  /** kubectl context (dashboard only). */
  context?: string;
  /** The watches are established (the data is current). */
  connected: boolean;
  /** Why not, in a person's words. */
  problem?: string;
  /** The caches have listed once. */
  synced: boolean;
}

/** The phase an Integration shows: its status, or Pending/Disabled before the controller judged it. */
export function phaseOf(i: Integration): Phase {
  return i.status?.phase ?? (i.spec.enabled === false ? "Disabled" : "Pending");
}

export function healthyOf(i: Integration): string {
  if (i.status?.healthy) return i.status.healthy;
  const s = i.status?.summary;
  return s && s.targets !== undefined ? `${s.healthy ?? 0}/${s.targets}` : "-";
}

export function integrationId(i: { metadata: { namespace?: string; name?: string } }): string {
  return `${i.metadata.namespace ?? ""}/${i.metadata.name ?? ""}`;
}

export function targetLabels(t: IntegrationTarget): Record<string, string> {
  return { ...(t.spec.labels ?? {}), ...(t.metadata.labels ?? {}) };
}

function readyOf(t: IntegrationTarget): Condition | undefined {
  return t.status?.conditions?.find((c) => c.type === "Ready");
}

/** Strings from objects are bounded here too, so one huge message cannot bloat every view pushed. */
const MAX_TEXT = 1024;
function text(s: unknown): string {
  if (typeof s !== "string") return "";
  return s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) + "…" : s;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cellOf(c: ClusterStatus): ViewCell {
  return {
    phase: (INTEGRATION_PHASES as readonly string[]).includes(c.phase) ? c.phase : "Unknown",
    ...(c.reason ? { reason: text(c.reason) } : {}),
    ...(c.message ? { message: text(c.message) } : {}),
  };
}

export interface BuildInput {
  integrations: readonly Integration[];
  targets: readonly IntegrationTarget[];
  source: SourceInfo;
  version: number;
  /** ISO time of this view. */
  now: string;
}

/** The view of the fleet: every target is a row, every Integration a column, sorted by name (the page sorts). */
export function buildView(input: BuildInput): FleetView {
  const integrations = [...input.integrations].sort((a, b) => byName(integrationId(a), integrationId(b)));
  const rows = new Map<string, ViewCluster>();
  const row = (namespace: string, name: string): ViewCluster => {
    const id = `${namespace}/${name}`;
    let r = rows.get(id);
    if (!r) {
      r = {
        id,
        namespace,
        name,
        labels: {},
        ready: "",
        reason: "",
        message: "",
        version: "",
        worst: "Running",
        cells: [],
      };
      rows.set(id, r);
    }
    return r;
  };
  for (const t of input.targets) {
    const ns = t.metadata.namespace ?? "";
    const r = row(ns, t.spec?.clusterName || t.metadata.name || "");
    const ready = readyOf(t);
    r.labels = Object.fromEntries(Object.entries(targetLabels(t)).map(([k, v]) => [text(k), text(v)]));
    r.ready = ready?.status ?? "Unknown";
    r.reason = text(ready?.reason);
    r.message = text(ready?.message);
    r.version = text(t.status?.serverVersion);
  }
  // a cluster referred to by object name in targetClusters is shown under its clusterName
  const alias = new Map<string, string>();
  for (const t of input.targets) {
    if (t.metadata.name && t.spec?.clusterName) {
      alias.set(`${t.metadata.namespace ?? ""}/${t.metadata.name}`, t.spec.clusterName);
    }
  }
  const viewIntegrations: ViewIntegration[] = [];
  const cellsByIntegration: Map<string, ViewCell>[] = [];
  for (const i of integrations) {
    const ns = i.metadata.namespace ?? "";
    const phase = phaseOf(i);
    viewIntegrations.push({
      id: integrationId(i),
      namespace: ns,
      name: i.metadata.name ?? "",
      type: i.spec.type,
      phase,
      healthy: healthyOf(i),
      message: text(i.status?.message),
    });
    const cells = new Map<string, ViewCell>();
    for (const c of i.status?.clusters ?? []) {
      cells.set(`${ns}/${c.name}`, cellOf(c));
      row(ns, c.name);
    }
    // targeted but not (yet) in status: Pending (or Disabled)
    for (const ref of i.spec.targetClusters ?? []) {
      const name = alias.get(`${ns}/${ref}`) ?? ref;
      const id = `${ns}/${name}`;
      if (cells.has(id)) continue;
      row(ns, name);
      if (!i.status?.clusters?.length || phase === "Disabled" || phase === "Pending") {
        cells.set(id, { phase: phase === "Disabled" ? "Disabled" : "Pending" });
      }
    }
    cellsByIntegration.push(cells);
  }
  const clusters = [...rows.values()].sort((a, b) => byName(a.id, b.id));
  const cellPhases: Partial<Record<Phase, number>> = {};
  for (const r of clusters) {
    let worst = r.ready === "False" ? PHASE_SEVERITY.Unknown : -1;
    let worstPhase: Phase = r.ready === "False" ? "Unknown" : "Running";
    r.cells = cellsByIntegration.map((cells) => {
      const cell = cells.get(r.id) ?? null;
      if (cell) {
        cellPhases[cell.phase] = (cellPhases[cell.phase] ?? 0) + 1;
        if (severity(cell.phase) > worst) {
          worst = severity(cell.phase);
          worstPhase = cell.phase;
        }
      }
      return cell;
    });
    r.worst = worstPhase;
  }
  const integrationPhases: Partial<Record<Phase, number>> = {};
  for (const i of viewIntegrations) integrationPhases[i.phase] = (integrationPhases[i.phase] ?? 0) + 1;
  const labels: Record<string, Set<string>> = {};
  for (const r of clusters) {
    for (const [k, v] of Object.entries(r.labels)) (labels[k] ??= new Set()).add(v);
  }
  return {
    version: input.version,
    generatedAt: input.now,
    source: input.source,
    totals: {
      integrations: viewIntegrations.length,
      clusters: clusters.length,
      integrationPhases,
      cellPhases,
      unreachable: clusters.filter((r) => r.ready === "False" || r.ready === "Unknown").length,
    },
    integrations: viewIntegrations,
    clusters,
    filters: {
      types: [...new Set([...TOOL_TYPES, ...viewIntegrations.map((i) => i.type)])],
      phases: [...INTEGRATION_PHASES],
      labels: Object.fromEntries(
        Object.entries(labels).sort(([a], [b]) => byName(a, b)).map(([k, v]) => [k, [...v].sort(byName)]),
      ),
    },
  };
}

// ------------------------------------------------------------------------------------------ drill-downs

export interface ViewComponent {
  name: string;
  kind: string;
  required: boolean;
  status: string;
  ready: string;
  reason: string;
  message: string;
}

export interface ClusterDetail {
  cluster: Omit<ViewCluster, "cells" | "worst">;
  tools: {
    integration: string;
    type: string;
    phase: Phase;
    reason: string;
    message: string;
    /** True when the components come from the controller's full verdict (serve); false: from the status. */
    complete: boolean;
    components: ViewComponent[];
  }[];
}

function componentOf(c: ComponentStatus): ViewComponent {
  return {
    name: text(c.name),
    kind: text(c.kind),
    required: c.required !== false,
    status: text(c.status),
    ready: text(c.ready),
    reason: text(c.reason),
    message: text(c.message),
  };
}

/**
 * One cluster: every Integration's verdict on it with its components (from `verdicts`, the controller's full
 * verdicts, when given: the status lists components only where something is wrong).
 */
export function clusterDetail(
  view: FleetView,
  integrations: readonly Integration[],
  clusterId: string,
  verdicts?: (integrationId: string) => readonly ClusterStatus[] | undefined,
): ClusterDetail | undefined {
  const r = view.clusters.find((c) => c.id === clusterId);
  if (!r) return undefined;
  const { cells: _cells, worst: _worst, ...cluster } = r;
  const tools: ClusterDetail["tools"] = [];
  for (const i of integrations) {
    const id = integrationId(i);
    if ((i.metadata.namespace ?? "") !== r.namespace) continue;
    const full = verdicts?.(id)?.find((c) => c.name === r.name);
    const status = i.status?.clusters?.find((c) => c.name === r.name);
    const idx = view.integrations.findIndex((v) => v.id === id);
    const cell = idx >= 0 ? r.cells[idx] : null;
    if (!full && !status && !cell) continue;
    const source = full ?? status;
    tools.push({
      integration: id,
      type: i.spec.type,
      phase: cell?.phase ?? (source?.phase as Phase | undefined) ?? "Pending",
      reason: text(source?.reason ?? cell?.reason),
      message: text(source?.message ?? cell?.message),
      complete: !!full,
      components: (source?.components ?? []).map(componentOf),
    });
  }
  tools.sort((a, b) => severity(b.phase) - severity(a.phase) || byName(a.integration, b.integration));
  return { cluster, tools };
}

/** A phase transition seen by this process. */
export interface Transition {
  /** ISO time. */
  at: string;
  /** Undefined: the first phase seen (process start or a new Integration). */
  from?: Phase;
  to: Phase;
  message: string;
}

/** The fields of a core/v1 Event the page shows. */
export interface ViewEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
  /** ISO time of the last occurrence. */
  last: string;
}

export interface IntegrationDetail {
  integration: ViewIntegration & {
    enabled: boolean;
    summary: Record<string, number>;
    clustersOmitted: number;
    observedGeneration: number | null;
    generation: number | null;
  };
  conditions: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[];
  clusters: { name: string; phase: Phase; reason: string; message: string }[];
  timeline: Transition[];
  events: ViewEvent[];
  /** Why the Events could not be read, if they could not. */
  eventsProblem?: string;
}

/** One Integration: conditions, per-cluster verdicts, the phase timeline and the recent Events. */
export function integrationDetail(
  i: Integration,
  timeline: readonly Transition[],
  events: readonly ViewEvent[],
  eventsProblem?: string,
): IntegrationDetail {
  const s = i.status;
  const summary: Record<string, number> = {};
  for (const [k, v] of Object.entries(s?.summary ?? {})) if (typeof v === "number") summary[k] = v;
  return {
    integration: {
      id: integrationId(i),
      namespace: i.metadata.namespace ?? "",
      name: i.metadata.name ?? "",
      type: i.spec.type,
      phase: phaseOf(i),
      healthy: healthyOf(i),
      message: text(s?.message),
      enabled: i.spec.enabled !== false,
      summary,
      clustersOmitted: s?.clustersOmitted ?? 0,
      observedGeneration: s?.observedGeneration ?? null,
      generation: i.metadata.generation ?? null,
    },
    conditions: (s?.conditions ?? []).map((c) => ({
      type: text(c.type),
      status: text(c.status),
      reason: text(c.reason),
      message: text(c.message),
      lastTransitionTime: text(c.lastTransitionTime),
    })),
    clusters: (s?.clusters ?? []).map((c) => ({ ...cellOf(c), name: text(c.name) }))
      .map((c) => ({ name: c.name, phase: c.phase, reason: c.reason ?? "", message: c.message ?? "" }))
      .sort((a, b) => severity(b.phase) - severity(a.phase) || byName(a.name, b.name)),
    timeline: [...timeline],
    events: [...events],
    ...(eventsProblem ? { eventsProblem } : {}),
  };
}

/** The fields of a core/v1 Event the sources read. */
export interface RawEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | Date | null;
  lastTimestamp?: string | Date | null;
  eventTime?: string | Date | null;
  series?: { count?: number; lastObservedTime?: string | Date } | null;
  metadata?: { creationTimestamp?: string | Date };
}

function iso(t: string | Date | null | undefined): string {
  if (!t) return "";
  return t instanceof Date ? t.toISOString() : String(t);
}

/** The `max` most recent Events, newest first, in the page's shape. */
export function recentEvents(events: readonly RawEvent[], max = 20): ViewEvent[] {
  return events.map((e) => ({
    type: text(e.type),
    reason: text(e.reason),
    message: text(e.message),
    count: e.series?.count ?? e.count ?? 1,
    last: iso(
      e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ??
        e.metadata?.creationTimestamp,
    ),
  })).sort((a, b) => (Date.parse(b.last) || 0) - (Date.parse(a.last) || 0)).slice(0, max);
}
