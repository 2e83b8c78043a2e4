/**
 * The connections to workload clusters, one per IntegrationTarget (controller/targets.ts builds and probes
 * them), and what keeps them honest between probes: each watched target's API server heartbeat
 * (controller/heartbeat.ts) and a ticker that asks a liveness probe of a target whose heartbeat is late, or
 * every LIVENESS_PROBE_MS where none can be watched.
 */
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/log.ts";
import { Heartbeat, LIVENESS_PROBE_MS } from "./heartbeat.ts";
import type { Connection } from "./targets.ts";

export class Connections {
  private readonly conns = new Map<string, Connection>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: { clock: Clock; log: Logger },
    /** Asks the target's reconcile (a probe, a state change to write). */
    private readonly enqueueTarget: (targetKey: string) => void,
    /** Heartbeats run in watch mode only: in poll mode each poll's lists are the liveness check. */
    private readonly heartbeats: boolean,
  ) {}

  get(targetKey: string): Connection | undefined {
    return this.conns.get(targetKey);
  }

  /** The connection of a target, created (not checked yet) on first use. */
  obtain(targetKey: string, clusterName: string): { conn: Connection; created: boolean } {
    const existing = this.conns.get(targetKey);
    if (existing) return { conn: existing, created: false };
    const conn: Connection = {
      targetKey,
      clusterName,
      gen: 0,
      state: { ready: false, reason: "ClusterUnreachable", message: "not checked yet" },
    };
    this.conns.set(targetKey, conn);
    return { conn, created: true };
  }

  /** The target is gone: its heartbeat stops and its sockets close. */
  async remove(targetKey: string): Promise<void> {
    const gone = this.conns.get(targetKey);
    this.conns.delete(targetKey);
    gone?.heartbeat?.stop();
    await gone?.client?.close();
  }

  /** The API server heartbeat of a target that some Integration watches. */
  ensureHeartbeat(conn: Connection): void {
    const client = conn.client;
    if (!this.heartbeats || conn.heartbeat || !client) return;
    const hb = new Heartbeat(client, this.deps.clock, this.deps.log, (kind) => {
      if (this.stopped || conn.client !== client || conn.heartbeat !== hb) return;
      if (kind === "beat") conn.recoverySignal = true;
      this.enqueueTarget(conn.targetKey);
    });
    conn.heartbeat = hb;
    hb.start();
  }

  stopHeartbeat(conn: Connection | undefined): void {
    conn?.heartbeat?.stop();
    if (conn) conn.heartbeat = undefined;
  }

  /** A watch of the target broke: a liveness probe (rate-limited in targets.ts) says whether it is still there. */
  watchFailed(targetKey: string): void {
    const conn = this.conns.get(targetKey);
    if (conn?.state.ready) conn.livenessWanted = true;
    this.enqueueTarget(targetKey);
  }

  start(): void {
    this.timer = setInterval(() => this.checkLiveness(), 500);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const c of this.conns.values()) c.heartbeat?.stop();
  }

  /**
   * Every 500 ms: asks a liveness probe of each connected target whose API server heartbeat is late (a new
   * silence at once, a continuing one with backoff), or, where no heartbeat can be watched, every
   * LIVENESS_PROBE_MS. See heartbeat.ts for why.
   */
  private checkLiveness(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    for (const conn of this.conns.values()) {
      const hb = conn.heartbeat;
      if (!hb || !conn.client || !conn.state.ready || conn.livenessWanted) continue;
      let want = false;
      if (hb.late(now)) {
        const fresh = conn.probedSilence !== hb.lastBeat;
        if (fresh) conn.notBefore = 0;
        want = fresh || (conn.notBefore ?? 0) <= now;
        conn.probedSilence = hb.lastBeat;
      } else if (hb.source === "none" && now - (conn.lastLiveness ?? 0) >= LIVENESS_PROBE_MS) {
        conn.lastLiveness = now;
        conn.notBefore = 0;
        want = true;
      }
      if (want) {
        conn.livenessWanted = true;
        this.enqueueTarget(conn.targetKey);
      }
    }
  }
}
