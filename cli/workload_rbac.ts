/**
 * The workload-cluster RBAC of deploy/workload-rbac, embedded at build time (text imports work in
 * `deno run`, `deno bundle` and `deno compile`), so `target add --service-account` applies exactly the files a
 * user could `kubectl apply` by hand.
 */
import { parseAllDocuments } from "yaml";
import clusterRoleYaml from "../deploy/workload-rbac/clusterrole.yaml" with { type: "text" };
import bindingYaml from "../deploy/workload-rbac/clusterrolebinding.yaml" with { type: "text" };
import serviceAccountYaml from "../deploy/workload-rbac/serviceaccount.yaml" with { type: "text" };
import heartbeatYaml from "../deploy/workload-rbac/heartbeat-role.yaml" with { type: "text" };

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

function docs(text: string): Manifest[] {
  return parseAllDocuments(text).map((d) => d.toJSON() as Manifest).filter((m) => m && m.kind);
}

export const READER_NAMESPACE = "ksit-system";
export const READER_SERVICE_ACCOUNT = "ksit-reader";

/**
 * Namespace, ServiceAccount, ClusterRole and ClusterRoleBinding, and the heartbeat Role and RoleBinding
 * (Leases in kube-system), in apply order.
 */
export function workloadRbac(): Manifest[] {
  return [
    ...docs(serviceAccountYaml),
    ...docs(clusterRoleYaml),
    ...docs(bindingYaml),
    ...docs(heartbeatYaml),
  ];
}

/** The REST path of one manifest (for server-side apply). */
export function manifestPath(m: Manifest): string {
  const plural: Record<string, string> = {
    Namespace: "namespaces",
    ServiceAccount: "serviceaccounts",
    ClusterRole: "clusterroles",
    ClusterRoleBinding: "clusterrolebindings",
    Role: "roles",
    RoleBinding: "rolebindings",
    Secret: "secrets",
  };
  const resource = plural[m.kind];
  if (!resource) throw new Error(`no REST path known for kind ${m.kind}`);
  const base = m.apiVersion === "v1" ? "/api/v1" : `/apis/${m.apiVersion}`;
  const ns = m.metadata.namespace ? `/namespaces/${m.metadata.namespace}` : "";
  return `${base}${ns}/${resource}/${m.metadata.name}`;
}
