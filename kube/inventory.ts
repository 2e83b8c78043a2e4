/**
 * Fleet inventories as IntegrationTargets: what a Cluster API Cluster, an Argo CD cluster Secret or a
 * ClusterProfile asks for — the target's name, its labels (the inventory's own, so an Integration's
 * `targetSelector` works unchanged) and where its credentials are, read in place. Pure: `serve`'s inventory sync
 * (controller/inventory_sync.ts) and `kubectl ksit target import` (cli/target_import.ts) both use it.
 *
 * - **Cluster API** (cluster.x-k8s.io): one target per Cluster, named as the Cluster; credentials: the Secret
 *   `<cluster>-kubeconfig` Cluster API writes beside it (type `cluster.x-k8s.io/secret`, key `value`, label
 *   `cluster.x-k8s.io/cluster-name`); labels: the Cluster's.
 * - **Argo CD**: one target per Secret labelled `argocd.argoproj.io/secret-type: cluster`, named after its
 *   `name` field (made a DNS name; the Secret's name if that fails); credentials: the Secret itself (format
 *   `argocd`); labels: the Secret's, as Argo CD's cluster generator selects them.
 * - **ClusterProfile** (multicluster.x-k8s.io, KEP-4322): one target per profile, named as the profile;
 *   labels: the profile's; the server from its access provider (status.accessProviders, or the deprecated
 *   credentialProviders), the credential from a Secret, as KEP-5339's two Secret-reading plugins define it but
 *   read in process (no plugin is run): `kubeconfig-secretreader` (the extension's `name`, `key`, `namespace`,
 *   `context`), `secretreader` (Secret `<clusterName>` of the consumer's namespace, key `token`); for any other
 *   provider the same convention with the profile's name.
 */
import { API_VERSION } from "../api/schema.ts";
import {
  IMPORTED_FROM_LABEL,
  INVENTORY_MANAGER,
  type InventorySource,
  SOURCE_LABEL,
  SOURCE_OBJECT_ANNOTATION,
} from "../api/labels.ts";
import type { IntegrationTarget, IntegrationTargetSpec } from "../api/types.ts";
import { decodeBase64Text } from "../util/base64.ts";
import { canonicalJson } from "../util/canonical_json.ts";

/** What the mapping reads of any inventory object. */
export interface InventoryObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
}

export interface SecretLike extends InventoryObject {
  type?: string;
  data?: Record<string, string>;
}

/** One entry of status.accessProviders (clientcmd v1 Cluster fields in `cluster`). */
export interface AccessProvider {
  name: string;
  cluster?: Record<string, unknown>;
}

export interface ClusterProfileLike extends InventoryObject {
  status?: { accessProviders?: AccessProvider[]; credentialProviders?: AccessProvider[] };
}

/** The Argo CD label of cluster Secrets (and its value). */
export const ARGOCD_SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type";
/** The Cluster API label on a cluster's Secrets. */
export const CAPI_CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name";
/** The ClusterProfile label naming the cluster manager (informational). */
export const CAPI_GROUP = "cluster.x-k8s.io";
export const CLUSTER_PROFILE_GROUP = "multicluster.x-k8s.io";
export const CLUSTER_PROFILE_VERSION = "v1alpha1";
/** The extension of an access provider's cluster that carries a credential plugin's config (KEP-5339). */
export const EXEC_EXTENSION = "client.authentication.k8s.io/exec";
/** The KEP-5339 plugins KSIT reads in process. */
export const SECRET_READER = "secretreader";
export const KUBECONFIG_SECRET_READER = "kubeconfig-secretreader";

/** Sources in the order they claim names (the first claim of a name wins). */
const SOURCE_ORDER: Record<InventorySource, number> = { capi: 0, argocd: 1, clusterprofile: 2 };

/** What one inventory entry asks for. */
export interface InventoryEntry {
  source: InventorySource;
  /** `Cluster fleet/prod-1`, `Secret argocd/cluster-prod`, `ClusterProfile fleet/prod-1`. */
  object: string;
  /** The target's name (and spec.clusterName). */
  name: string;
  /** The inventory's labels (without KSIT's own). */
  labels: Record<string, string>;
  spec: IntegrationTargetSpec;
  /** The inventory object, for an ownerReference when it lives in the target's namespace. */
  owner?: { apiVersion: string; kind: string; name: string; uid: string; namespace: string };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `s` as a DNS subdomain (lowercase, other characters as `-`), or undefined when nothing usable is left. */
export function dnsName(s: string): string | undefined {
  const n = s.toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .split(".")
    .map((label) => label.replace(/-+/g, "-").replace(/^-+|-+$/g, ""))
    .filter(Boolean)
    .join(".");
  return n && n.length <= 253 && DNS_SUBDOMAIN.test(n) ? n : undefined;
}

function meta(o: InventoryObject) {
  return {
    name: o.metadata?.name ?? "",
    namespace: o.metadata?.namespace ?? "",
    uid: o.metadata?.uid,
    labels: o.metadata?.labels ?? {},
  };
}

function owner(o: InventoryObject, apiVersion: string, kind: string) {
  const m = meta(o);
  return m.uid
    ? { apiVersion: o.apiVersion ?? apiVersion, kind, name: m.name, uid: m.uid, namespace: m.namespace }
    : undefined;
}

/** Labels KSIT sets itself are not the inventory's to give. */
function inventoryLabels(labels: Record<string, string>, drop: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (k === SOURCE_LABEL || k === IMPORTED_FROM_LABEL || k === "app.kubernetes.io/managed-by") continue;
    if (drop.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Cluster API: one entry per Cluster. */
export function capiEntries(clusters: readonly InventoryObject[]): InventoryEntry[] {
  return clusters.map((c) => {
    const m = meta(c);
    return {
      source: "capi" as const,
      object: `Cluster ${m.namespace}/${m.name}`,
      name: m.name,
      labels: inventoryLabels(m.labels),
      spec: {
        clusterName: m.name,
        kubeconfigSecretRef: {
          name: `${m.name}-kubeconfig`,
          namespace: m.namespace,
          key: "value",
          format: "kubeconfig",
        },
      },
      owner: owner(c, `${CAPI_GROUP}/v1beta2`, "Cluster"),
    };
  });
}

/** Argo CD: one entry per cluster Secret, named after its `name` field. */
export function argoCdEntries(secrets: readonly SecretLike[]): InventoryEntry[] {
  return secrets.map((s) => {
    const m = meta(s);
    let field: string | undefined;
    try {
      field = s.data?.name ? decodeBase64Text(s.data.name).trim() : undefined;
    } catch { /* not base64: the Secret's own name */ }
    const name = (field ? dnsName(field) : undefined) ?? m.name;
    return {
      source: "argocd" as const,
      object: `Secret ${m.namespace}/${m.name}`,
      name,
      labels: inventoryLabels(m.labels, [ARGOCD_SECRET_TYPE_LABEL]),
      spec: {
        clusterName: name,
        kubeconfigSecretRef: { name: m.name, namespace: m.namespace, format: "argocd" },
      },
      owner: owner(s, "v1", "Secret"),
    };
  });
}

/** The access providers of a profile: accessProviders, then the deprecated credentialProviders not named there. */
export function accessProviders(p: ClusterProfileLike): AccessProvider[] {
  const out: AccessProvider[] = [];
  const seen = new Set<string>();
  for (const a of [...(p.status?.accessProviders ?? []), ...(p.status?.credentialProviders ?? [])]) {
    if (!a || typeof a.name !== "string" || seen.has(a.name)) continue;
    seen.add(a.name);
    out.push(a);
  }
  return out;
}

/** The config of an access provider's credential plugin (the `client.authentication.k8s.io/exec` extension). */
export function execExtension(a: AccessProvider): Record<string, unknown> {
  const exts = a.cluster?.extensions;
  if (!Array.isArray(exts)) return {};
  for (const e of exts) {
    if (e && typeof e === "object" && (e as { name?: unknown }).name === EXEC_EXTENSION) {
      const ext = (e as { extension?: unknown }).extension;
      return ext && typeof ext === "object" && !Array.isArray(ext) ? ext as Record<string, unknown> : {};
    }
  }
  return {};
}

const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * The credential Secret of a profile, from the access provider KSIT can serve in process: `consumerNamespace` is
 * KSIT's own (KEP-5339's secret reader reads Secrets of the controller's namespace).
 */
export function profileCredentials(
  p: ClusterProfileLike,
  consumerNamespace: string,
): { accessProvider?: string; ref: NonNullable<IntegrationTargetSpec["kubeconfigSecretRef"]> } {
  const providers = accessProviders(p);
  const name = meta(p).name;
  const kubeconfigReader = providers.find((a) => a.name === KUBECONFIG_SECRET_READER);
  if (kubeconfigReader) {
    const ext = execExtension(kubeconfigReader);
    const secretName = str(ext.name);
    if (secretName) {
      return {
        accessProvider: KUBECONFIG_SECRET_READER,
        ref: {
          name: secretName,
          namespace: str(ext.namespace) ?? consumerNamespace,
          key: str(ext.key) ?? "value",
          format: "kubeconfig",
        },
      };
    }
  }
  const reader = providers.find((a) => a.name === SECRET_READER);
  if (reader) {
    const clusterName = str(execExtension(reader).clusterName) ?? name;
    return {
      accessProvider: SECRET_READER,
      ref: { name: clusterName, namespace: consumerNamespace, key: "token", format: "token" },
    };
  }
  // any other provider runs a plugin KSIT does not run: its server, with a token stored by the secret
  // reader convention under the profile's name
  return {
    ...(providers[0] ? { accessProvider: providers[0].name } : {}),
    ref: { name, namespace: consumerNamespace, key: "token", format: "token" },
  };
}

/** ClusterProfiles: one entry per profile. */
export function clusterProfileEntries(
  profiles: readonly ClusterProfileLike[],
  consumerNamespace: string,
): InventoryEntry[] {
  return profiles.map((p) => {
    const m = meta(p);
    const creds = profileCredentials(p, consumerNamespace);
    return {
      source: "clusterprofile" as const,
      object: `ClusterProfile ${m.namespace}/${m.name}`,
      name: m.name,
      labels: inventoryLabels(m.labels),
      spec: {
        clusterName: m.name,
        kubeconfigSecretRef: creds.ref,
        clusterProfileRef: {
          name: m.name,
          namespace: m.namespace,
          ...(creds.accessProvider ? { accessProvider: creds.accessProvider } : {}),
        },
      },
      owner: owner(p, `${CLUSTER_PROFILE_GROUP}/${CLUSTER_PROFILE_VERSION}`, "ClusterProfile"),
    };
  });
}

/** Entries in claiming order: by source, then namespace and name of the inventory object. */
export function claimOrder(a: InventoryEntry, b: InventoryEntry): number {
  return SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source] || a.object.localeCompare(b.object);
}

export interface Claims {
  /** Target name → the entry that holds it. */
  winners: Map<string, InventoryEntry>;
  /** Entries that lost their name to an earlier one. */
  lost: { entry: InventoryEntry; to: InventoryEntry }[];
}

/** Who gets each name among the entries (the first in `claimOrder`; stable however the caches list them). */
export function claimNames(entries: readonly InventoryEntry[]): Claims {
  const winners = new Map<string, InventoryEntry>();
  const lost: Claims["lost"] = [];
  for (const e of [...entries].sort(claimOrder)) {
    const held = winners.get(e.name);
    if (held) lost.push({ entry: e, to: held });
    else winners.set(e.name, e);
  }
  return { winners, lost };
}

/** How a target was made: by an inventory sync, imported once, or written by hand (or `target add`). */
export function targetOrigin(t: { metadata: { labels?: Record<string, string> } }): {
  kind: "synced" | "imported" | "manual";
  source?: InventorySource;
} {
  const labels = t.metadata.labels ?? {};
  const synced = labels[SOURCE_LABEL];
  if (synced === "capi" || synced === "argocd" || synced === "clusterprofile") {
    return { kind: "synced", source: synced };
  }
  const imported = labels[IMPORTED_FROM_LABEL];
  if (imported === "capi" || imported === "argocd" || imported === "clusterprofile") {
    return { kind: "imported", source: imported };
  }
  return { kind: "manual" };
}

/**
 * The IntegrationTarget an entry asks for in `namespace`: maintained by `serve` (`synced`: label
 * `ksit.io/source`, an ownerReference to the inventory object when it lives in the same namespace) or made once
 * by `target import` (label `ksit.io/imported-from`).
 */
export function entryTarget(
  e: InventoryEntry,
  namespace: string,
  how: "synced" | "imported",
): IntegrationTarget {
  const own = how === "synced" && e.owner && e.owner.namespace === namespace
    ? [{ apiVersion: e.owner.apiVersion, kind: e.owner.kind, name: e.owner.name, uid: e.owner.uid }]
    : undefined;
  return {
    apiVersion: API_VERSION,
    kind: "IntegrationTarget",
    metadata: {
      name: e.name,
      namespace,
      labels: {
        ...e.labels,
        ...(how === "synced"
          ? { [SOURCE_LABEL]: e.source, "app.kubernetes.io/managed-by": INVENTORY_MANAGER }
          : { [IMPORTED_FROM_LABEL]: e.source, "app.kubernetes.io/managed-by": "kubectl-ksit" }),
      },
      annotations: { [SOURCE_OBJECT_ANNOTATION]: e.object },
      ...(own ? { ownerReferences: own } : {}),
    },
    spec: e.spec,
  };
}

/**
 * The access provider of a profile whose cluster a target uses (`wanted`, else the first listed), or why there
 * is none usable.
 */
export function profileAccess(
  p: ClusterProfileLike,
  wanted?: string,
): { provider: AccessProvider } | { problem: string } {
  const providers = accessProviders(p);
  if (providers.length === 0) {
    return {
      problem: "no status.accessProviders: its cluster manager has not published how to reach the cluster",
    };
  }
  const provider = wanted ? providers.find((a) => a.name === wanted) : providers[0];
  if (!provider) {
    return {
      problem: `no access provider "${wanted}" (it lists ${providers.map((a) => a.name).join(", ")})`,
    };
  }
  const server = provider.cluster?.server;
  if (typeof server !== "string" || server === "") {
    return { problem: `access provider "${provider.name}" has no cluster.server` };
  }
  return { provider };
}

/**
 * Whether `current` already is what an entry asks for, in what the inventory manages of a target: its labels,
 * the source-object annotation, its ownerReferences and its spec.
 */
export function sameManaged(current: IntegrationTarget, desired: IntegrationTarget): boolean {
  const owners = (t: IntegrationTarget) => (t.metadata.ownerReferences ?? []).map((o) => o.uid).sort();
  return canonicalJson(current.metadata.labels ?? {}) === canonicalJson(desired.metadata.labels ?? {}) &&
    current.metadata.annotations?.[SOURCE_OBJECT_ANNOTATION] ===
      desired.metadata.annotations?.[SOURCE_OBJECT_ANNOTATION] &&
    canonicalJson(owners(current)) === canonicalJson(owners(desired)) &&
    canonicalJson(current.spec) === canonicalJson(desired.spec);
}
