/**
 * `kubectl ksit target import --from argocd|capi|clusterprofile`: the IntegrationTargets an inventory on the
 * control plane would give (kube/inventory.ts, the mapping `serve --inventory` uses), previewed, and written
 * with `--apply` — for those who want the targets once, not maintained. Imported targets carry
 * `ksit.io/imported-from: <source>` (so `serve`'s sync never touches them), name the inventory's own Secret (the
 * credentials stay where they are: `serve` needs `--credentials-from <source>=<namespace>` to read them), and
 * are never written over a target that exists and was not imported from the same inventory object.
 *
 * RBAC (control plane): list secrets (argocd), clusters.cluster.x-k8s.io (capi) or
 * clusterprofiles.multicluster.x-k8s.io (clusterprofile) in the source namespace(s); list integrationtargets;
 * with --apply, patch (server-side apply) integrationtargets. Imported targets are labelled
 * ksit.io/imported-from (api/labels.ts IMPORTED_FROM_LABEL).
 */
import { Option } from "@commander-js/extra-typings";
import { type InventorySource, SOURCE_OBJECT_ANNOTATION } from "../api/labels.ts";
import { INVENTORY_SOURCES } from "../api/schema.ts";
import type { IntegrationTarget } from "../api/types.ts";
import { errorCode } from "../kube/errors.ts";
import {
  ARGOCD_SECRET_TYPE_LABEL,
  argoCdEntries,
  CAPI_GROUP,
  capiEntries,
  claimNames,
  CLUSTER_PROFILE_GROUP,
  CLUSTER_PROFILE_VERSION,
  clusterProfileEntries,
  entryTarget,
  type InventoryEntry,
  type InventoryObject,
  sameManaged,
  targetOrigin,
} from "../kube/inventory.ts";
import { type CommandDefinition, globalsOf } from "./command.ts";
import {
  connect,
  DEFAULT_NAMESPACE,
  isMissingResourceType,
  listKsit,
  resourcePath,
} from "./control_plane.ts";
import { CliError, crdsNotInstalled, EXIT, toCliError } from "./errors.ts";
import type { GlobalOptions, Io } from "./io.ts";
import { type Cell, document, list, table } from "./render.ts";
import type { RestClient } from "./rest_client.ts";
import { credentialsText } from "./target_list.ts";

export interface TargetImportOptions {
  from: InventorySource;
  /** The namespace of the inventory's objects (default: argocd for argocd, every namespace otherwise). */
  fromNamespace?: string;
  apply?: boolean;
}

/** What import does with one entry. */
export interface Planned {
  entry: InventoryEntry;
  target: IntegrationTarget;
  action: "create" | "update" | "unchanged" | "skip";
  /** Why skipped. */
  why?: string;
}

/** The inventory's objects on the control plane. */
async function listSource(
  cp: RestClient,
  o: TargetImportOptions,
  namespace: string,
): Promise<InventoryEntry[]> {
  const ns = o.fromNamespace ?? (o.from === "argocd" ? "argocd" : undefined);
  const scope = ns ? `/namespaces/${encodeURIComponent(ns)}` : "";
  const get = async <T>(path: string, what: string, query?: Record<string, string>): Promise<T[]> => {
    try {
      return (await cp.get<{ items: T[] }>(path, query)).items ?? [];
    } catch (e) {
      if (isMissingResourceType(e)) {
        throw new CliError(
          "NotFound",
          `${what} are not served on context ${cp.contextName}: is it installed there?`,
          {
            cause: e,
          },
        );
      }
      throw toCliError(e, `${cp.what}: list ${what}`);
    }
  };
  if (o.from === "argocd") {
    const secrets = await get<InventoryObject & { data?: Record<string, string> }>(
      `/api/v1${scope}/secrets`,
      "Argo CD cluster Secrets",
      { labelSelector: `${ARGOCD_SECRET_TYPE_LABEL}=cluster` },
    );
    return argoCdEntries(secrets);
  }
  if (o.from === "capi") {
    const version = await capiVersion(cp);
    return capiEntries(await get(`/apis/${CAPI_GROUP}/${version}${scope}/clusters`, "Cluster API Clusters"));
  }
  return clusterProfileEntries(
    await get(
      `/apis/${CLUSTER_PROFILE_GROUP}/${CLUSTER_PROFILE_VERSION}${scope}/clusterprofiles`,
      "ClusterProfiles (multicluster.x-k8s.io)",
    ),
    namespace, // KEP-5339's consumer namespace: where the secret reader's Secrets are
  );
}

/** The preferred version of cluster.x-k8s.io (v1beta2 since Cluster API 1.11). */
async function capiVersion(cp: RestClient): Promise<string> {
  try {
    const g = await cp.get<{ preferredVersion?: { version?: string } }>(`/apis/${CAPI_GROUP}`);
    return g.preferredVersion?.version ?? "v1beta2";
  } catch (e) {
    if (errorCode(e) === 404) {
      throw new CliError(
        "NotFound",
        `Cluster API is not installed on context ${cp.contextName} (no ${CAPI_GROUP} API): point --context at ` +
          `its management cluster`,
        { cause: e },
      );
    }
    throw toCliError(e, cp.what);
  }
}

/** What import would do in `namespace`, given the targets there (pure). */
export function planImport(
  entries: readonly InventoryEntry[],
  existing: readonly IntegrationTarget[],
  namespace: string,
): Planned[] {
  const byName = new Map(existing.map((t) => [t.metadata.name ?? "", t]));
  const { winners, lost } = claimNames(entries);
  const out: Planned[] = [];
  for (const [name, entry] of winners) {
    const target = entryTarget(entry, namespace, "imported");
    const current = byName.get(name);
    if (!current) {
      out.push({ entry, target, action: "create" });
      continue;
    }
    const origin = targetOrigin(current);
    const sameObject = origin.kind === "imported" &&
      current.metadata.annotations?.[SOURCE_OBJECT_ANNOTATION] === entry.object;
    if (!sameObject) {
      const by = origin.kind === "synced"
        ? `maintained by serve from ${origin.source}`
        : origin.kind === "imported"
        ? `imported from ${current.metadata.annotations?.[SOURCE_OBJECT_ANNOTATION] ?? origin.source}`
        : "hand-written";
      out.push({ entry, target, action: "skip", why: `target ${name} exists (${by})` });
      continue;
    }
    out.push({ entry, target, action: sameManaged(current, target) ? "unchanged" : "update" });
  }
  for (const { entry, to } of lost) {
    out.push({
      entry,
      target: entryTarget(entry, namespace, "imported"),
      action: "skip",
      why: `${to.object} gives the same name`,
    });
  }
  return out.sort((a, b) => a.target.metadata.name!.localeCompare(b.target.metadata.name!));
}

function render(plan: Planned[], color: boolean): string {
  const rows = plan.map((p): Cell[] => [
    p.target.metadata.name ?? "",
    p.entry.object,
    credentialsText(p.target),
    Object.entries(p.entry.labels).map(([k, v]) => `${k}=${v}`).join(",") || "<none>",
    p.action === "skip" ? `skip: ${p.why}` : p.action,
  ]);
  return table(["NAME", "FROM", "CREDENTIALS", "LABELS", "ACTION"], rows, color);
}

/** The `--credentials-from` flag serve needs to read what the imported targets name. */
function serveHint(plan: Planned[], o: TargetImportOptions, namespace: string): string | undefined {
  const namespaces = new Set<string>();
  for (const p of plan) {
    if (p.action === "skip") continue;
    const ref = p.target.spec.kubeconfigSecretRef;
    if (ref?.namespace && ref.namespace !== namespace) namespaces.add(ref.namespace);
    const profile = p.target.spec.clusterProfileRef;
    if (profile?.namespace) namespaces.add(profile.namespace);
  }
  if (namespaces.size === 0) return undefined;
  const value = [...namespaces].sort().join(",");
  const chart = o.from === "clusterprofile" ? "clusterProfiles" : o.from;
  return `serve reads these credentials in place: run it with --credentials-from ${o.from}=${value} ` +
    `(chart: --set inventories.${chart}.enabled=true --set inventories.${chart}.sync=false ` +
    `--set 'inventories.${chart}.namespaces={${value}}')`;
}

export async function targetImport(g: GlobalOptions, o: TargetImportOptions, io: Io): Promise<number> {
  if (g.allNamespaces) throw new CliError("Usage", "target import writes into one namespace: use -n, not -A");
  const cp = await connect(g);
  const namespace = g.namespace ?? cp.context.namespace ?? DEFAULT_NAMESPACE;
  try {
    const entries = await listSource(cp, o, namespace);
    const { items } = await listKsit<IntegrationTarget>(cp, "integrationtargets", namespace);
    const plan = planImport(entries, items, namespace);
    const output = g.output ?? "table";
    if (plan.length === 0) {
      io.err(
        `No ${o.from} clusters found on context ${cp.contextName}${
          o.fromNamespace ? ` in namespace ${o.fromNamespace}` : ""
        }.\n`,
      );
      return EXIT.Ok;
    }
    if (o.apply) {
      for (const p of plan) {
        if (p.action !== "create" && p.action !== "update") continue;
        await applyTarget(cp, namespace, p.target);
        io.out(
          `integrationtarget.ksit.io/${p.target.metadata.name} ${
            p.action === "create" ? "created" : "configured"
          }\n`,
        );
      }
      for (const p of plan) if (p.action === "skip") io.err(`skipped ${p.entry.object}: ${p.why}\n`);
    } else if (output === "json" || output === "yaml") {
      io.out(document(list(plan.filter((p) => p.action !== "skip").map((p) => p.target)), output));
    } else {
      io.out(render(plan, io.color));
      io.err(
        `Preview only: nothing written to ${namespace} on context ${cp.contextName} (write with --apply).\n`,
      );
    }
    const hint = serveHint(plan, o, namespace);
    if (hint) io.err(`${hint}\n`);
    return EXIT.Ok;
  } finally {
    cp.close();
  }
}

async function applyTarget(cp: RestClient, namespace: string, t: IntegrationTarget): Promise<void> {
  try {
    await cp.apply(resourcePath("integrationtargets", namespace, t.metadata.name), t);
  } catch (e) {
    if (isMissingResourceType(e)) throw crdsNotInstalled(cp.contextName, { cause: e });
    throw toCliError(e, `${cp.what}: apply IntegrationTarget ${namespace}/${t.metadata.name}`);
  }
}

export const defineTargetImport: CommandDefinition = (parent, { io, run }) => {
  parent
    .command("import")
    .description(
      "preview (and with --apply write) the IntegrationTargets an inventory gives: Argo CD cluster Secrets, " +
        "Cluster API Clusters or ClusterProfiles on the control plane",
    )
    .addOption(
      new Option("--from <source>", "the inventory").choices(INVENTORY_SOURCES).makeOptionMandatory(),
    )
    .option(
      "--from-namespace <namespace>",
      "namespace of the inventory's objects (default: argocd for --from argocd, every namespace otherwise)",
    )
    .option("--apply", "write the targets (server-side apply); without it, only show them")
    .action((opts, cmd) => run(targetImport(globalsOf(cmd), opts, io)));
};
