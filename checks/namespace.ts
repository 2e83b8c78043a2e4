/** The namespace a tool is checked in. */
import type { ToolType } from "../api/types.ts";
import { TOOL_TABLES } from "./tools.ts";

/** `spec.config.namespace` when set, else the tool's default (argocd, flux-system, monitoring, istio-system). */
export function toolNamespace(type: ToolType, config?: { namespace?: string }): string {
  return config?.namespace || TOOL_TABLES[type].defaultNamespace;
}
