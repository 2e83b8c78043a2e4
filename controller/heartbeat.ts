/**
 * Is a workload cluster's API server still able to serve reads? Known without polling it.
 *
 * `GET /version` does not touch etcd, and open watches stay up when etcd dies or the API server hangs, so
 * neither tells whether the cluster can still serve reads. What does: kube-apiserver renews its identity
 * Lease (namespace kube-system, label `apiserver.kubernetes.io/identity=kube-apiserver`) every 10 s, through
 * etcd. A watch on those Leases therefore sees an event about every 10 s while some API server of the
 * cluster and its etcd work, and nothing when the server hangs, is black-holed or has lost etcd. One watch
 * per target, no polling: `lastBeat` is the time of the last event, and the controller asks `/readyz` only
 * when a beat is late (see controller.ts), so a quiet but healthy cluster never flaps.
 *
 * Where the Leases cannot be watched (RBAC not granted, or a cluster without API server identity leases:
 * Kubernetes < 1.26 or the feature turned off), `source` is `none` and the controller probes `/readyz`
 * every `LIVENESS_PROBE_MS` instead.
 *
 * RBAC on the workload cluster (deploy/workload-rbac): get, list, watch on coordination.k8s.io leases in
 * kube-system.
 */
import { CoordinationV1Api, type V1Lease } from "@kubernetes/client-node";
import type { Clock } from "../util/clock.ts";
import { Informer } from "../kube/informer.ts";
import type { ClusterClient } from "../kube/client.ts";
import { errorCode } from "../kube/errors.ts";
import type { Logger } from "../util/log.ts";

export const IDENTITY_LEASE_SELECTOR = "apiserver.kubernetes.io/identity=kube-apiserver";

/** kube-apiserver renews its identity lease every 10 s (`--identity-lease-renew-interval-seconds`). */
export const LEASE_RENEW_MS = 10_000;

/**
 * A beat later than this makes the controller probe `/readyz` (2.5 s deadline): the renewal period plus 1 s
 * for its jitter (≤ 4 %) and the etcd write, so a target that cannot serve reads is Unknown within
 * 11 + 0.5 (tick) + 2.5 (probe) = 14 s of its last renewal. A late beat of a healthy server costs one probe
 * that answers, never a flap.
 */
export const HEARTBEAT_LATE_MS = 11_000;

/** Liveness probe period where no Lease can be watched. */
export const LIVENESS_PROBE_MS = 10_000;

export type HeartbeatSource = "pending" | "lease" | "none";

export class Heartbeat {
  /** Time of the last Lease event (ms), or undefined before the first. */
  lastBeat: number | undefined;
  source: HeartbeatSource = "pending";
  private readonly informer: Informer<V1Lease>;

  constructor(
    client: ClusterClient,
    private readonly clock: Clock,
    log: Logger,
    /**
     * Called with `beat` on the first beat after a silence (the server is back), with `state` when the
     * watch broke, recovered, or `source` changed.
     */
    private readonly notify: (kind: "beat" | "state") => void,
  ) {
    const coordination = client.api(CoordinationV1Api);
    this.informer = new Informer<V1Lease>({
      name: `apiserver leases ${client.target}`,
      client,
      path: `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases?labelSelector=${
        encodeURIComponent(IDENTITY_LEASE_SELECTOR)
      }`,
      list: () =>
        coordination.listNamespacedLease({
          namespace: "kube-system",
          labelSelector: IDENTITY_LEASE_SELECTOR,
        }),
      onChange: () => this.beat(),
      onState: () => this.onState(),
      log,
      // RBAC missing is not fixed by retrying every few seconds
      maxBackoffMs: 120_000,
    });
  }

  start(): void {
    this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  /** A fresh list + watch (the server answered a probe while this watch stayed silent). */
  restart(): void {
    this.informer.restart();
  }

  /** The beat is late (`source` lease, last beat older than HEARTBEAT_LATE_MS). */
  late(now: number): boolean {
    return this.source === "lease" && this.lastBeat !== undefined && now - this.lastBeat > HEARTBEAT_LATE_MS;
  }

  private beat(): void {
    const now = this.clock.now();
    const silent = this.lastBeat === undefined || now - this.lastBeat > HEARTBEAT_LATE_MS;
    this.lastBeat = now;
    if (this.source !== "lease") this.source = "lease";
    if (silent) this.notify("beat");
  }

  private onState(): void {
    const code = errorCode(this.informer.lastError);
    if (code === 401 || code === 403 || code === 404) {
      this.source = "none";
    } else if (this.informer.synced && this.informer.list().length === 0) {
      this.source = "none";
    }
    this.notify("state");
  }
}
