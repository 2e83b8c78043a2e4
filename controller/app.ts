/**
 * The HTTP side of `serve`: `/healthz` (the loop is alive), `/readyz` (control-plane caches synced) and
 * `/metrics` (Prometheus text). Built from the state passed in; no module-level singletons.
 */
import { Hono } from "hono";
import type { Clock } from "../util/clock.ts";
import { DenoWatch } from "../kube/transport.ts";
import type { ControllerMetrics } from "./metrics.ts";

export interface AppState {
  clock: Clock;
  metrics: ControllerMetrics;
  /** When the controller loop last ticked (ms since epoch). */
  heartbeat(): number;
  /** Control-plane caches have listed once (stays true across later relists). */
  synced(): boolean;
  /** This instance holds the Lease (or leader election is off). */
  leader(): boolean;
  /** /healthz fails when the loop has not ticked for this long. */
  staleAfterMs?: number;
}

export function createApp(state: AppState): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => {
    const age = state.clock.now() - state.heartbeat();
    const limit = state.staleAfterMs ?? 30_000;
    if (age > limit) return c.text(`loop stalled: last tick ${Math.round(age / 1000)}s ago\n`, 503);
    return c.text("ok\n");
  });
  app.get("/readyz", (c) => {
    if (!state.synced()) return c.text("control-plane caches not synced\n", 503);
    return c.text(`ok (leader: ${state.leader()})\n`);
  });
  app.get("/metrics", (c) => {
    state.metrics.leader.set({}, state.leader() ? 1 : 0);
    state.metrics.watchStreams.set({}, DenoWatch.live);
    const mem = Deno.memoryUsage();
    state.metrics.residentMemory.set({}, mem.rss);
    for (const kind of ["heapUsed", "heapTotal", "external"] as const) {
      state.metrics.heap.set({ kind }, mem[kind]);
    }
    return c.body(state.metrics.registry.render(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });
  return app;
}
