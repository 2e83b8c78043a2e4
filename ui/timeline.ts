/**
 * The phase timeline of every Integration, as this process saw it: a bounded ring per Integration (the
 * newest `perIntegration` transitions) and a bound on how many Integrations are remembered (the ones changed
 * least recently are forgotten first), so memory stays bounded however long the process runs and however
 * much the fleet flaps.
 */
import type { Phase } from "../api/types.ts";
import type { Transition } from "./view_model.ts";

export interface TimelineOptions {
  /** Transitions kept per Integration (default 100). */
  perIntegration?: number;
  /** Integrations remembered (default 2,000); with the default ring, at most 200,000 transitions. */
  maxIntegrations?: number;
}

interface Ring {
  items: Transition[];
  /** Index of the oldest item once the ring is full. */
  start: number;
  phase: Phase;
}

export class Timeline {
  private readonly rings = new Map<string, Ring>();
  private readonly per: number;
  private readonly max: number;

  constructor(o: TimelineOptions = {}) {
    this.per = Math.max(1, o.perIntegration ?? 100);
    this.max = Math.max(1, o.maxIntegrations ?? 2_000);
  }

  /** Records `phase` of Integration `id` at `at` when it differs from the last one seen. */
  observe(id: string, phase: Phase, at: string, message = ""): void {
    let ring = this.rings.get(id);
    if (ring && ring.phase === phase) return;
    const t: Transition = {
      at,
      to: phase,
      message: message.slice(0, 512),
      ...(ring ? { from: ring.phase } : {}),
    };
    if (!ring) {
      ring = { items: [], start: 0, phase };
      if (this.rings.size >= this.max) {
        const oldest = this.rings.keys().next().value;
        if (oldest !== undefined) this.rings.delete(oldest);
      }
    } else {
      this.rings.delete(id); // re-inserted below: Map order is least recently changed first
    }
    ring.phase = phase;
    if (ring.items.length < this.per) ring.items.push(t);
    else {
      ring.items[ring.start] = t;
      ring.start = (ring.start + 1) % this.per;
    }
    this.rings.set(id, ring);
  }

  /** Forgets an Integration that was deleted. */
  forget(id: string): void {
    this.rings.delete(id);
  }

  /** Transitions of `id`, oldest first. */
  get(id: string): Transition[] {
    const r = this.rings.get(id);
    if (!r) return [];
    return [...r.items.slice(r.start), ...r.items.slice(0, r.start)];
  }

  /** How many Integrations are remembered. */
  get size(): number {
    return this.rings.size;
  }

  ids(): string[] {
    return [...this.rings.keys()];
  }
}
