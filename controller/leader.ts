/**
 * Leader election on a coordination.k8s.io/v1 Lease, like client-go's leaderelection: the holder renews
 * every `retryPeriodMs`; it stays leader while its last successful renew is younger than `renewDeadlineMs`;
 * another candidate takes over when the record has not changed for `leaseDurationMs` (measured on its own
 * clock, so clock skew does not matter) or when the holder released it (empty holderIdentity).
 *
 * RBAC (control plane, watched namespace): get, create, update on coordination.k8s.io leases.
 */
import { CoordinationV1Api, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import type { Clock } from "../util/clock.ts";
import type { ClusterClient } from "../kube/client.ts";
import { errorCode, errorMessage } from "../kube/errors.ts";
import type { Logger } from "../util/log.ts";
import { sleepUntilAborted } from "../util/sleep.ts";

export interface LeaderOptions {
  kube: ClusterClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  clock: Clock;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

export class LeaderElector {
  private lastRenew = -Infinity;
  private leading = false;
  private observed = "";
  private observedAt = 0;

  constructor(private readonly o: LeaderOptions) {}

  isLeader(): boolean {
    return this.leading && this.fresh();
  }

  private fresh(): boolean {
    return this.o.clock.now() - this.lastRenew < this.o.renewDeadlineMs;
  }

  /** Tries to acquire/renew until `signal` aborts; then releases the Lease if held. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const wakeIn = await this.tick();
      this.update();
      await sleepUntilAborted(Math.max(50, Math.min(this.o.retryPeriodMs, wakeIn ?? Infinity)), signal);
    }
    if (this.leading) await this.release();
    this.setLeading(false);
  }

  private update() {
    this.setLeading(this.fresh());
  }

  private setLeading(v: boolean) {
    if (v === this.leading) return;
    this.leading = v;
    if (v) {
      this.o.log.info("became leader", {
        lease: `${this.o.namespace}/${this.o.name}`,
        identity: this.o.identity,
      });
      this.o.onStartedLeading();
    } else {
      this.o.log.info("stopped leading", {
        lease: `${this.o.namespace}/${this.o.name}`,
        identity: this.o.identity,
      });
      this.o.onStoppedLeading();
    }
  }

  private get api() {
    return this.o.kube.api(CoordinationV1Api);
  }

  /** One acquire/renew attempt; returns ms until another holder's lease expires, if someone else holds it. */
  private async tick(): Promise<number | undefined> {
    const { namespace, name, identity } = this.o;
    const now = this.o.clock.now();
    const spec = (transitions: number, acquire: number) => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.o.leaseDurationMs / 1000)),
      acquireTime: new V1MicroTime(acquire),
      renewTime: new V1MicroTime(now),
      leaseTransitions: transitions,
    });
    let lease: V1Lease;
    try {
      // RBAC: leases get
      lease = await this.o.kube.call("get", () => this.api.readNamespacedLease({ name, namespace }));
    } catch (e) {
      if (errorCode(e) !== 404) {
        this.o.log.warn("lease read failed", { error: errorMessage(e) });
        return;
      }
      try {
        // RBAC: leases create
        await this.o.kube.call("create", () =>
          this.api.createNamespacedLease({
            namespace,
            body: { metadata: { name, namespace }, spec: spec(0, now) },
          }));
        this.acquired(now);
      } catch (e2) {
        this.o.log.debug("lease create failed", { error: errorMessage(e2) });
      }
      return;
    }
    const mine = lease.spec?.holderIdentity === identity;
    const left = this.heldByAnother(lease, now);
    if (left !== undefined) return left + 20; // someone else holds it
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (mine ? 0 : 1);
    const acquireMs = mine && lease.spec?.acquireTime ? lease.spec.acquireTime.valueOf() : now;
    try {
      // RBAC: leases update
      await this.o.kube.call("update", () =>
        this.api.replaceNamespacedLease({
          name,
          namespace,
          body: { ...lease, spec: { ...lease.spec, ...spec(transitions, acquireMs) } },
        }));
      this.acquired(now);
    } catch (e) {
      this.o.log.debug("lease update failed", { error: errorMessage(e), code: errorCode(e) });
    }
  }

  /**
   * Milliseconds until another holder's lease expires, or undefined when nobody else holds it: expired when
   * unchanged for a lease duration on our clock, or past renewTime + duration on the holder's.
   */
  private heldByAnother(lease: V1Lease, now: number): number | undefined {
    const holder = lease.spec?.holderIdentity ?? "";
    const record = `${holder}|${lease.spec?.renewTime?.valueOf() ?? ""}|${lease.metadata?.resourceVersion}`;
    if (record !== this.observed) {
      this.observed = record;
      this.observedAt = now;
    }
    if (holder === this.o.identity || holder === "") return undefined;
    const durationMs = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
    const renewed = lease.spec?.renewTime
      ? new Date(lease.spec.renewTime as unknown as string).valueOf()
      : NaN;
    const byObservation = this.observedAt + durationMs - now;
    const byRenewTime = Number.isNaN(renewed) ? Infinity : renewed + durationMs - now;
    const left = Math.min(byObservation, byRenewTime);
    return left > 0 ? left : undefined;
  }

  private acquired(now: number) {
    this.lastRenew = now;
  }

  /** Gives the Lease up so another instance takes over at once (not after the lease duration). */
  private async release(): Promise<void> {
    const { namespace, name, identity } = this.o;
    try {
      const lease = await this.o.kube.call("get", () => this.api.readNamespacedLease({ name, namespace }));
      if (lease.spec?.holderIdentity !== identity) return;
      await this.o.kube.call("update", () =>
        this.api.replaceNamespacedLease({
          name,
          namespace,
          body: {
            ...lease,
            spec: {
              ...lease.spec,
              holderIdentity: undefined,
              leaseDurationSeconds: 1,
              renewTime: new V1MicroTime(this.o.clock.now()),
            },
          },
        }));
      this.o.log.info("released lease", { lease: `${namespace}/${name}` });
    } catch (e) {
      this.o.log.warn("lease release failed", { error: errorMessage(e) });
    }
  }
}
