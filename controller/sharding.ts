/**
 * Which `serve` replica judges which IntegrationTarget (issue 16).
 *
 * - `single`: one replica judges every target — the leader when leader election is on (followers stand by),
 *   else this process. The default, and what one replica is.
 * - `dynamic`: rendezvous (highest-random-weight) hashing of each target over the live replicas, which each
 *   hold a Lease of their own (controller/membership.ts). Every replica computes the same owner from the same
 *   member list; a member that joins or leaves moves only the targets it wins or held (about 1/n of them), as
 *   a consistent-hash ring would, without a ring to keep.
 * - `fixed`: `--shard i --shards n`, as Argo CD's ARGOCD_CONTROLLER_REPLICAS/SHARD: target → hash mod n. No
 *   membership; a replica that is down leaves its share unjudged until it is back.
 */

/** 32-bit FNV-1a, then murmur3's finalizer (FNV alone mixes the last characters poorly). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The member with the highest weight for `key` (ties: the smaller name); undefined without members. */
export function rendezvousOwner(key: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const m of members) {
    const w = hash32(`${m}\u0000${key}`);
    if (w > bestWeight || (w === bestWeight && best !== undefined && m < best)) {
      best = m;
      bestWeight = w;
    }
  }
  return best;
}

/** `--shard i --shards n`: the shard of `key`. */
export function fixedShard(key: string, shards: number): number {
  return hash32(key) % shards;
}

export interface Ownership {
  /** This replica judges `targetKey` (namespace/name) now. */
  owns(targetKey: string): boolean;
  /** Who judges `targetKey` as far as this replica knows (for logs and `judgedBy`). */
  ownerOf(targetKey: string): string | undefined;
  /** The replicas sharing the targets now (this one included when it takes part). */
  members(): readonly string[];
  /** `single`, `dynamic` or `fixed i/n`, for logs and metrics. */
  readonly mode: string;
}

/** One replica judges all (the leader, with leader election). */
export function singleOwnership(identity: string, active: () => boolean): Ownership {
  return {
    mode: "single",
    owns: () => active(),
    ownerOf: () => (active() ? identity : undefined),
    members: () => (active() ? [identity] : []),
  };
}

/** `--shard i --shards n`. */
export function fixedOwnership(identity: string, shard: number, shards: number): Ownership {
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`--shards ${shards}: must be 1 or more`);
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards) {
    throw new Error(`--shard ${shard}: must be 0 … ${shards - 1} (--shards ${shards})`);
  }
  return {
    mode: `fixed ${shard}/${shards}`,
    owns: (key) => fixedShard(key, shards) === shard,
    ownerOf: (key) => (fixedShard(key, shards) === shard ? identity : `shard ${fixedShard(key, shards)}`),
    members: () => [identity],
  };
}

/** Rendezvous hashing over the live members that `members()` reports (controller/membership.ts). */
export function dynamicOwnership(identity: string, members: () => readonly string[]): Ownership {
  return {
    mode: "dynamic",
    owns: (key) => rendezvousOwner(key, members()) === identity,
    ownerOf: (key) => rendezvousOwner(key, members()),
    members,
  };
}

/** ksit_shard_info's labels from `Ownership.mode` (`single`, `dynamic`, `fixed i/n`). */
export function shardLabels(replica: string, mode: string): { replica: string; mode: string; shard: string } {
  const [kind = mode, shard = ""] = mode.split(" ");
  return { replica, mode: kind, shard };
}
