/**
 * A CPU profile of `serve` through the V8 inspector (serve started with `--inspect=127.0.0.1:<port>`): the
 * Chrome DevTools protocol over a WebSocket, `Profiler.start` … `Profiler.stop`, summarised as the functions
 * with the most self time (and the share of idle / GC / program time).
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  seconds: number;
  /** [name, share of samples in %] for the heaviest functions by self time. */
  top: [string, number][];
}

export class Inspector {
  private ws: WebSocket | undefined;
  private nextId = 1;
  private pending = new Map<number, (r: unknown) => void>();
  private chunks: string[] = [];

  constructor(readonly port: number) {}

  async connect(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let url: string | undefined;
    while (!url && Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}/json/list`, {
          signal: AbortSignal.timeout(1000),
        });
        url = ((await res.json()) as { webSocketDebuggerUrl: string }[])[0]?.webSocketDebuggerUrl;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (!url) throw new Error(`no inspector on port ${this.port}`);
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("inspector websocket failed"));
    });
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as {
        id?: number;
        result?: unknown;
        method?: string;
        params?: { chunk?: string };
      };
      if (msg.method === "HeapProfiler.addHeapSnapshotChunk") this.chunks.push(msg.params?.chunk ?? "");
      if (msg.id !== undefined) {
        this.pending.get(msg.id)?.(msg.result);
        this.pending.delete(msg.id);
      }
    };
    this.ws = ws;
  }

  send<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const ws = this.ws;
    if (!ws) return Promise.reject(new Error("not connected"));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r as T);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async start(): Promise<void> {
    await this.send("Profiler.enable");
    await this.send("Profiler.setSamplingInterval", { interval: 1000 });
    await this.send("Profiler.start");
  }

  async stop(top = 15): Promise<ProfileSummary> {
    const { profile } = await this.send<{ profile: Profile }>("Profiler.stop");
    return summarize(profile, top);
  }

  /**
   * A heap snapshot of serve, summarised as the node names (constructor, "(string)", "(closure)" …) holding the
   * most self size, in MiB, and the total. Slow on a big heap (it parses the whole snapshot here).
   */
  async heapTop(top = 20): Promise<{ totalMiB: number; top: [string, number][] }> {
    this.chunks = [];
    await this.send("HeapProfiler.enable");
    await this.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false }, 600_000);
    const raw = this.chunks.join("");
    // KSIT_BENCH_HEAPSNAPSHOT=path keeps the snapshot for Chrome DevTools (Memory tab → Load)
    const keep = Deno.env.get("KSIT_BENCH_HEAPSNAPSHOT");
    if (keep) await Deno.writeTextFile(keep, raw);
    const snap = JSON.parse(raw) as {
      snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
      nodes: number[];
      strings: string[];
    };
    this.chunks = [];
    const fields = snap.snapshot.meta.node_fields;
    const width = fields.length;
    const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [
      number,
      number,
      number,
    ];
    const types = snap.snapshot.meta.node_types[0];
    const bySize = new Map<string, number>();
    let total = 0;
    for (let i = 0; i < snap.nodes.length; i += width) {
      const type = types[snap.nodes[i + iType]!] ?? "?";
      const size = snap.nodes[i + iSize]!;
      total += size;
      const key = type === "object" || type === "native"
        ? `${type} ${snap.strings[snap.nodes[i + iName]!]}`
        : `(${type})`;
      bySize.set(key, (bySize.get(key) ?? 0) + size);
    }
    const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
    // who holds the largest kind: retainer chains (3 levels up) of its nodes, by size
    const [largest] = [...bySize.entries()].sort((a, b) => b[1] - a[1])[0] ?? [""];
    const edgeFields = (snap.snapshot.meta as unknown as { edge_fields: string[] }).edge_fields;
    const edges = (snap as unknown as { edges: number[] }).edges;
    const iEdgeCount = fields.indexOf("edge_count");
    const iTo = edgeFields.indexOf("to_node");
    const ew = edgeFields.length;
    const parent = new Map<number, number>(); // node offset -> one retainer's offset
    for (let n = 0, e = 0; n < snap.nodes.length; n += width) {
      const count = snap.nodes[n + iEdgeCount]!;
      for (let k = 0; k < count; k++, e += ew) {
        const to = edges[e + iTo]!;
        if (!parent.has(to)) parent.set(to, n);
      }
    }
    const nameOf = (n: number) => {
      const type = types[snap.nodes[n + iType]!] ?? "?";
      return type === "object" || type === "native"
        ? snap.strings[snap.nodes[n + iName]!] ?? "?"
        : `(${type})`;
    };
    const chains = new Map<string, number>();
    for (let i = 0; i < snap.nodes.length; i += width) {
      const type = types[snap.nodes[i + iType]!] ?? "?";
      const key = type === "object" || type === "native"
        ? `${type} ${snap.strings[snap.nodes[i + iName]!]}`
        : `(${type})`;
      if (key !== largest) continue;
      const path: string[] = [];
      let n: number | undefined = i;
      for (let d = 0; d < 5 && n !== undefined; d++) {
        n = parent.get(n);
        if (n !== undefined) path.push(nameOf(n));
      }
      const k = path.join(" <- ");
      chains.set(k, (chains.get(k) ?? 0) + snap.nodes[i + iSize]!);
    }
    return {
      totalMiB: mib(total),
      top: [
        ...[...bySize.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) =>
          [k, mib(v)] as [string, number]
        ),
        ...[...chains.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) =>
          [`held by: ${k}`, mib(v)] as [string, number]
        ),
      ],
    };
  }

  close() {
    try {
      this.ws?.close();
    } catch { /* closed */ }
  }
}

export function summarize(p: Profile, top: number): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const id of p.samples) {
    const n = byId.get(id);
    if (!n) continue;
    const f = n.callFrame;
    const file = f.url.replace(/^.*\/(npm\/registry\.npmjs\.org|work\/main)\//, "").replace(/^file:\/\//, "");
    const name = f.url ? `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}` : f.functionName;
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const total = p.samples.length || 1;
  const seconds = p.timeDeltas.reduce((a, b) => a + b, 0) / 1e6;
  return {
    seconds: Math.round(seconds * 10) / 10,
    top: [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map((
      [k, v],
    ) => [k, Math.round((v / total) * 1000) / 10]),
  };
}
