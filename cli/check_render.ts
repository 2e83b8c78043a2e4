/**
 * Rendering of `kubectl ksit check`: one verdict per (context, tool) as a list or a matrix (rows tools,
 * columns contexts), and -o json|yaml (a `CheckReport`). Pure.
 */
import type { ClusterStatus, Phase, ToolType } from "../api/types.ts";
import {
  type Cell,
  document,
  maxLineWidthOf,
  type Output,
  type RenderOptions,
  statusCell,
  table,
} from "./render.ts";
import type { View } from "./status_render.ts";

export interface CheckResult {
  /** The kubeconfig context checked. */
  context: string;
  type: ToolType;
  /** The tool namespaces that were read, comma-separated. */
  namespace: string;
  /** judgeCluster / unknownCluster verdict; `name` is the context. */
  verdict: ClusterStatus;
}

export interface CheckRenderOptions extends RenderOptions {
  output: Output;
  view: View;
  /** The tools were named with --type: one that is not installed counts against the overall phase. */
  explicit?: boolean;
}

const RANK: Record<Phase, number> = {
  Running: 0,
  Disabled: 0,
  NotInstalled: 1,
  Degraded: 2,
  Pending: 3,
  Unknown: 4,
  Failed: 5,
};

/**
 * The worst phase over all results (`Running` for none). Tools that are not installed count only when they
 * were asked for (`explicit`); when nothing is installed at all, the phase is `NotInstalled`.
 */
export function overallPhase(results: readonly CheckResult[], explicit = false): Phase {
  const counted = explicit ? results : results.filter((r) => r.verdict.phase !== "NotInstalled");
  if (results.length > 0 && counted.length === 0) return "NotInstalled";
  let worst: Phase = "Running";
  for (const r of counted) if (RANK[r.verdict.phase] > RANK[worst]) worst = r.verdict.phase;
  return worst;
}

export function sortResults(results: readonly CheckResult[]): CheckResult[] {
  return [...results].sort((a, b) => a.context.localeCompare(b.context) || a.type.localeCompare(b.type));
}

function readyOf(c: ClusterStatus): string {
  const required = (c.components ?? []).filter((k) => k.required);
  if (required.length === 0) return "-";
  return `${required.filter((k) => k.status === "Healthy").length}/${required.length}`;
}

/** Components that need attention: anything not Healthy, except optional components that are not installed. */
function problems(c: ClusterStatus): string {
  const bad = (c.components ?? []).filter((k) =>
    k.status !== "Healthy" && !(k.status === "Missing" && !k.required)
  );
  return bad.map((k) => `${k.name}:${k.status}`).join(",") || "<none>";
}

export function renderCheckList(results: readonly CheckResult[], o: CheckRenderOptions): string {
  const wide = o.output === "wide";
  const headers = [
    "CONTEXT",
    "TYPE",
    "NAMESPACE",
    "PHASE",
    "READY",
    ...(wide ? ["REASON", "UNHEALTHY"] : []),
    "MESSAGE",
  ];
  const rows = sortResults(results).map((r): Cell[] => [
    r.context,
    r.type,
    r.namespace,
    statusCell(r.verdict.phase),
    readyOf(r.verdict),
    ...(wide ? [r.verdict.reason || "<none>", problems(r.verdict)] : []),
    r.verdict.message ?? "",
  ]);
  return table(headers, rows, o.color);
}

export function renderCheckMatrix(results: readonly CheckResult[], o: CheckRenderOptions): string {
  const contexts = [...new Set(results.map((r) => r.context))].sort();
  const types = [...new Set(results.map((r) => r.type))].sort();
  const rows = types.map((t): Cell[] => [
    t,
    ...contexts.map((c): Cell => {
      const r = results.find((x) => x.type === t && x.context === c);
      return r ? statusCell(r.verdict.phase) : "-";
    }),
  ]);
  return table(["TYPE", ...contexts], rows, o.color);
}

/** `auto` view for check: the matrix when there are several contexts and it fits the terminal. */
export function chooseCheckView(
  results: readonly CheckResult[],
  o: CheckRenderOptions & { columns?: number },
): View {
  if (o.columns === undefined) return "list";
  if (new Set(results.map((r) => r.context)).size < 2) return "list";
  return maxLineWidthOf(renderCheckMatrix(results, { ...o, color: false })) <= o.columns ? "matrix" : "list";
}

export function checkReport(results: readonly CheckResult[], explicit = false) {
  return {
    apiVersion: "ksit.io/v1alpha1",
    kind: "CheckReport",
    phase: overallPhase(results, explicit),
    items: sortResults(results).map((r) => {
      const { name: _name, ...verdict } = r.verdict;
      return { context: r.context, type: r.type, namespace: r.namespace, ...verdict };
    }),
  };
}

export function renderCheck(results: readonly CheckResult[], o: CheckRenderOptions): string {
  if (o.output === "json" || o.output === "yaml") return document(checkReport(results, o.explicit), o.output);
  if (o.output === "table" && o.view === "matrix") return renderCheckMatrix(results, o);
  return renderCheckList(results, o);
}
