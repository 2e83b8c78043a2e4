/** The components to judge for one Integration: the tool table with the per-integration overrides applied. */
import type { ComponentOverride, LabelSelector, ToolType, WorkloadKind } from "../api/types.ts";
import { type NameMatcher, TOOL_TABLES } from "./tools.ts";

export interface ComponentSpec {
  name: string;
  /** Accepted kinds; the first is reported when nothing matched. */
  kinds: readonly WorkloadKind[];
  required: boolean;
  /** Table rule: alternative matchLabels, tried first... */
  selectors: readonly Readonly<Record<string, string>>[];
  /** ...then names. */
  names: readonly NameMatcher[];
  /** An override's explicit rule, replacing selectors and names; when both fields are set, both must match. */
  explicit?: { selector?: LabelSelector; workloadName?: string };
}

/**
 * Table components in table order (minus `ignore`d ones), then the overrides that name no table component,
 * in their order. An override of a table component replaces its `kind`, `required` and matching rule (when
 * `selector` or `workloadName` is set) field by field. An extra component defaults to kind Deployment,
 * required true, and the workload named like the component when neither `selector` nor `workloadName` is set.
 */
export function resolveComponents(
  type: ToolType,
  overrides: readonly ComponentOverride[] = [],
): ComponentSpec[] {
  const table = TOOL_TABLES[type].components;
  const byName = new Map(overrides.map((o) => [o.name, o]));
  const out: ComponentSpec[] = [];
  for (const rule of table) {
    const o = byName.get(rule.name);
    if (!o) {
      out.push({ ...rule });
      continue;
    }
    if (o.ignore) continue;
    const spec: ComponentSpec = {
      ...rule,
      kinds: o.kind ? [o.kind] : rule.kinds,
      required: o.required ?? rule.required,
    };
    const explicit = explicitRule(o);
    if (explicit) spec.explicit = explicit;
    out.push(spec);
  }
  const known = new Set(table.map((c) => c.name));
  for (const o of overrides) {
    if (known.has(o.name) || o.ignore) continue;
    out.push({
      name: o.name,
      kinds: [o.kind ?? "Deployment"],
      required: o.required ?? true,
      selectors: [],
      names: [],
      explicit: explicitRule(o) ?? { workloadName: o.name },
    });
  }
  return out;
}

function explicitRule(o: ComponentOverride): ComponentSpec["explicit"] | undefined {
  if (!o.selector && !o.workloadName) return undefined;
  const rule: NonNullable<ComponentSpec["explicit"]> = {};
  if (o.selector) rule.selector = o.selector;
  if (o.workloadName) rule.workloadName = o.workloadName;
  return rule;
}
