/**
 * Rendering of `kubectl ksit describe <integration>`: the spec in brief, the verdict per cluster and per
 * component, the conditions and the recent Events. Pure.
 */
import type { ClusterStatus, Integration, IntegrationTarget } from "../api/types.ts";
import { toolNamespaces } from "../checks/namespace.ts";
import {
  age,
  type Cell,
  cleanObject,
  document,
  type Output,
  paint,
  type RenderOptions,
  statusCell,
  statusColor,
  table,
} from "./render.ts";
import { healthyOf, phaseOf } from "./status_render.ts";

/** The fields of a core/v1 Event that describe shows. */
export interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string } | null;
  source?: { component?: string; host?: string } | null;
  reportingComponent?: string;
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string };
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
}

export interface DescribeRenderOptions extends RenderOptions {
  output: Output;
  /** How many of the most recent events to show (table output). */
  maxEvents?: number;
}

/** When an event last happened (kubectl's rule: series, lastTimestamp, eventTime, creation). */
export function eventTime(e: KubeEvent): string | undefined {
  return e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ??
    e.metadata?.creationTimestamp ?? undefined;
}

export function sortEvents(events: KubeEvent[]): KubeEvent[] {
  return [...events].sort((a, b) =>
    (Date.parse(eventTime(a) ?? "") || 0) - (Date.parse(eventTime(b) ?? "") || 0)
  );
}

function selectorText(i: Integration): string {
  const s = i.spec.targetSelector;
  if (!s) return "";
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator === "In" ? "in" : "notin"} (${(e.values ?? []).join(",")})`);
  }
  return parts.join(",") || "<everything>";
}

function field(label: string, value: string): string {
  return `${(label + ":").padEnd(18)}${value}\n`;
}

/**
 * What describe shows of the IntegrationTarget behind a cluster: can KSIT reach it, and which serve replica
 * judges it (`status.judgedBy`).
 */
export function targetLine(t: IntegrationTarget | undefined, cluster: string): string {
  if (!t) return "";
  const ready = t.status?.conditions?.find((c) => c.type === "Ready");
  const parts = [
    ...(t.metadata.name && t.metadata.name !== cluster ? [`IntegrationTarget ${t.metadata.name}`] : []),
    `Ready=${ready?.status ?? "Unknown"}${ready?.reason ? ` (${ready.reason})` : ""}`,
    ...(t.status?.serverVersion ? [t.status.serverVersion] : []),
  ];
  const msg = ready && ready.status !== "True" && ready.message ? `: ${ready.message}` : "";
  const judged = t.status?.judgedBy ? `    judged by: ${t.status.judgedBy}\n` : "";
  return `    target: ${parts.join(", ")}${msg}\n${judged}`;
}

/** Targets by the names Integrations use for them (spec.clusterName and metadata.name). */
export function targetsByCluster(targets: readonly IntegrationTarget[]): Map<string, IntegrationTarget> {
  const m = new Map<string, IntegrationTarget>();
  for (const t of targets) if (t.metadata.name) m.set(t.metadata.name, t);
  for (const t of targets) m.set(t.spec.clusterName, t);
  return m;
}

function clusterSection(c: ClusterStatus, o: DescribeRenderOptions, target?: IntegrationTarget): string {
  const wide = o.output === "wide";
  const head = `  ${c.name}   ${paint(c.phase, statusColor(c.phase), o.color)}` +
    (c.reason ? `   ${c.reason}` : "") + "\n";
  let out = head;
  out += targetLine(target, c.name);
  if (c.message) out += `    ${c.message}\n`;
  const comps = c.components ?? [];
  if (comps.length) {
    const headers = [
      "COMPONENT",
      "KIND",
      ...(wide ? ["WORKLOAD"] : []),
      "REQUIRED",
      "STATUS",
      "READY",
      "REASON",
      "MESSAGE",
    ];
    const rows = comps.map((k): Cell[] => [
      k.name,
      k.kind ?? "",
      ...(wide ? [k.workload || "<none>"] : []),
      k.required ? "yes" : "no",
      statusCell(k.status),
      k.ready ?? "-",
      k.reason ?? "",
      k.message ?? "",
    ]);
    out += table(headers, rows, o.color, "    ");
  }
  return out;
}

/** `kubectl ksit describe`: the Integration's fields, then its clusters, conditions and events (kubectl's layout). */
export function renderDescribe(
  i: Integration,
  events: KubeEvent[],
  o: DescribeRenderOptions,
  targets: readonly IntegrationTarget[] = [],
): string {
  if (o.output === "json" || o.output === "yaml") {
    const doc = {
      apiVersion: "ksit.io/v1alpha1",
      kind: "IntegrationDescription",
      integration: cleanObject(i),
      events: sortEvents(events).map(cleanObject),
    };
    return document(doc, o.output);
  }
  const byCluster = targetsByCluster(targets);
  let out = specSection(i) + statusSection(i, o);
  out += "\nClusters:\n";
  const clusters = i.status?.clusters ?? [];
  if (clusters.length === 0) out += "  <none>\n";
  for (const c of clusters) out += clusterSection(c, o, byCluster.get(c.name));
  return out + conditionsSection(i, o) + eventsSection(events, o);
}

/** Name, namespace, type, where the tool is looked for, targets and overrides. */
function specSection(i: Integration): string {
  const cfg = i.spec.config ?? {};
  let out = "";
  out += field("Name", i.metadata.name ?? "");
  out += field("Namespace", i.metadata.namespace ?? "");
  out += field("Type", i.spec.type);
  out += field("Enabled", String(i.spec.enabled !== false));
  const ns = toolNamespaces(i.spec.type, cfg);
  out += field(
    ns.namespaces.length > 1 ? "Tool namespaces" : "Tool namespace",
    ns.namespaces.join(", ") + (ns.configured ? "" : " (default; elsewhere found by labels)"),
  );
  out += field("Check interval", cfg.healthCheckInterval ?? "30s");
  if (i.spec.targetClusters?.length) out += field("Target clusters", i.spec.targetClusters.join(", "));
  if (i.spec.targetSelector) out += field("Target selector", selectorText(i));
  if (cfg.components?.length) {
    const parts = cfg.components.map((c) =>
      `${c.name}${
        c.ignore ? " (ignored)" : c.required === undefined ? "" : c.required ? " (required)" : " (optional)"
      }`
    );
    out += field("Overrides", parts.join(", "));
  }
  return out;
}

/** Phase, healthy, summary, message, generation and age. */
function statusSection(i: Integration, o: DescribeRenderOptions): string {
  const s = i.status;
  const phase = phaseOf(i);
  let out = `${"Phase:".padEnd(18)}${paint(phase, statusColor(phase), o.color)}\n`;
  out += field("Healthy", healthyOf(i));
  if (s?.summary) {
    const m = s.summary;
    out += field(
      "Summary",
      `${m.targets ?? 0} targets: ${m.healthy ?? 0} healthy, ${m.degraded ?? 0} degraded, ${
        m.failed ?? 0
      } failed, ` +
        `${m.unknown ?? 0} unknown`,
    );
  }
  if (s?.message) out += field("Message", s.message);
  const gen = i.metadata.generation;
  if (gen !== undefined) {
    const observed = s?.observedGeneration;
    const stale = observed !== undefined && observed < gen
      ? " (status is stale: the controller has not caught up)"
      : "";
    out += field("Generation", `${gen}, observed ${observed ?? "<none>"}${stale}`);
  }
  out += field("Age", age(i.metadata.creationTimestamp, o.now));
  return out;
}

function conditionsSection(i: Integration, o: DescribeRenderOptions): string {
  let out = "\nConditions:\n";
  const conds = i.status?.conditions ?? [];
  if (conds.length === 0) return out + "  <none>\n";
  out += table(
    ["TYPE", "STATUS", "REASON", "AGE", "MESSAGE"],
    conds.map((c): Cell[] => [
      c.type,
      { text: c.status, color: conditionColor(c.type, c.status) },
      c.reason,
      age(c.lastTransitionTime, o.now),
      c.message,
    ]),
    o.color,
    "  ",
  );
  return out;
}

/** The newest `maxEvents` events, oldest first, counted series shown as "(xN)". */
function eventsSection(events: KubeEvent[], o: DescribeRenderOptions): string {
  let out = "\nEvents:";
  const sorted = sortEvents(events);
  const shown = o.maxEvents !== undefined ? sorted.slice(-o.maxEvents) : sorted;
  if (shown.length === 0) return out + " <none>\n";
  out += "\n";
  out += table(
    ["TYPE", "REASON", "AGE", "FROM", "MESSAGE"],
    shown.map((e): Cell[] => {
      const count = e.series?.count ?? e.count ?? 1;
      const when = age(eventTime(e), o.now);
      return [
        statusCell(e.type, "Normal"),
        e.reason ?? "",
        count > 1 ? `${when} (x${count})` : when,
        e.source?.component || e.reportingComponent || "",
        (e.message ?? "").trim(),
      ];
    }),
    o.color,
    "  ",
  );
  return out;
}

/** Ready=True is good; Degraded/Stalled/Reconciling=True are not. */
function conditionColor(type: string, status: string) {
  if (status === "Unknown") return "magenta" as const;
  const good = type === "Ready" ? status === "True" : status === "False";
  return good ? "green" as const : (type === "Reconciling" ? "yellow" as const : "red" as const);
}
