/**
 * Writing status: a JSON merge patch of the status subresource, only when it changed, at most once a second
 * per object (`coalesce`), bounded in size (rollup's `boundStatus`), and — when the API server refuses a
 * status — a summary without per-cluster details plus a Warning Event, never retrying the refused one.
 * Also remembers what it wrote until the informer catches up (`fresh`), so a reconcile on a stale cache does
 * not send a write that is sure to conflict.
 *
 * RBAC (control plane): patch on integrations/status and integrationtargets/status.
 */
import { CustomObjectsApi, setHeaderOptions } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../api/schema.ts";
import type {
  Integration,
  IntegrationStatus,
  IntegrationTarget,
  IntegrationTargetStatus,
} from "../api/types.ts";
import { EVENT_REASONS } from "../checks/reasons.ts";
import type { ClusterClient } from "../kube/client.ts";
import { errorCode, errorMessage } from "../kube/errors.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/log.ts";
import type { EventRecorder } from "./events.ts";
import { keyString, type ObjectKey } from "./keys.ts";
import type { ControllerMetrics } from "./metrics.ts";
import { canonicalJson, sameStatus } from "./status.ts";

/** At most one status write per object in this period (flapping is coalesced, see `coalesce`). */
export const STATUS_WRITE_INTERVAL_MS = 1_000;

/** Bytes of status we write: well under etcd's 1.5 MiB object limit, minus what the object already holds. */
const STATUS_MAX_BYTES = 256 * 1024;
const OBJECT_MAX_BYTES = 1_300_000;

/** The status size an Integration can take (see `boundStatus`). */
export function statusBudget(obj: Integration): number {
  const { status: _status, ...rest } = obj;
  const used = new TextEncoder().encode(JSON.stringify(rest)).length;
  return Math.max(8 * 1024, Math.min(STATUS_MAX_BYTES, OBJECT_MAX_BYTES - used));
}

type Plural = "integrations" | "integrationtargets";

export interface StatusWriterDeps {
  kube: ClusterClient;
  clock: Clock;
  log: Logger;
  events: EventRecorder;
  metrics: ControllerMetrics;
}

export class StatusWriter {
  /** Last object written per key, until the informer catches up (avoids 409 storms on stale caches). */
  private readonly written = new Map<string, { staleRV: string | undefined; obj: unknown }>();
  /** When each object's status was last written (ms), for `coalesce`. */
  private readonly lastWrite = new Map<string, number>();
  /** The status the API server refused per Integration (canonical JSON), so it is not sent again. */
  private readonly refused = new Map<string, string>();

  constructor(private readonly deps: StatusWriterDeps) {}

  /** The cached object, or what we wrote over it if the cache has not caught up yet. */
  fresh<O extends Integration | IntegrationTarget>(plural: Plural, key: ObjectKey, cached: O): O {
    const id = `${plural}:${keyString(key)}`;
    const w = this.written.get(id);
    if (w && w.staleRV === cached.metadata.resourceVersion) return w.obj as O;
    this.written.delete(id);
    return cached;
  }

  /** The object is gone. */
  forget(plural: Plural, key: ObjectKey): void {
    const id = `${plural}:${keyString(key)}`;
    this.written.delete(id);
    this.lastWrite.delete(id);
    this.refused.delete(id);
  }

  /**
   * Writes `status` on `obj` if it differs from what the object has. Returns the written object, `"wait"` with
   * the milliseconds until a write is allowed again (a write a second per object: flapping costs one write a
   * second and a real transition is written at most that much later), or undefined when nothing was written.
   */
  async write<O extends Integration | IntegrationTarget>(
    plural: Plural,
    obj: O,
    status: O extends Integration ? IntegrationStatus : IntegrationTargetStatus,
  ): Promise<{ written: O } | { waitMs: number } | undefined> {
    if (sameStatus(obj.status, status)) return undefined;
    const id = `${plural}:${obj.metadata.namespace}/${obj.metadata.name}`;
    // the API server refused exactly this status before (a summary stands in for it): not again
    if (this.refused.get(id) === canonicalJson(status)) return undefined;
    const now = this.deps.clock.now();
    const last = this.lastWrite.get(id);
    if (last !== undefined && now - last < STATUS_WRITE_INTERVAL_MS) {
      return { waitMs: STATUS_WRITE_INTERVAL_MS - (now - last) };
    }
    this.lastWrite.set(id, now);
    const written = plural === "integrations"
      ? await this.writeIntegration(id, obj as Integration, status as IntegrationStatus)
      : await this.patch(plural, obj, status);
    this.written.set(id, { staleRV: obj.metadata.resourceVersion, obj: written });
    this.deps.metrics.statusWrites.inc({ kind: obj.kind });
    return { written: written as O };
  }

  /**
   * An Integration's status. When the API server refuses it for its size or content (413, 422, or etcd's
   * limit), a summary without per-cluster details is written instead and a Warning Event says why, so the
   * object never stays Pending without a word.
   */
  private async writeIntegration(id: string, obj: Integration, status: IntegrationStatus): Promise<unknown> {
    try {
      const written = await this.patch("integrations", obj, status);
      this.refused.delete(id);
      return written;
    } catch (e) {
      const code = errorCode(e);
      if (code === undefined || code === 409 || code === 429 || (code >= 500 && code !== 500)) throw e;
      const why = errorMessage(e);
      this.deps.log.warn("status write refused; writing a summary", {
        integration: `${obj.metadata.namespace}/${obj.metadata.name}`,
        code,
        error: why,
      });
      await this.deps.events.record(
        obj,
        "Warning",
        EVENT_REASONS.StatusWriteFailed,
        `the status could not be written (HTTP ${code}: ${why}); wrote a summary without per-cluster details`,
      );
      const summary: IntegrationStatus = {
        ...status,
        clusters: [],
        clustersOmitted: (status.clusters?.length ?? 0) + (status.clustersOmitted ?? 0),
      };
      this.refused.set(id, canonicalJson(status));
      return await this.patch("integrations", obj, summary);
    }
  }

  /**
   * JSON merge patch of `status` on the /status subresource, with `metadata.resourceVersion` as a
   * precondition (a stale cache gets 409, as a PUT would). Only the status is sent, not the spec, so a large
   * spec cannot make the request too large; status fields that disappeared are sent as null.
   */
  private async patch(
    plural: Plural,
    obj: Integration | IntegrationTarget,
    status: IntegrationStatus | IntegrationTargetStatus,
  ): Promise<unknown> {
    const kube = this.deps.kube;
    const { namespace = "", name = "", resourceVersion } = obj.metadata;
    const patch: Record<string, unknown> = { ...status };
    for (const k of Object.keys(obj.status ?? {})) if (!(k in patch)) patch[k] = null;
    // RBAC: integrations/status, integrationtargets/status patch
    return await kube.call("patch", () =>
      kube.api(CustomObjectsApi).patchNamespacedCustomObjectStatus(
        {
          group: GROUP,
          version: VERSION,
          namespace,
          plural,
          name,
          body: { metadata: { resourceVersion }, status: patch },
        },
        setHeaderOptions("Content-Type", "application/merge-patch+json"),
      ));
  }
}
