/** The namespaces a tool is checked in. */
import type { ToolType } from "../api/types.ts";
import { TOOL_TABLES } from "./tools.ts";

export interface ToolNamespaces {
  /** Namespaces to read, in order, without duplicates. */
  namespaces: string[];
  /**
   * Chosen by the user (spec.config.namespace/namespaces, `check --tool-namespace`): each must be readable,
   * and there is no discovery elsewhere. False: the tool table's defaults.
   */
  configured: boolean;
  /** Default namespaces read only where the RBAC allows (a 403 there means "nothing to see"). */
  optional: string[];
}

/**
 * `spec.config.namespace` and `spec.config.namespaces` (their union, in that order) when set, else the tool's
 * default namespaces (argocd, flux-system, monitoring, istio-system + istio-ingress); of the defaults, all but
 * the first are optional.
 */
export function toolNamespaces(
  type: ToolType,
  config?: { namespace?: string; namespaces?: readonly string[] },
): ToolNamespaces {
  const chosen = [
    ...new Set([config?.namespace, ...(config?.namespaces ?? [])].filter((n): n is string => !!n)),
  ];
  if (chosen.length) return { namespaces: chosen, configured: true, optional: [] };
  const defaults = [...TOOL_TABLES[type].defaultNamespaces];
  return { namespaces: defaults, configured: false, optional: defaults.slice(1) };
}
