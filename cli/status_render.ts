/**
 * Rendering of `kubectl ksit status`: the list (NAME TYPE PHASE HEALTHY AGE MESSAGE), the matrix (rows
 * Integrations, columns clusters, a cell per cluster verdict), and -o json|yaml. Pure.
 */
import type { Integration, Phase } from "../api/types.ts";
import {
  age,
  type Cell,
  document,
  list,
  maxLineWidthOf,
  type Output,
  type RenderOptions,
  sortByKey,
  statusCell,
  table,
} from "./render.ts";

export type View = "list" | "matrix";

export interface StatusRenderOptions extends RenderOptions {
  output: Output;
  /** Show the NAMESPACE column (`-A`). */
  allNamespaces: boolean;
  /** `list` or `matrix`; table output only. */
  view: View;
  /** Only this cluster's column in the matrix (`--cluster`). */
  cluster?: string;
}

/** The phase shown for an Integration: its status, or Pending before the controller judged it. */
export function phaseOf(i: Integration): Phase {
  return i.status?.phase ?? (i.spec.enabled === false ? "Disabled" : "Pending");
}

export function healthyOf(i: Integration): string {
  if (i.status?.healthy) return i.status.healthy;
  const s = i.status?.summary;
  return s && s.targets !== undefined ? `${s.healthy ?? 0}/${s.targets}` : "-";
}

/** Cluster names an Integration concerns: the ones in its status, else the ones named in its spec. */
export function clustersOf(i: Integration): string[] {
  const fromStatus = (i.status?.clusters ?? []).map((c) => c.name);
  return fromStatus.length ? fromStatus : [...(i.spec.targetClusters ?? [])];
}

function readyReason(i: Integration): string {
  return i.status?.conditions?.find((c) => c.type === "Ready")?.reason ?? "";
}

function sortKey(i: Integration): string {
  return `${i.metadata.namespace ?? ""}/${i.metadata.name ?? ""}`;
}

export function sortIntegrations(items: Integration[]): Integration[] {
  return sortByKey(items, sortKey);
}

export function renderStatusList(items: Integration[], o: StatusRenderOptions): string {
  const wide = o.output === "wide";
  const headers = [
    ...(o.allNamespaces ? ["NAMESPACE"] : []),
    "NAME",
    "TYPE",
    "PHASE",
    "HEALTHY",
    "AGE",
    ...(wide ? ["CLUSTERS", "REASON"] : []),
    "MESSAGE",
  ];
  const rows = sortIntegrations(items).map((i): Cell[] => [
    ...(o.allNamespaces ? [i.metadata.namespace ?? ""] : []),
    i.metadata.name ?? "",
    i.spec.type,
    statusCell(phaseOf(i)),
    healthyOf(i),
    age(i.metadata.creationTimestamp, o.now),
    ...(wide
      ? [
        (i.status?.clusters ?? []).map((c) => `${c.name}:${c.phase}`).join(",") || "<none>",
        readyReason(i) || "<none>",
      ]
      : []),
    i.status?.message ?? "",
  ]);
  return table(headers, rows, o.color);
}

/** Column names of the matrix: every cluster any Integration concerns, sorted. */
export function matrixClusters(items: Integration[], only?: string): string[] {
  const all = new Set<string>();
  for (const i of items) for (const c of clustersOf(i)) all.add(c);
  const names = [...all].sort();
  return only ? names.filter((n) => n === only) : names;
}

export function renderStatusMatrix(items: Integration[], o: StatusRenderOptions): string {
  const clusters = matrixClusters(items, o.cluster);
  const headers = [...(o.allNamespaces ? ["NAMESPACE"] : []), "NAME", "TYPE", "PHASE", ...clusters];
  const rows = sortIntegrations(items).map((i): Cell[] => {
    const byName = new Map((i.status?.clusters ?? []).map((c) => [c.name, c.phase]));
    const targeted = new Set(clustersOf(i));
    const disabled = phaseOf(i) === "Disabled";
    return [
      ...(o.allNamespaces ? [i.metadata.namespace ?? ""] : []),
      i.metadata.name ?? "",
      i.spec.type,
      statusCell(phaseOf(i)),
      ...clusters.map((c): Cell => {
        const p = byName.get(c);
        if (p) return statusCell(p);
        if (!targeted.has(c)) return "-";
        return statusCell(disabled ? "Disabled" : "Pending");
      }),
    ];
  });
  return table(headers, rows, o.color);
}

/**
 * `auto` view: the matrix when it says more than the list (two or more clusters) and fits the terminal;
 * the list otherwise (also whenever stdout is not a terminal, so scripts see a stable layout).
 */
export function chooseView(items: Integration[], o: StatusRenderOptions & { columns?: number }): View {
  if (o.columns === undefined) return "list";
  if (matrixClusters(items, o.cluster).length < 2) return "list";
  return maxLineWidthOf(renderStatusMatrix(items, { ...o, color: false })) <= o.columns ? "matrix" : "list";
}

export function renderStatus(items: Integration[], o: StatusRenderOptions): string {
  if (o.output === "json" || o.output === "yaml") return document(list(sortIntegrations(items)), o.output);
  if (items.length === 0) return "";
  if (o.output === "table" && o.view === "matrix") return renderStatusMatrix(items, o);
  return renderStatusList(items, o);
}

/** What `kubectl get` says when nothing matched. */
export function noResources(namespace: string | undefined): string {
  return namespace ? `No integrations found in ${namespace} namespace.` : "No integrations found.";
}
