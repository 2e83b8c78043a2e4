/**
 * What `serve` reads of the fleet inventories it is pointed at (`--inventory <source>=<namespaces>` maintains
 * targets from them, `--credentials-from <source>=<namespaces>` only reads credentials in place for imported
 * or hand-written targets): per source and namespace (`*`: every namespace) one informer of exactly what KSIT
 * needs, narrowed by label where the source labels its objects, and a projection that keeps only what KSIT
 * reads — so the CA keys Cluster API keeps beside a kubeconfig, or Argo CD's repository credentials, are never
 * held in memory.
 *
 * RBAC (control plane, in each source namespace; deploy/helm/ksit/files/inventory-<source>-rbac.yaml):
 * - capi: "" secrets list, watch (labelled cluster.x-k8s.io/cluster-name: only the `value` of
 *   `<cluster>-kubeconfig` Secrets is kept); cluster.x-k8s.io clusters list, watch (with sync only)
 * - argocd: "" secrets list, watch (labelled argocd.argoproj.io/secret-type=cluster: fields name, server, config)
 * - clusterprofile: multicluster.x-k8s.io clusterprofiles list, watch (their Secrets are read in KSIT's own
 *   namespace, KEP-5339's consumer namespace, by the Secret informer of controller.ts)
 * RBAC cannot narrow list/watch by label: every Secret of a capi or argocd namespace is readable by the
 * ServiceAccount; the label selector and projection narrow what the controller asks for and keeps.
 */
import { ApisApi, CoreV1Api, CustomObjectsApi, type V1Secret } from "@kubernetes/client-node";
import type { InventorySource } from "../api/labels.ts";
import type { ClusterClient } from "../kube/client.ts";
import { errorMessage } from "../kube/errors.ts";
import { Informer } from "../kube/informer.ts";
import {
  ARGOCD_SECRET_TYPE_LABEL,
  CAPI_CLUSTER_NAME_LABEL,
  CAPI_GROUP,
  CLUSTER_PROFILE_GROUP,
  CLUSTER_PROFILE_VERSION,
  type ClusterProfileLike,
  type InventoryObject,
} from "../kube/inventory.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/log.ts";
import { type CachedSecret, projectSecret } from "./targets.ts";

/** Per source: the namespaces to read (`*`: all) and whether `serve` maintains targets from it. */
export type InventoryOptions = Partial<Record<InventorySource, { namespaces: string[]; sync: boolean }>>;

/** The flag that makes `serve` read a source's namespace (for messages). */
export function inventoryFlag(source: InventorySource, namespace: string): string {
  return `--credentials-from ${source}=${namespace} (or --inventory ${source}=${namespace}; chart: ` +
    `inventories.${source === "clusterprofile" ? "clusterProfiles" : source}.namespaces)`;
}

interface Scoped<T extends InventoryObject> {
  source: InventorySource;
  /** A namespace, or `*`. */
  namespace: string;
  informer: Informer<T>;
}

export type ChangeKind = "secret" | "cluster" | "profile";

export interface InventoryCachesDeps {
  kube: ClusterClient;
  log: Logger;
  clock: Clock;
}

const covers = (scope: string, namespace: string) => scope === "*" || scope === namespace;

export class InventoryCaches {
  private readonly secretInformers: Scoped<CachedSecret>[] = [];
  private readonly profileInformers: Scoped<ClusterProfileLike>[] = [];
  private clusterInformers: Scoped<InventoryObject>[] = [];
  /** Cluster informers are made in start() (after the Cluster API version is discovered). */
  private clustersPending = false;
  private stopped = false;

  constructor(
    private readonly deps: InventoryCachesDeps,
    readonly opts: InventoryOptions,
    private readonly onChange: (kind: ChangeKind, obj: InventoryObject) => void,
  ) {
    const core = deps.kube.api(CoreV1Api);
    const secretSelectors: [InventorySource, string][] = [
      ["capi", CAPI_CLUSTER_NAME_LABEL],
      ["argocd", `${ARGOCD_SECRET_TYPE_LABEL}=cluster`],
    ];
    for (const [source, labelSelector] of secretSelectors) {
      for (const namespace of opts[source]?.namespaces ?? []) {
        const all = namespace === "*";
        const informer = new Informer<CachedSecret>({
          ...this.common(`${source} secrets ${namespace}`),
          project: (s: V1Secret) => projectSecret(source === "capi" ? capiSecret(s) : argoCdSecret(s)),
          path: `/api/v1${all ? "" : `/namespaces/${namespace}`}/secrets?labelSelector=${
            encodeURIComponent(labelSelector)
          }`,
          list: () =>
            all
              ? core.listSecretForAllNamespaces({ labelSelector })
              : core.listNamespacedSecret({ namespace, labelSelector }),
          onChange: (_t, s) => this.onChange("secret", s),
        });
        this.secretInformers.push({ source, namespace, informer });
      }
    }
    for (const namespace of opts.clusterprofile?.namespaces ?? []) {
      const informer = this.customInformer<ClusterProfileLike>(
        "clusterprofile",
        namespace,
        CLUSTER_PROFILE_GROUP,
        CLUSTER_PROFILE_VERSION,
        "clusterprofiles",
        projectProfile,
        (o) => this.onChange("profile", o),
      );
      this.profileInformers.push({ source: "clusterprofile", namespace, informer });
    }
    this.clustersPending = (opts.capi?.sync ?? false) && (opts.capi?.namespaces.length ?? 0) > 0;
  }

  private common(name: string) {
    const { kube, log, clock } = this.deps;
    return { name, client: kube, log, clock, maxBackoffMs: 5_000, warnOnError: true };
  }

  private customInformer<T extends InventoryObject>(
    source: InventorySource,
    namespace: string,
    group: string,
    version: string,
    plural: string,
    project: (o: T) => T,
    onChange: (o: T) => void,
  ): Informer<T> {
    const custom = this.deps.kube.api(CustomObjectsApi);
    const all = namespace === "*";
    return new Informer<T>({
      ...this.common(`${source} ${plural} ${namespace}`),
      project,
      path: `/apis/${group}/${version}${all ? "" : `/namespaces/${namespace}`}/${plural}`,
      list: () =>
        (all
          ? custom.listClusterCustomObject({ group, version, plural })
          : custom.listNamespacedCustomObject({ group, version, namespace, plural })) as Promise<
            { items: T[]; metadata?: { resourceVersion?: string } }
          >,
      onChange: (_t, o) => onChange(o),
    });
  }

  /** Starts every informer; the Cluster informers once the served Cluster API version is known. */
  async start(): Promise<void> {
    for (const s of [...this.secretInformers, ...this.profileInformers]) s.informer.start();
    if (!this.clustersPending) return;
    const version = await this.capiVersion();
    if (this.stopped) return;
    for (const namespace of this.opts.capi?.namespaces ?? []) {
      const informer = this.customInformer<InventoryObject>(
        "capi",
        namespace,
        CAPI_GROUP,
        version,
        "clusters",
        projectObject,
        (o) => this.onChange("cluster", o),
      );
      this.clusterInformers.push({ source: "capi", namespace, informer });
      informer.start();
    }
    this.clustersPending = false;
  }

  /** The version of cluster.x-k8s.io the API server prefers (v1beta2 since Cluster API 1.11, else v1beta1). */
  private async capiVersion(): Promise<string> {
    const kube = this.deps.kube;
    try {
      const groups = await kube.call("get", () => kube.api(ApisApi).getAPIVersions());
      const v = groups.groups.find((g) => g.name === CAPI_GROUP)?.preferredVersion?.version;
      if (v) return v;
      this.deps.log.warn("Cluster API is not served (no cluster.x-k8s.io group); watching v1beta2 Clusters", {
        hint: "install Cluster API's CRDs on the control plane, or drop --inventory capi",
      });
    } catch (e) {
      this.deps.log.warn("API discovery failed; watching cluster.x-k8s.io/v1beta2 Clusters", {
        error: errorMessage(e),
      });
    }
    return "v1beta2";
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.all()) s.informer.stop();
  }

  restart(): void {
    for (const s of this.all()) s.informer.restart();
  }

  private all(): Scoped<InventoryObject>[] {
    return [
      ...this.secretInformers,
      ...this.profileInformers,
      ...this.clusterInformers,
    ] as Scoped<InventoryObject>[];
  }

  /** Every informer has listed. */
  synced(): boolean {
    return !this.clustersPending && this.all().every((s) => s.informer.synced);
  }

  /** Whether `serve` reads Secrets of `namespace` for an inventory source. */
  readsSecretsIn(namespace: string): boolean {
    return this.secretInformers.some((s) => covers(s.namespace, namespace));
  }

  secret(namespace: string, name: string): CachedSecret | undefined {
    for (const s of this.secretInformers) {
      if (!covers(s.namespace, namespace)) continue;
      const found = s.informer.get(name, namespace);
      if (found) return found;
    }
    return undefined;
  }

  readsProfilesIn(namespace: string): boolean {
    return this.profileInformers.some((s) => covers(s.namespace, namespace));
  }

  profile(namespace: string, name: string): ClusterProfileLike | undefined {
    for (const s of this.profileInformers) {
      if (covers(s.namespace, namespace)) {
        const found = s.informer.get(name, namespace);
        if (found) return found;
      }
    }
    return undefined;
  }

  /** Whether `serve` maintains targets from `source`. */
  syncs(source: InventorySource): boolean {
    return this.opts[source]?.sync === true && (this.opts[source]?.namespaces.length ?? 0) > 0;
  }

  /** The Cluster API Clusters (sync only). */
  clusters(): InventoryObject[] {
    return dedupe(this.clusterInformers.flatMap((s) => [...s.informer.list()]));
  }

  /** The Argo CD cluster Secrets. */
  argoCdSecrets(): CachedSecret[] {
    return dedupe(
      this.secretInformers.filter((s) => s.source === "argocd").flatMap((s) => [...s.informer.list()]),
    );
  }

  profiles(): ClusterProfileLike[] {
    return dedupe(this.profileInformers.flatMap((s) => [...s.informer.list()]));
  }
}

/** One object per namespace/name (a namespace named twice, or beside `*`). */
function dedupe<T extends InventoryObject>(items: T[]): T[] {
  const seen = new Map<string, T>();
  for (const o of items) seen.set(`${o.metadata?.namespace}/${o.metadata?.name}`, o);
  return [...seen.values()];
}

/** Of Cluster API's Secrets, only the kubeconfig: `value` of `<cluster>-kubeconfig` (never the CA keys). */
export function capiSecret(s: V1Secret): V1Secret {
  const kubeconfig = s.metadata?.name?.endsWith("-kubeconfig") && s.data?.value !== undefined;
  return { ...s, data: kubeconfig ? { value: s.data!.value! } : {} };
}

/** Of an Argo CD cluster Secret, the fields KSIT reads. */
export function argoCdSecret(s: V1Secret): V1Secret {
  const data: Record<string, string> = {};
  for (const k of ["name", "server", "config"]) if (s.data?.[k] !== undefined) data[k] = s.data[k]!;
  return { ...s, data };
}

function projectObject<T extends InventoryObject>(o: T): T {
  const m = o.metadata ?? {};
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      ...(m.labels ? { labels: m.labels } : {}),
    },
  } as T;
}

function projectProfile(p: ClusterProfileLike): ClusterProfileLike {
  return {
    ...projectObject(p),
    status: {
      ...(p.status?.accessProviders ? { accessProviders: p.status.accessProviders } : {}),
      ...(p.status?.credentialProviders ? { credentialProviders: p.status.credentialProviders } : {}),
    },
  };
}
