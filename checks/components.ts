/** The components to judge for one Integration: the tool table with the per-integration overrides applied. */
import type { ComponentOverride, LabelSelector, ToolType, WorkloadKind } from "../api/types.ts";
import { type NameMatcher, TOOL_TABLES } from "./tools.ts";

export interface ComponentSpec {
  name: string;
  /** Accepted kinds; the first is reported when nothing matched. */
  kinds: readonly WorkloadKind[];
  required: boolean;
  /** Required only when the component of this name was found (see ComponentRule). */
  requiredIfFound?: string;
  /** Finding it means the tool is installed (table default true). */
  identifies: boolean;
  /** Not listed as "optional not installed" when missing (see ComponentRule). */
  quietIfMissing?: boolean;
  /** Alternatives of one kind (see ComponentRule). */
  group?: string;
  /** Table rule: alternative label selectors, tried first... */
  selectors: readonly LabelSelector[];
  /** ...then names and these broader selectors. */
  names: readonly NameMatcher[];
  fallbackSelectors?: readonly LabelSelector[];
  /** An override's explicit rule, replacing selectors and names; when both fields are set, both must match. */
  explicit?: { selector?: LabelSelector; workloadName?: string };
}

/**
 * Table components in table order (minus `ignore`d ones), then the overrides that name no table component,
 * in their order. An override of a table component replaces its `kind`, `required` (an explicit `required`
 * also drops the table's "required only if found") and matching rule (when `selector` or `workloadName` is
 * set) field by field. An extra component defaults to kind Deployment, required true, and the workload named
 * like the component when neither `selector` nor `workloadName` is set; it identifies the tool.
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
    const spec: ComponentSpec = { ...rule, identifies: rule.identifies ?? true };
    if (!o) {
      out.push(spec);
      continue;
    }
    if (o.ignore) continue;
    if (o.kind) spec.kinds = [o.kind];
    if (o.required !== undefined) {
      spec.required = o.required;
      delete spec.requiredIfFound;
    }
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
      identifies: true,
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
