/**
 * Access to the control-plane cluster (the one with the KSIT CRDs): the client for the chosen context, the
 * namespace rules (`-n`, else the context's namespace, else `ksit-system` where the chart puts KSIT; `-A` for
 * all), and reads of KSIT objects that turn "the resource type does not exist" into the CRDs-not-installed
 * error.
 */
import { API_VERSION } from "../api/schema.ts";
import { ApiError, CliError, crdsNotInstalled, toCliError } from "./errors.ts";
import { errorCode } from "../kube/errors.ts";
import type { GlobalOptions } from "./io.ts";
import { RestClient } from "./rest_client.ts";
import { loadKubeconfig } from "./kubeconfig.ts";

export type KsitResource = "integrations" | "integrationtargets";

export interface ListResult<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

/** A client for `context` (default: `--context`, else the current context). */
export async function connect(g: GlobalOptions, context?: string): Promise<RestClient> {
  const kc = await loadKubeconfig({ kubeconfig: g.kubeconfig });
  return await RestClient.forContext(kc, context ?? g.context);
}

/** Where KSIT objects live unless `-n` or the context says otherwise (the Helm chart's namespace). */
export const DEFAULT_NAMESPACE = "ksit-system";

/**
 * The namespace for reads: `-n`, else the context's namespace, else `ksit-system` (rather than kubectl's
 * `default`: KSIT objects live with the controller); undefined with `-A`.
 */
export function namespaceOf(g: GlobalOptions, client: RestClient): string | undefined {
  if (g.allNamespaces) return undefined;
  return g.namespace ?? client.context.namespace ?? DEFAULT_NAMESPACE;
}

export function resourcePath(resource: KsitResource, namespace?: string, name?: string): string {
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const n = name ? `/${encodeURIComponent(name)}` : "";
  return `/apis/${API_VERSION}${ns}/${resource}${n}`;
}

/**
 * A 404 without `details.name` means the URL's resource type is unknown: the CRDs are missing.
 * (A missing named object answers 404 with `details.name` set.)
 */
export function isMissingResourceType(e: unknown): boolean {
  if (errorCode(e) !== 404) return false;
  return !(e instanceof ApiError && e.status?.details?.name);
}

/** Lists a KSIT resource in one namespace (or all). */
export async function listKsit<T>(
  client: RestClient,
  resource: KsitResource,
  namespace: string | undefined,
  query?: Record<string, string>,
): Promise<ListResult<T>> {
  try {
    return await client.get<ListResult<T>>(resourcePath(resource, namespace), query);
  } catch (e) {
    if (isMissingResourceType(e)) throw crdsNotInstalled(client.contextName, { cause: e });
    throw toCliError(e, client.what);
  }
}

/** Reads one KSIT object; NotFound names it and says where it looked. */
export async function getKsit<T>(
  client: RestClient,
  resource: KsitResource,
  namespace: string,
  name: string,
): Promise<T> {
  try {
    return await client.get<T>(resourcePath(resource, namespace, name));
  } catch (e) {
    if (errorCode(e) === 404) {
      if (isMissingResourceType(e)) throw crdsNotInstalled(client.contextName, { cause: e });
      const kind = resource === "integrations" ? "integration" : "integrationtarget";
      throw new CliError(
        "NotFound",
        `${kind} "${name}" not found in namespace ${namespace} on context ${client.contextName} ` +
          `(list them with: kubectl ksit ${resource === "integrations" ? "status" : "target list"} -A)`,
        { cause: e },
      );
    }
    throw toCliError(e, client.what);
  }
}
