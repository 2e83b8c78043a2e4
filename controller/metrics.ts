/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms with labels.
 * Hand-written to avoid a dependency; one Registry per `serve` (no module-level state).
 */

type Labels = Record<string, string>;

function escapeValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelKey(names: readonly string[], labels: Labels): string {
  return JSON.stringify(names.map((n) => labels[n] ?? ""));
}

function renderLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeValue(values[i] ?? "")}"`);
  if (extra) parts.push(`${extra[0]}="${escapeValue(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

interface Metric {
  render(): string;
}

abstract class Base<N extends string> implements Metric {
  protected values = new Map<string, { labels: string[]; value: number }>();
  /** Series keys by the values of `indexLabels` (removeMatching by them touches only those series). */
  private readonly index = new Map<string, Set<string>>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly N[],
    private readonly type: string,
    /** Labels every hot removeMatching names: it is a lookup, not a scan of every series. */
    private readonly indexLabels: readonly N[] = [],
  ) {}

  private indexKey(labels: Partial<Record<N, string>>): string | undefined {
    if (this.indexLabels.length === 0 || this.indexLabels.some((n) => labels[n] === undefined)) {
      return undefined;
    }
    return labelKey(this.indexLabels, labels as Labels);
  }

  protected slot(labels: Record<N, string>) {
    const key = labelKey(this.labelNames, labels);
    let s = this.values.get(key);
    if (!s) {
      s = { labels: this.labelNames.map((n) => labels[n] ?? ""), value: 0 };
      this.values.set(key, s);
      const ik = this.indexKey(labels);
      if (ik !== undefined) {
        let keys = this.index.get(ik);
        if (!keys) this.index.set(ik, keys = new Set());
        keys.add(key);
      }
    }
    return s;
  }

  get(labels: Record<N, string>): number | undefined {
    return this.values.get(labelKey(this.labelNames, labels))?.value;
  }

  /** Removes every series whose labels include all of `match`. */
  removeMatching(match: Partial<Record<N, string>>): void {
    const entries = Object.entries(match) as [N, string][];
    const matches = (s: { labels: string[] }) =>
      entries.every(([k, v]) => s.labels[this.labelNames.indexOf(k)] === v);
    const ik = this.indexKey(match);
    const candidates = ik === undefined ? [...this.values.keys()] : [...(this.index.get(ik) ?? [])];
    for (const key of candidates) {
      const s = this.values.get(key);
      if (!s || !matches(s)) continue;
      this.values.delete(key);
      const own = this.indexKey(
        Object.fromEntries(this.labelNames.map((n, i) => [n, s.labels[i]])) as Partial<Record<N, string>>,
      );
      if (own === undefined) continue;
      const keys = this.index.get(own);
      keys?.delete(key);
      if (keys?.size === 0) this.index.delete(own);
    }
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.values.values()) {
      lines.push(`${this.name}${renderLabels(this.labelNames, s.labels)} ${formatNumber(s.value)}`);
    }
    return lines.join("\n");
  }
}

export class Counter<N extends string = never> extends Base<N> {
  constructor(name: string, help: string, labelNames: readonly N[] = []) {
    super(name, help, labelNames, "counter");
  }
  inc(labels: Record<N, string>, by = 1): void {
    this.slot(labels).value += by;
  }
}

export class Gauge<N extends string = never> extends Base<N> {
  constructor(name: string, help: string, labelNames: readonly N[] = [], indexLabels: readonly N[] = []) {
    super(name, help, labelNames, "gauge", indexLabels);
  }
  set(labels: Record<N, string>, value: number): void {
    this.slot(labels).value = value;
  }
}

export class Histogram<N extends string = never> implements Metric {
  private series = new Map<string, { labels: string[]; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly N[] = [],
    readonly buckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ) {}

  observe(labels: Record<N, string>, value: number): void {
    const key = labelKey(this.labelNames, labels);
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: this.labelNames.map((n) => labels[n] ?? ""),
        counts: this.buckets.map(() => 0),
        sum: 0,
        count: 0,
      };
      this.series.set(key, s);
    }
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }

  count(labels: Record<N, string>): number {
    return this.series.get(labelKey(this.labelNames, labels))?.count ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => {
        lines.push(
          `${this.name}_bucket${renderLabels(this.labelNames, s.labels, ["le", formatNumber(b)])} ${
            s.counts[i]
          }`,
        );
      });
      lines.push(`${this.name}_bucket${renderLabels(this.labelNames, s.labels, ["le", "+Inf"])} ${s.count}`);
      lines.push(`${this.name}_sum${renderLabels(this.labelNames, s.labels)} ${formatNumber(s.sum)}`);
      lines.push(`${this.name}_count${renderLabels(this.labelNames, s.labels)} ${s.count}`);
    }
    return lines.join("\n");
  }
}

export class Registry {
  private metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return this.metrics.map((m) => m.render()).join("\n") + "\n";
  }
}

/**
 * The metrics `serve` exports. Over 60 lines because it is a list: one declaration per metric (name, help,
 * labels), nothing to split.
 */
export function controllerMetrics() {
  const registry = new Registry();
  return {
    registry,
    integrationPhase: registry.register(
      new Gauge(
        "ksit_integration_phase",
        "1 for the current phase of each Integration, 0 for the other phases.",
        ["namespace", "name", "type", "phase"] as const,
        ["namespace", "name"] as const,
      ),
    ),
    targetReachable: registry.register(
      new Gauge(
        "ksit_target_reachable",
        "1 when the IntegrationTarget's cluster answered (Ready=True), else 0.",
        ["namespace", "name", "cluster", "reason"] as const,
        ["namespace", "name"] as const,
      ),
    ),
    componentHealthy: registry.register(
      new Gauge(
        "ksit_component_healthy",
        "1 when the component is Healthy on the cluster, else 0.",
        ["namespace", "integration", "type", "cluster", "component", "status"] as const,
        ["namespace", "cluster"] as const,
      ),
    ),
    checkDuration: registry.register(
      new Histogram(
        "ksit_check_duration_seconds",
        "Duration of one reconcile (judging) of an Integration.",
        ["type"] as const,
      ),
    ),
    apiRequests: registry.register(
      new Counter(
        "ksit_api_requests_total",
        "Kubernetes API requests by target cluster, verb and response code (`error` = no response).",
        ["target", "verb", "code"] as const,
      ),
    ),
    reconcileErrors: registry.register(
      new Counter(
        "ksit_reconcile_errors_total",
        "Reconciles that failed and were retried.",
        ["kind"] as const,
      ),
    ),
    statusWrites: registry.register(
      new Counter("ksit_status_writes_total", "Status subresource writes by kind.", ["kind"] as const),
    ),
    leader: registry.register(new Gauge("ksit_leader", "1 while this process holds the leader Lease.", [])),
    inventoryTargets: registry.register(
      new Gauge(
        "ksit_inventory_targets",
        "Inventory entries by source: synced (they have their IntegrationTarget) or clash (another target " +
          "holds the name). Set by the leader.",
        ["source", "state"] as const,
      ),
    ),
    residentMemory: registry.register(
      new Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", []),
    ),
    heap: registry.register(
      new Gauge(
        "ksit_process_heap_bytes",
        "V8 heap in use and reserved, and memory held outside it (ArrayBuffers, streams), in bytes.",
        ["kind"] as const,
      ),
    ),
    replicas: registry.register(
      new Gauge(
        "ksit_replicas",
        "Live serve replicas sharing the targets (--sharding=dynamic), as this replica (its identity) sees them.",
        ["replica"] as const,
      ),
    ),
    ownedTargets: registry.register(
      new Gauge(
        "ksit_owned_targets",
        "IntegrationTargets this replica (its identity, each target's status.judgedBy) judges now.",
        ["replica"] as const,
      ),
    ),
    shardInfo: registry.register(
      new Gauge(
        "ksit_shard_info",
        "1, labelled with this replica's identity, its sharding mode (single, dynamic, fixed) and, with " +
          "--sharding=fixed, its shard (i/n).",
        ["replica", "mode", "shard"] as const,
      ),
    ),
    watchStreams: registry.register(
      new Gauge(
        "ksit_watch_streams",
        "Watch requests of this process open now (requests sent, response streams not yet ended).",
        [],
      ),
    ),
  };
}

export type ControllerMetrics = ReturnType<typeof controllerMetrics>;
