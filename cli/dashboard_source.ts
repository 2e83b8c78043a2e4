/**
 * The dashboard's source for `kubectl ksit dashboard`: list + watch of Integrations and IntegrationTargets
 * through the CLI's client (the same watch as `status --watch`: client-node's Watch protocol on Deno's fetch,
 * `DenoWatch` of checks/kube_transport.ts), relisting on `410 Gone` and resuming a dropped watch with backoff;
 * the recent Events of one Integration are listed on demand. Only these objects are read — never a Secret.
 * RBAC: list + watch integrations and integrationtargets; list events (for the drill-down only).
 */
import type { Integration, IntegrationTarget } from "../api/types.ts";
import { parseKubeconfig } from "../checks/kubeconfig.ts";
import type { FleetSource } from "../ui/fleet.ts";
import type { RawEvent, SourceInfo } from "../ui/view_model.ts";
import { type KsitResource, listKsit, type ListResult, resourcePath } from "./control_plane.ts";
import type { KubeClient } from "./kube.ts";
import type { DenoWatch } from "../checks/kube_transport.ts";

type Obj = Integration | IntegrationTarget;
const key = (o: Obj) => `${o.metadata.namespace}/${o.metadata.name}`;

interface WatchState {
  items: Map<string, Obj>;
  connected: boolean;
  problem?: string;
  /** Not readable at all (e.g. forbidden): shown empty, not watched. */
  unreadable?: boolean;
}

export class CliFleetSource implements FleetSource {
  private readonly listeners = new Set<() => void>();
  private readonly state: Record<KsitResource, WatchState> = {
    integrations: { items: new Map(), connected: false },
    integrationtargets: { items: new Map(), connected: false },
  };
  private readonly stop = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string | undefined,
    private readonly debug?: (line: string) => void,
  ) {}

  /** Lists both resources (errors from the Integrations list propagate: CRDs missing, unauthorized…). */
  async start(): Promise<void> {
    const integrations = await listKsit<Integration>(this.client, "integrations", this.namespace);
    let targets: ListResult<IntegrationTarget> | undefined;
    try {
      targets = await listKsit<IntegrationTarget>(this.client, "integrationtargets", this.namespace);
    } catch (e) {
      this.state.integrationtargets.unreadable = true;
      this.state.integrationtargets.problem = `integrationtargets not readable: ${(e as Error).message}`;
      this.debug?.(`${this.state.integrationtargets.problem}\n`);
    }
    const { DenoWatch } = await import("../checks/kube_transport.ts");
    const kc = parseKubeconfig(this.client.kubeconfig.toYaml(this.client.contextName), {
      source: `context ${this.client.contextName}`,
      allowExecAuth: true,
      context: this.client.contextName,
      allowFileReferences: true,
    });
    const watch = new DenoWatch(kc);
    // a watch without any byte (bookmarks come about once a minute) for this long is restarted
    watch.requestTimeoutMs = 5 * 60_000;
    this.reset("integrations", integrations);
    this.loops.push(this.loop(watch, "integrations", integrations.metadata?.resourceVersion ?? ""));
    if (targets) {
      this.reset("integrationtargets", targets);
      this.loops.push(this.loop(watch, "integrationtargets", targets.metadata?.resourceVersion ?? ""));
    }
    this.changed();
  }

  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.loops);
  }

  info(): SourceInfo {
    const states = Object.values(this.state).filter((s) => !s.unreadable);
    const down = states.find((s) => !s.connected);
    const problem = down?.problem ?? this.state.integrationtargets.problem;
    return {
      kind: "dashboard",
      namespace: this.namespace ?? "*",
      context: this.client.contextName,
      connected: !down,
      synced: true,
      ...(problem ? { problem } : {}),
    };
  }

  integrations(): readonly Integration[] {
    return [...this.state.integrations.items.values()] as Integration[];
  }

  targets(): readonly IntegrationTarget[] {
    return [...this.state.integrationtargets.items.values()] as IntegrationTarget[];
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
    const list = await this.client.get<{ items?: RawEvent[] }>(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      { fieldSelector, limit: 500 },
    );
    return list.items ?? [];
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  private reset(resource: KsitResource, list: ListResult<Obj>): void {
    const items = this.state[resource].items;
    items.clear();
    for (const o of list.items) items.set(key(o), o);
  }

  private async loop(
    watch: DenoWatch,
    resource: KsitResource,
    resourceVersion: string,
  ): Promise<void> {
    const st = this.state[resource];
    const signal = this.stop.signal;
    const path = resourcePath(resource, this.namespace);
    let backoffMs = 500;
    while (!signal.aborted) {
      let gone = false;
      let failure: unknown;
      let ended!: () => void;
      const done = new Promise<void>((r) => (ended = r));
      let ctl: AbortController | undefined;
      try {
        ctl = await watch.watch(
          path,
          { resourceVersion, allowWatchBookmarks: true },
          (type: string, obj: Obj & { code?: number }) => {
            backoffMs = 500;
            if (!st.connected) {
              st.connected = true;
              st.problem = undefined;
              this.changed();
            }
            if (type === "ERROR") {
              gone = obj.code === 410;
              return;
            }
            if (obj.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
            if (type === "BOOKMARK") return;
            if (type === "DELETED") st.items.delete(key(obj));
            else st.items.set(key(obj), obj);
            this.changed();
          },
          (err: unknown) => {
            failure = err;
            ended();
          },
        );
        if (!st.connected) {
          st.connected = true;
          st.problem = undefined;
          this.changed();
        }
      } catch (e) {
        failure = e;
        ended();
      }
      const stopped = new Promise<void>((r) => {
        if (signal.aborted) r();
        else signal.addEventListener("abort", () => r(), { once: true });
      });
      await Promise.race([done, stopped]);
      if (signal.aborted) {
        ctl?.abort();
        break;
      }
      const code = (failure as { statusCode?: number } | undefined)?.statusCode;
      if (gone || code === 410) {
        try {
          const list = await listKsit<Obj>(this.client, resource, this.namespace);
          this.reset(resource, list);
          resourceVersion = list.metadata?.resourceVersion ?? "";
          this.changed();
          continue;
        } catch (e) {
          failure = e;
        }
      }
      if (failure) {
        st.connected = false;
        st.problem = `watch of ${resource} lost: ${(failure as Error).message ?? failure}; retrying`;
        this.debug?.(`${st.problem}\n`);
        this.changed();
        await sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
