import { assert, assertEquals, assertThrows } from "../tests/support/assert.ts";
import {
  dynamicOwnership,
  fixedOwnership,
  fixedShard,
  hash32,
  rendezvousOwner,
  shardLabels,
  singleOwnership,
} from "./sharding.ts";

const targets = Array.from({ length: 3000 }, (_, i) => `ns/t${String(i).padStart(4, "0")}`);

function shares(members: string[]): Map<string, number> {
  const out = new Map<string, number>(members.map((m) => [m, 0]));
  for (const t of targets) {
    const o = rendezvousOwner(t, members)!;
    out.set(o, out.get(o)! + 1);
  }
  return out;
}

Deno.test("hash32: deterministic, and different for near-identical keys", () => {
  assertEquals(hash32("ns/t0001"), hash32("ns/t0001"));
  assert(hash32("ns/t0001") !== hash32("ns/t0002"));
  assert(hash32("a") >= 0 && hash32("a") < 2 ** 32);
});

Deno.test("rendezvous: every target has one owner, shares are even (±15 %)", () => {
  const members = ["ksit-7d9f-abcde", "ksit-7d9f-fghij", "ksit-7d9f-klmno"];
  for (const [m, n] of shares(members)) {
    assert(Math.abs(n - 1000) < 150, `${m}: ${n} of 3000`);
  }
  assertEquals(rendezvousOwner("ns/x", []), undefined);
  // the order of the member list does not matter
  for (const t of targets.slice(0, 50)) {
    assertEquals(rendezvousOwner(t, members), rendezvousOwner(t, [...members].reverse()));
  }
});

Deno.test("rendezvous: a replica that joins takes only its share; one that leaves gives only its own", () => {
  const three = ["r-a", "r-b", "r-c"];
  const four = [...three, "r-d"];
  let moved = 0;
  for (const t of targets) {
    const before = rendezvousOwner(t, three)!;
    const after = rendezvousOwner(t, four)!;
    if (before !== after) {
      moved++;
      assertEquals(after, "r-d", `${t} moved from ${before} to ${after}, not to the new replica`);
    }
  }
  assert(moved > 600 && moved < 900, `${moved} of 3000 moved (about a quarter expected)`);
  for (const t of targets) {
    const before = rendezvousOwner(t, three)!;
    const after = rendezvousOwner(t, ["r-a", "r-c"])!;
    if (before !== "r-b") assertEquals(after, before, `${t} moved although its owner stayed`);
  }
});

Deno.test("fixed shards: hash mod n, every shard gets some, flags checked", () => {
  const counts = [0, 0, 0];
  for (const t of targets) counts[fixedShard(t, 3)]!++;
  for (const c of counts) assert(c > 850 && c < 1150, `shards ${counts}`);
  const own = fixedOwnership("me", 1, 3);
  assertEquals(targets.filter((t) => own.owns(t)).length, counts[1]);
  assertThrows(() => fixedOwnership("me", 3, 3));
  assertThrows(() => fixedOwnership("me", 0, 0));
});

Deno.test("shardLabels: ksit_shard_info's labels for each mode", () => {
  assertEquals(shardLabels("r-0", singleOwnership("r-0", () => true).mode), {
    replica: "r-0",
    mode: "single",
    shard: "",
  });
  assertEquals(shardLabels("r-1", dynamicOwnership("r-1", () => ["r-1"]).mode), {
    replica: "r-1",
    mode: "dynamic",
    shard: "",
  });
  assertEquals(shardLabels("r-2", fixedOwnership("r-2", 1, 3).mode), {
    replica: "r-2",
    mode: "fixed",
    shard: "1/3",
  });
});
