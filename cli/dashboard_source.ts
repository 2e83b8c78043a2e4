/**
 * The dashboard's source for `kubectl ksit dashboard`: Integrations and IntegrationTargets through the informer
 * `serve` and `status --watch` use (kube/informer.ts: list + watch on Deno's fetch, relist on `410 Gone`,
 * restarts with backoff), built from the resolved context without a YAML round trip (kubeConfigForContext);
 * the recent Events of one Integration are listed on demand. Only these objects are read — never a Secret.
 * RBAC: list + watch integrations and integrationtargets; list events (for the drill-down only).
 */
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../api/schema.ts";
import type { Integration, IntegrationTarget } from "../api/types.ts";
import { ClusterClient } from "../kube/client.ts";
import { errorMessage } from "../kube/errors.ts";
import { Informer } from "../kube/informer.ts";
import { kubeConfigForContext } from "../kube/kubeconfig.ts";
import { closeTransport } from "../kube/transport.ts";
import { nullLogger } from "../util/log.ts";
import { Semaphore } from "../util/semaphore.ts";
import type { FleetSource } from "../ui/fleet.ts";
import type { RawEvent, SourceInfo } from "../ui/view_model.ts";
import { type KsitResource, listKsit, type ListResult, resourcePath } from "./control_plane.ts";
import type { RestClient } from "./rest_client.ts";

type Obj = Integration | IntegrationTarget;

/** One resource: the first list (shown until the informer has listed) and its informer. */
interface Watched {
  first: readonly Obj[];
  informer?: Informer<Obj>;
  /** The informer has listed once: its cache is the picture from then on. */
  listed: boolean;
  /** Not readable at all (e.g. forbidden): shown empty, not watched. */
  problem?: string;
}

export class CliFleetSource implements FleetSource {
  private readonly listeners = new Set<() => void>();
  private readonly state: Record<KsitResource, Watched> = {
    integrations: { first: [], listed: false },
    integrationtargets: { first: [], listed: false },
  };
  private kc: KubeConfig | undefined;

  constructor(
    private readonly rest: RestClient,
    private readonly namespace: string | undefined,
    private readonly debug?: (line: string) => void,
  ) {}

  /** Lists both resources (errors from the Integrations list propagate: CRDs missing, unauthorized…), then watches. */
  async start(): Promise<void> {
    const integrations = await listKsit<Integration>(this.rest, "integrations", this.namespace);
    let targets: ListResult<IntegrationTarget> | undefined;
    try {
      targets = await listKsit<IntegrationTarget>(this.rest, "integrationtargets", this.namespace);
    } catch (e) {
      this.state.integrationtargets.problem = `integrationtargets not readable: ${(e as Error).message}`;
      this.debug?.(`${this.state.integrationtargets.problem}\n`);
    }
    const kc = kubeConfigForContext(this.rest.context);
    this.kc = kc;
    const client = new ClusterClient(kc, {
      target: this.rest.contextName,
      timeoutMs: 15_000,
      countRequest: () => {},
      global: new Semaphore(4),
    });
    this.state.integrations.first = integrations.items;
    this.state.integrations.informer = this.informer(client, "integrations");
    if (targets) {
      this.state.integrationtargets.first = targets.items;
      this.state.integrationtargets.informer = this.informer(client, "integrationtargets");
    }
    for (const w of Object.values(this.state)) w.informer?.start();
    this.changed();
  }

  async close(): Promise<void> {
    for (const w of Object.values(this.state)) w.informer?.stop();
    if (this.kc) await closeTransport(this.kc);
  }

  info(): SourceInfo {
    const watched = Object.values(this.state).filter((w) => w.informer);
    const down = watched.find((w) => !w.informer!.established);
    const problem = (down && this.lost(down)) ?? this.state.integrationtargets.problem;
    return {
      kind: "dashboard",
      namespace: this.namespace ?? "*",
      context: this.rest.contextName,
      connected: !down,
      synced: true,
      ...(problem ? { problem } : {}),
    };
  }

  integrations(): readonly Integration[] {
    return this.items("integrations") as readonly Integration[];
  }

  targets(): readonly IntegrationTarget[] {
    return this.items("integrationtargets") as readonly IntegrationTarget[];
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async events(namespace: string, name: string, uid?: string): Promise<RawEvent[]> {
    const fieldSelector = [
      "involvedObject.kind=Integration",
      `involvedObject.name=${name}`,
      ...(uid ? [`involvedObject.uid=${uid}`] : []),
    ].join(",");
    const list = await this.rest.get<{ items?: RawEvent[] }>(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      { fieldSelector, limit: 500 },
    );
    return list.items ?? [];
  }

  private items(resource: KsitResource): readonly Obj[] {
    const w = this.state[resource];
    return w.listed && w.informer ? w.informer.list() : w.first;
  }

  /** Why a resource's watch is not open (undefined while it is being opened for the first time). */
  private lost(w: Watched): string | undefined {
    const e = w.informer?.lastError;
    if (e === undefined) return undefined;
    const resource = w === this.state.integrations ? "integrations" : "integrationtargets";
    return `watch of ${resource} lost: ${errorMessage(e)}; retrying`;
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** The informer of `resource` in the namespace (all with -A): every change and state change is a change. */
  private informer(client: ClusterClient, resource: KsitResource): Informer<Obj> {
    const custom = client.api(CustomObjectsApi);
    const namespace = this.namespace;
    const w = this.state[resource];
    const informer: Informer<Obj> = new Informer<Obj>({
      name: resource,
      client,
      path: resourcePath(resource, namespace),
      list: () =>
        namespace
          ? custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: resource })
          : custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: resource }),
      onChange: () => {
        w.listed ||= informer.synced;
        this.changed();
      },
      onState: () => {
        w.listed ||= informer.synced;
        const problem = this.lost(w);
        if (problem && !informer.established) this.debug?.(`${problem}\n`);
        this.changed();
      },
      log: nullLogger,
      maxBackoffMs: 30_000,
    });
    return informer;
  }
}
