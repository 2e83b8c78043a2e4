/**
 * The dashboard's server-side state: reads a `FleetSource` (the controller's informers in `serve`, list+watch
 * through the CLI's client in `kubectl ksit dashboard`), rebuilds the view when the source says something
 * changed (at most once per `throttleMs`, and only announced when the content changed), keeps the phase
 * timeline, and pushes each new view to subscribers (the SSE streams). Events are read on demand, one read
 * per Integration at a time and cached for `eventsTtlMs`, so a page left open costs the API server nothing.
 */
import type { ClusterStatus, Integration, IntegrationTarget } from "../api/types.ts";
import { Timeline, type TimelineOptions } from "./timeline.ts";
import {
  buildView,
  type ClusterDetail,
  clusterDetail,
  type FleetView,
  type IntegrationDetail,
  integrationDetail,
  integrationId,
  type RawEvent,
  recentEvents,
  type SourceInfo,
  type ViewEvent,
} from "./view_model.ts";

/** Where the dashboard's data comes from: read-only access to current objects and a change signal. */
export interface FleetSource {
  info(): SourceInfo;
  integrations(): readonly Integration[];
  targets(): readonly IntegrationTarget[];
  /** Calls `fn` after any change of Integrations, IntegrationTargets or the source's state; returns unsubscribe. */
  onChange(fn: () => void): () => void;
  /** The controller's full verdicts of one Integration (`namespace/name`), when the source judges (serve). */
  verdicts?(integrationId: string): readonly ClusterStatus[] | undefined;
  /** core/v1 Events about one Integration (its namespace, name and uid). */
  events(namespace: string, name: string, uid?: string): Promise<RawEvent[]>;
}

export interface FleetOptions {
  /** Minimum time between two views (default 250 ms; more for a big view: 1 ms per 512 bytes of it). */
  throttleMs?: number;
  /** Events of one Integration are read at most this often (default 5 s). */
  eventsTtlMs?: number;
  timeline?: TimelineOptions;
  now?: () => Date;
}

export interface Published {
  view: FleetView;
  json: string;
}

export class Fleet {
  readonly timeline: Timeline;
  private published: Published | undefined;
  private content = "";
  private version = 0;
  private dirty = true;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastBuild = 0;
  private unsubscribe: (() => void) | undefined;
  private readonly listeners = new Set<(p: Published | null) => void>();
  private readonly eventCache = new Map<
    string,
    { at: number; events?: ViewEvent[]; problem?: string; running?: Promise<void> }
  >();
  private readonly throttleMs: number;
  private readonly eventsTtlMs: number;
  private readonly now: () => Date;

  constructor(readonly source: FleetSource, o: FleetOptions = {}) {
    this.timeline = new Timeline(o.timeline);
    this.throttleMs = o.throttleMs ?? 250;
    this.eventsTtlMs = o.eventsTtlMs ?? 5_000;
    this.now = o.now ?? (() => new Date());
  }

  start(): this {
    this.unsubscribe ??= this.source.onChange(() => this.changed());
    this.changed();
    return this;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const l of [...this.listeners]) l(null); // streams end, so a server can shut down
    this.listeners.clear();
  }

  /** The current view (rebuilt now if something changed since the last one). */
  current(): Published {
    if (this.dirty || !this.published) this.rebuild();
    return this.published!;
  }

  /** `fn` gets every new view, and null when the fleet stops; returns unsubscribe. */
  subscribe(fn: (p: Published | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer) return;
    // a big view is pushed less often: 250 ms for a small fleet, about 1 s for 1,000 clusters (540 KiB)
    const gap = Math.max(this.throttleMs, Math.round(this.content.length / 512));
    const wait = Math.max(0, this.lastBuild + gap - this.now().getTime());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const before = this.published?.view.version;
      this.rebuild();
      const p = this.published!;
      if (p.view.version !== before) { for (const l of this.listeners) l(p); }
    }, wait);
  }

  private rebuild(): void {
    this.dirty = false;
    const now = this.now();
    this.lastBuild = now.getTime();
    const at = now.toISOString();
    const integrations = this.source.integrations();
    const view = buildView({
      integrations,
      targets: this.source.targets(),
      source: this.source.info(),
      version: 0,
      now: at,
    });
    const seen = new Set<string>();
    for (const i of view.integrations) {
      seen.add(i.id);
      this.timeline.observe(i.id, i.phase, at, i.message);
    }
    for (const id of this.timeline.ids()) if (!seen.has(id)) this.timeline.forget(id);
    const { version: _v, generatedAt: _g, ...rest } = view;
    const content = JSON.stringify(rest);
    if (this.published && content === this.content) return;
    this.content = content;
    view.version = ++this.version;
    this.published = { view, json: JSON.stringify(view) };
  }

  /** One cluster (`namespace/clusterName`) with every tool's components. */
  cluster(id: string): ClusterDetail | undefined {
    const { view } = this.current();
    return clusterDetail(view, this.source.integrations(), id, this.source.verdicts?.bind(this.source));
  }

  /** One Integration (`namespace/name`): conditions, verdicts, timeline, recent Events. */
  async integration(id: string): Promise<IntegrationDetail | undefined> {
    const i = this.source.integrations().find((x) => integrationId(x) === id);
    if (!i) return undefined;
    const ev = await this.events(i);
    return integrationDetail(i, this.timeline.get(id), ev.events ?? [], ev.problem);
  }

  private async events(i: Integration): Promise<{ events?: ViewEvent[]; problem?: string }> {
    const id = integrationId(i);
    const now = this.now().getTime();
    let entry = this.eventCache.get(id);
    if (entry && !entry.running && now - entry.at < this.eventsTtlMs) return entry;
    if (!entry) {
      if (this.eventCache.size >= 1_000) this.eventCache.clear();
      entry = { at: 0 };
      this.eventCache.set(id, entry);
    }
    const e = entry;
    e.running ??= this.source.events(i.metadata.namespace ?? "", i.metadata.name ?? "", i.metadata.uid)
      .then((list) => {
        e.events = recentEvents(list);
        e.problem = undefined;
      }, (err) => {
        e.problem = `events not readable: ${err instanceof Error ? err.message : String(err)}`;
      })
      .finally(() => {
        e.at = this.now().getTime();
        e.running = undefined;
      });
    await e.running;
    return e;
  }
}
