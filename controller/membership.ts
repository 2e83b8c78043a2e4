/**
 * Who the live `serve` replicas are (issue 16, `--sharding=dynamic`): each replica holds a coordination.k8s.io
 * Lease of its own, `<lease-name>-replica-<id>`, labelled `ksit.io/replica-of: <lease-name>`, renewed every
 * third of the lease duration, and deleted when the replica stops. Every replica watches those Leases; one is
 * live while its record (holder, renewTime, resourceVersion) changed within the lease duration on the
 * watcher's own clock — client-go's leader-election rule, so clock skew between pods does not matter.
 *
 * A replica counts itself as a member only while its own last renew is younger than two thirds of the lease
 * duration (the leader-election renew deadline): one that cannot renew stops judging before the others,
 * who wait a full lease duration, take its targets over — never two judging one target for longer than the
 * watch latency of a membership change.
 *
 * Why Leases (compared with Argo CD): Argo CD's application controller is a StatefulSet whose replicas learn
 * their shard from the ordinal, with dynamic distribution through a heartbeat ConfigMap; KSIT's replicas are a
 * Deployment, and a Lease per replica is the object Kubernetes has for exactly this (kube-apiserver identity
 * Leases, node heartbeats): it needs no ordinal, and a replica's departure is seen from the API alone.
 *
 * RBAC (control plane, the Lease namespace; files/sharding-rbac.yaml): coordination.k8s.io leases get, list,
 * watch, create, update, delete.
 */
import { CoordinationV1Api, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import type { ClusterClient } from "../kube/client.ts";
import { errorCode, errorMessage } from "../kube/errors.ts";
import { Informer } from "../kube/informer.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/log.ts";
import { hash32 } from "./sharding.ts";
import { sleepUntilAborted } from "../util/sleep.ts";

export const REPLICA_OF_LABEL = "ksit.io/replica-of";

export interface MembershipOptions {
  kube: ClusterClient;
  namespace: string;
  /** The leader-election Lease name; replica Leases are named and labelled after it. */
  group: string;
  identity: string;
  leaseDurationMs: number;
  clock: Clock;
  log: Logger;
  /** The member list changed (sorted identities). */
  onChange: (members: readonly string[]) => void;
}

/** A DNS-1123 Lease name for `identity` (pod names are; the default identity has an underscore). */
export function replicaLeaseName(group: string, identity: string): string {
  const clean = identity.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 180);
  return `${group}-replica-${clean}-${hash32(identity).toString(36)}`;
}

interface Seen {
  holder: string;
  record: string;
  observedAt: number;
  durationMs: number;
  resourceVersion: string;
  /** A delete of this record was sent (it stays seen, and expired, until the watch shows the Lease gone). */
  deleteSent?: boolean;
}

/**
 * When a Lease seen for the first time counts as last renewed: now (a full lease duration before it can
 * expire, as client-go's leader election does), unless its own renewTime is older than two lease durations by
 * this clock — the Lease of a replica killed a while ago, which would otherwise make a replica that starts later
 * leave that replica's share of targets unjudged for a lease duration. Not one duration: a live replica whose
 * renewals lag on a loaded machine (short leases in CI) was then taken for dead by a starting replica, which
 * grabbed its targets for a moment.
 */
function firstSight(lease: V1Lease, now: number, durationMs: number): number {
  const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime as unknown as string).getTime() : NaN;
  return Number.isFinite(renewed) && now - renewed > 2 * durationMs ? now - durationMs : now;
}

/**
 * A replica Lease unchanged for a lease duration is deleted as soon as it expires (its replica was killed:
 * nothing else would). Not later: until it is gone a replica that starts (a killed pod's replacement, seconds
 * later) takes the dead one for live for a whole lease duration after its first sight, while the survivors
 * already took its targets over — the targets that the newcomer would take from the dead one and the survivors
 * hand to the newcomer went unjudged meanwhile (bench, a replacement started after a takeover: 16 s). Safe:
 * the delete has the resourceVersion seen as a precondition, so a Lease renewed meanwhile stays, and a replica
 * that has not renewed for a lease duration stopped counting itself a member after two thirds of one; if it
 * was only slow, its next renewal creates the Lease again (a join).
 */
const GONE_AFTER_DURATIONS = 1;

export class Membership {
  private readonly informer: Informer<V1Lease>;
  private readonly seen = new Map<string, Seen>();
  private readonly leaseName: string;
  private lastRenew = -Infinity;
  private own: V1Lease | undefined;
  private current: readonly string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private collecting = false;
  private running = false;

  constructor(private readonly o: MembershipOptions) {
    this.leaseName = replicaLeaseName(o.group, o.identity);
    const selector = `${REPLICA_OF_LABEL}=${o.group}`;
    const api = o.kube.api(CoordinationV1Api);
    this.informer = new Informer<V1Lease>({
      name: `replica leases ${o.namespace}`,
      client: o.kube,
      path: `/apis/coordination.k8s.io/v1/namespaces/${o.namespace}/leases?labelSelector=${
        encodeURIComponent(selector)
      }`,
      list: () => api.listNamespacedLease({ namespace: o.namespace, labelSelector: selector }),
      onChange: () => this.recompute(),
      onState: () => this.recompute(),
      log: o.log,
      clock: o.clock,
      warnOnError: true,
      maxBackoffMs: 5_000,
    });
  }

  /** The live replicas (sorted), this one included while its Lease is fresh. */
  members(): readonly string[] {
    return this.current;
  }

  /** Renews the own Lease until `signal` aborts, then deletes it (the others take over at once). */
  async run(signal: AbortSignal): Promise<void> {
    this.running = true;
    this.informer.start();
    const period = Math.max(200, Math.floor(this.o.leaseDurationMs / 3));
    while (!signal.aborted) {
      await this.renew();
      this.recompute();
      await this.collectGone();
      await sleepUntilAborted(period, signal);
    }
    this.running = false;
    clearTimeout(this.timer);
    this.informer.stop();
    await this.remove();
    this.lastRenew = -Infinity;
    this.recompute();
  }

  private get api() {
    return this.o.kube.api(CoordinationV1Api);
  }

  private body(): V1Lease {
    const now = this.o.clock.now();
    return {
      metadata: {
        name: this.leaseName,
        namespace: this.o.namespace,
        labels: { [REPLICA_OF_LABEL]: this.o.group },
        ...(this.own?.metadata?.resourceVersion
          ? { resourceVersion: this.own.metadata.resourceVersion }
          : {}),
      },
      spec: {
        holderIdentity: this.o.identity,
        leaseDurationSeconds: Math.max(1, Math.round(this.o.leaseDurationMs / 1000)),
        renewTime: new V1MicroTime(now),
        ...(this.own?.spec?.acquireTime ? { acquireTime: this.own.spec.acquireTime } : {
          acquireTime: new V1MicroTime(now),
        }),
      },
    };
  }

  /** Creates or updates the own Lease (RBAC: leases create, get, update). */
  private async renew(): Promise<void> {
    const { namespace } = this.o;
    const name = this.leaseName;
    try {
      if (!this.own) {
        this.own = await this.o.kube.call(
          "create",
          () => this.api.createNamespacedLease({ namespace, body: this.body() }),
        )
          .catch(async (e) => {
            if (errorCode(e) !== 409) throw e;
            return await this.o.kube.call("get", () => this.api.readNamespacedLease({ name, namespace }));
          });
        if (this.own.spec?.holderIdentity !== this.o.identity) {
          this.own = await this.o.kube.call(
            "update",
            () => this.api.replaceNamespacedLease({ name, namespace, body: this.body() }),
          );
        }
      } else {
        this.own = await this.o.kube.call(
          "update",
          () => this.api.replaceNamespacedLease({ name, namespace, body: this.body() }),
        );
      }
      this.lastRenew = this.o.clock.now();
    } catch (e) {
      // a conflict or a deleted Lease: read it again next time
      if (errorCode(e) === 409 || errorCode(e) === 404) this.own = undefined;
      this.o.log.warn("replica lease renew failed", {
        lease: name,
        error: errorMessage(e),
        code: errorCode(e),
      });
    }
  }

  /**
   * Deletes the Leases of replicas gone for GONE_AFTER_DURATIONS lease durations (killed ones leave theirs), from
   * the renew loop and at each expiry, with the resourceVersion seen as a precondition: a Lease renewed meanwhile
   * stays. Any replica may do it; one pass at a time.
   */
  private async collectGone(): Promise<void> {
    if (this.collecting) return;
    this.collecting = true;
    try {
      await this.collectGoneNow();
    } finally {
      this.collecting = false;
    }
  }

  private async collectGoneNow(): Promise<void> {
    const now = this.o.clock.now();
    const { namespace } = this.o;
    for (const [name, seen] of this.seen) {
      if (
        name === this.leaseName || seen.deleteSent ||
        now - seen.observedAt < GONE_AFTER_DURATIONS * seen.durationMs
      ) continue;
      // kept in `seen` (not forgotten, which would make the next recompute see the Lease for the first time, and
      // count it live, until the watch shows the delete)
      seen.deleteSent = true;
      try {
        await this.o.kube.call("delete", () =>
          this.api.deleteNamespacedLease({
            name,
            namespace,
            body: { preconditions: { resourceVersion: seen.resourceVersion } },
          }));
        this.o.log.info("lease of a gone replica deleted", { lease: name, holder: seen.holder });
      } catch (e) {
        const code = errorCode(e);
        if (code !== 404 && code !== 409) {
          seen.deleteSent = false; // tried again next time
          this.o.log.warn("lease of a gone replica not deleted", {
            lease: name,
            error: errorMessage(e),
            code,
          });
        }
      }
    }
  }

  private async remove(): Promise<void> {
    const { namespace } = this.o;
    try {
      await this.o.kube.call(
        "delete",
        () => this.api.deleteNamespacedLease({ name: this.leaseName, namespace }),
      );
      this.o.log.info("replica lease deleted", { lease: this.leaseName });
    } catch (e) {
      if (errorCode(e) !== 404) this.o.log.warn("replica lease delete failed", { error: errorMessage(e) });
    }
  }

  /** Members from the watched Leases and the own renew; wakes again when the next one would expire. */
  private recompute(): void {
    const now = this.o.clock.now();
    const renewDeadline = this.lastRenew + (this.o.leaseDurationMs * 2) / 3;
    if (!this.informer.synced) {
      // the replica Leases are not listed (yet): the others are unknown, and taking itself for the only member
      // would have a starting replica judge (and write) every target for a moment. It takes part from the first
      // list on; a replica that cannot renew still drops out at once.
      if (renewDeadline <= now) this.publish(this.current.filter((m) => m !== this.o.identity));
      return;
    }
    const live = new Set<string>();
    let nextExpiry = Infinity;
    const names = new Set<string>();
    for (const lease of this.informer.list()) {
      const name = lease.metadata?.name ?? "";
      names.add(name);
      const holder = lease.spec?.holderIdentity ?? "";
      const record = `${holder}|${String(lease.spec?.renewTime ?? "")}|${lease.metadata?.resourceVersion}`;
      const durationMs = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
      const before = this.seen.get(name);
      const seen = before?.record === record ? before : {
        holder,
        record,
        observedAt: before ? now : firstSight(lease, now, durationMs),
        durationMs,
        resourceVersion: lease.metadata?.resourceVersion ?? "",
      };
      this.seen.set(name, seen);
      if (!holder || holder === this.o.identity) continue;
      const expiry = seen.observedAt + seen.durationMs;
      if (expiry > now) {
        live.add(holder);
        nextExpiry = Math.min(nextExpiry, expiry);
      }
    }
    for (const name of this.seen.keys()) if (!names.has(name)) this.seen.delete(name);
    if (renewDeadline > now) {
      live.add(this.o.identity);
      nextExpiry = Math.min(nextExpiry, renewDeadline);
    }
    this.publish([...live].sort());
    clearTimeout(this.timer);
    if (Number.isFinite(nextExpiry)) {
      // at an expiry: members again, and the Lease of a replica that expired is deleted at once
      this.timer = setTimeout(() => {
        this.recompute();
        if (this.running) void this.collectGone();
      }, Math.max(10, nextExpiry - now + 10));
    }
  }

  private publish(members: readonly string[]): void {
    if (members.join("\n") === this.current.join("\n")) return;
    this.o.log.info("replicas", { members, self: this.o.identity });
    this.current = members;
    this.o.onChange(members);
  }
}
