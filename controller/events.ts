/**
 * Kubernetes Events about KSIT objects (core/v1 Events; `kubectl describe` and `kubectl get events` show
 * them), correlated the way client-go's EventRecorder does (k8s.io/client-go/tools/record/events_cache.go),
 * so a flapping Integration cannot flood the API server:
 * - **series**: the same event (object, type, reason, message) within `seriesWindowMs` updates the existing
 *   Event (`count` + 1, `lastTimestamp`) instead of creating another;
 * - **aggregation**: more than `maxSimilar` different messages for one (object, type, reason) within the
 *   window become one Event "(combined from similar events): <latest message>" with a count;
 * - **per-object budget**: a token bucket per object (burst `burst`, one token back every `refillMs`);
 *   events over budget are dropped (and counted in the log), as client-go's spam filter does.
 *
 * RBAC (control plane, watched namespace; files/controller-rbac.yaml): create and patch on "" events.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { errorCode } from "../kube/errors.ts";
import type { ClusterClient } from "../kube/client.ts";
import type { Logger } from "../util/log.ts";
import type { Clock } from "../util/clock.ts";
import { rfc3339 } from "./status.ts";
import type { EventReason } from "../checks/reasons.ts";

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface EventRecorder {
  /** `reason`: one of checks/reasons.ts EVENT_REASONS (docs/troubleshooting.md documents each). */
  record(obj: EventTarget, type: "Normal" | "Warning", reason: EventReason, message: string): Promise<void>;
}

export interface CorrelationOptions {
  /** An identical event within this window joins the existing Event's series (client-go: 10 min). */
  seriesWindowMs: number;
  /** Distinct messages per (object, type, reason) in the window before they are combined (client-go: 10). */
  maxSimilar: number;
  /** Token bucket per object (client-go: burst 25, one token per 5 min). */
  burst: number;
  refillMs: number;
}

export const DEFAULT_CORRELATION: CorrelationOptions = {
  seriesWindowMs: 10 * 60_000,
  maxSimilar: 10,
  burst: 25,
  refillMs: 5 * 60_000,
};

const MAX_MESSAGE = 1000;
/** Kept in memory per recorder; older entries are forgotten first. */
const MAX_ENTRIES = 10_000;

/** What the recorder decided for one event. */
export type EventAction =
  | { kind: "create"; key: string; message: string }
  | { kind: "update"; key: string; name: string; count: number; message: string; firstTimestamp: string }
  | { kind: "drop" };

interface Series {
  name: string;
  count: number;
  firstTimestamp: string;
  lastAt: number;
}

/**
 * The decisions, separate from the I/O so they can be tested with a clock: which events are new Events, which
 * update an existing one, which are dropped.
 */
export class EventCorrelator {
  private readonly series = new Map<string, Series>();
  private readonly similar = new Map<string, { messages: Set<string>; since: number }>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly clock: Clock, private readonly o: CorrelationOptions = DEFAULT_CORRELATION) {}

  decide(obj: EventTarget, type: string, reason: string, rawMessage: string): EventAction {
    const now = this.clock.now();
    const objectKey = `${obj.metadata.namespace}/${obj.kind}/${obj.metadata.name}/${obj.metadata.uid ?? ""}`;
    if (!this.take(objectKey, now)) return { kind: "drop" };
    let message = rawMessage.length > MAX_MESSAGE ? rawMessage.slice(0, MAX_MESSAGE) + "…" : rawMessage;
    const groupKey = `${objectKey}|${type}|${reason}`;
    let group = this.similar.get(groupKey);
    if (!group || now - group.since > this.o.seriesWindowMs) {
      group = { messages: new Set(), since: now };
      this.similar.set(groupKey, group);
    }
    group.messages.add(message);
    let key = `${groupKey}|${message}`;
    if (group.messages.size > this.o.maxSimilar) {
      key = `${groupKey}|(combined)`;
      message = `(combined from similar events): ${message}`;
    }
    const s = this.series.get(key);
    if (s && now - s.lastAt <= this.o.seriesWindowMs) {
      s.count++;
      s.lastAt = now;
      return { kind: "update", key, name: s.name, count: s.count, message, firstTimestamp: s.firstTimestamp };
    }
    this.series.delete(key);
    return { kind: "create", key, message };
  }

  /** Remembers the Event created for a `create` decision, so the next identical event updates it. */
  created(key: string, name: string, firstTimestamp: string): void {
    if (this.series.size >= MAX_ENTRIES) this.prune();
    this.series.set(key, { name, count: 1, firstTimestamp, lastAt: this.clock.now() });
  }

  /** Forgets a series whose Event could not be updated (deleted meanwhile): the next one creates anew. */
  forget(name: string): void {
    for (const [k, s] of this.series) if (s.name === name) this.series.delete(k);
  }

  private take(objectKey: string, now: number): boolean {
    let b = this.buckets.get(objectKey);
    if (!b) {
      if (this.buckets.size >= MAX_ENTRIES) this.prune();
      b = { tokens: this.o.burst, at: now };
      this.buckets.set(objectKey, b);
    }
    const refill = Math.floor((now - b.at) / this.o.refillMs);
    if (refill > 0) {
      b.tokens = Math.min(this.o.burst, b.tokens + refill);
      b.at += refill * this.o.refillMs;
    }
    if (b.tokens <= 0) return false;
    b.tokens--;
    return true;
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [k, s] of this.series) if (now - s.lastAt > this.o.seriesWindowMs) this.series.delete(k);
    for (const [k, g] of this.similar) if (now - g.since > this.o.seriesWindowMs) this.similar.delete(k);
    for (const [k, b] of this.buckets) {
      if (b.tokens >= this.o.burst - 1 && now - b.at > this.o.refillMs) this.buckets.delete(k);
    }
    // still full (a huge fleet): drop the oldest half
    for (const m of [this.series, this.similar, this.buckets] as Map<string, unknown>[]) {
      if (m.size < MAX_ENTRIES) continue;
      let n = m.size / 2;
      for (const k of m.keys()) {
        if (n-- <= 0) break;
        m.delete(k);
      }
    }
  }
}

/**
 * The recorder `serve` uses. Over 60 lines because it is a factory: its parts are the closures `update` (the
 * next occurrence of a series), `create` (a new Event) and `record` (the correlator's decision, then one of the
 * two), which share the correlator and the client.
 */
export function kubeEventRecorder(
  kube: ClusterClient,
  clock: Clock,
  log: Logger,
  instance: string,
  correlation: CorrelationOptions = DEFAULT_CORRELATION,
): EventRecorder {
  const core = kube.api(CoreV1Api);
  const correlator = new EventCorrelator(clock, correlation);

  /** The next occurrence of a series: count, time, message. False when the Event is gone. RBAC: patch. */
  const update = async (namespace: string, name: string, count: number, message: string, now: string) => {
    try {
      // JSON patch (the generated client's default patch type)
      await kube.call("patch", () =>
        core.patchNamespacedEvent({
          name,
          namespace,
          body: [
            { op: "replace", path: "/count", value: count },
            { op: "replace", path: "/lastTimestamp", value: now },
            { op: "replace", path: "/message", value: message },
          ],
        }));
      return true;
    } catch (e) {
      if (errorCode(e) !== 404) throw e;
      correlator.forget(name); // the Event expired or was deleted: create a new one
      return false;
    }
  };

  /** A new Event (RBAC: create); returns its name. */
  const create = async (obj: EventTarget, type: string, reason: string, message: string, now: string) => {
    const namespace = obj.metadata.namespace ?? "default";
    const created = await kube.call("create", () =>
      core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${obj.metadata.name}.`, namespace },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name: obj.metadata.name,
            namespace,
            uid: obj.metadata.uid,
            resourceVersion: obj.metadata.resourceVersion,
          },
          type,
          reason,
          message,
          firstTimestamp: new Date(now),
          lastTimestamp: new Date(now),
          count: 1,
          source: { component: "ksit-controller" },
          reportingComponent: "ksit.io/controller",
          reportingInstance: instance,
        },
      }));
    return created.metadata?.name;
  };

  return {
    async record(obj, type, reason, rawMessage) {
      const namespace = obj.metadata.namespace ?? "default";
      const what = { object: `${namespace}/${obj.metadata.name}`, type, reason };
      const action = correlator.decide(obj, type, reason, rawMessage);
      const now = rfc3339(clock.now());
      try {
        if (action.kind === "drop") {
          log.debug("event dropped: the object's event budget is spent", what);
          return;
        }
        if (
          action.kind === "update" && await update(namespace, action.name, action.count, action.message, now)
        ) {
          log.info("event", { ...what, message: action.message, count: action.count });
          return;
        }
        const name = await create(obj, type, reason, action.message, now);
        if (name) correlator.created(action.key, name, now);
        log.info("event", { ...what, message: action.message });
      } catch (e) {
        // an Event is best effort: never fail a reconcile because of it
        log.warn("event not recorded", { ...what, error: (e as Error).message });
      }
    },
  };
}
