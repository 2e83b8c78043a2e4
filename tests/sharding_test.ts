/**
 * Sharding (issue 16) with real `serve` processes on real API servers: three replicas with
 * `--sharding=dynamic` judge disjoint shares of 30 IntegrationTargets (each target's status.judgedBy, each
 * replica's own request metrics), roll up the same Integration statuses as one replica does, and after
 * SIGKILL of one replica the others take its targets over within the lease duration plus 10 s and judge
 * them (a failure on a taken-over target shows); the killed replica's Lease is deleted by the survivors when it
 * expires, and a replacement takes its share without waiting for the dead one.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Integration, IntegrationTarget } from "../api/types.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { installCrds } from "./support/crds.ts";
import { useHarness } from "./support/harness.ts";
import { eventually } from "./support/poll.ts";
import {
  adminKc,
  createIntegration,
  createNamespace,
  createTarget,
  dumpOnFailure,
  getIntegration,
  leaseHolder,
  putKubeconfigSecret,
  seedFixture,
  type ServeProcess,
  startServe,
  waitPhase,
} from "./support/serve.ts";
import { setDeploymentStatus } from "./support/workloads.ts";
import { CustomObjectsApi } from "@kubernetes/client-node";

const harness = useHarness({ clusters: ["cp", "w1"] });
const TARGETS = 30;
const LEASE_S = 6;

let seeded: Promise<void> | undefined;
/** Namespace `ns` on the control plane with TARGETS targets (all on w1) and two Integrations selecting them. */
async function fleet(ns: string): Promise<KubeConfig> {
  const h = harness();
  seeded ??= (async () => {
    await installCrds(h.cluster("cp"));
    await seedFixture(adminKc(h.cluster("w1")), "tools/argocd/install.yaml", "argocd");
    await seedFixture(adminKc(h.cluster("w1")), "tools/flux/install.yaml", "flux-system");
  })();
  await seeded;
  const cp = adminKc(h.cluster("cp"));
  await createNamespace(cp, ns);
  for (let i = 0; i < TARGETS; i++) {
    const name = `t${String(i).padStart(2, "0")}`;
    await putKubeconfigSecret(cp, ns, `${name}-kubeconfig`, h.cluster("w1").kubeconfigYaml);
    await createTarget(cp, ns, name, { clusterName: name }, { fleet: "all" });
  }
  for (const type of ["argocd", "flux"] as const) {
    await createIntegration(cp, ns, type, { type, targetSelector: { matchLabels: { fleet: "all" } } });
  }
  return cp;
}

async function targets(cp: KubeConfig, ns: string): Promise<IntegrationTarget[]> {
  const list = await cp.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: "ksit.io",
    version: "v1alpha1",
    namespace: ns,
    plural: "integrationtargets",
  }) as { items: IntegrationTarget[] };
  return list.items;
}

async function allRunning(cp: KubeConfig, ns: string) {
  for (const name of ["argocd", "flux"]) {
    await eventually(
      async () => (await getIntegration(cp, ns, name)).status?.healthy === `${TARGETS}/${TARGETS}`,
      {
        what: `${ns}/${name} healthy ${TARGETS}/${TARGETS}`,
        timeoutMs: 60_000,
      },
    );
  }
}

/** What must not differ between one replica and three: the status without its timestamps. */
function comparable(i: Integration) {
  const s = i.status ?? {};
  return {
    phase: s.phase,
    healthy: s.healthy,
    message: s.message,
    summary: s.summary,
    clusters: s.clusters,
    clustersOmitted: s.clustersOmitted,
    conditions: (s.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason })),
  };
}

/** Per target of `ns`: how many API requests a replica made to it, from its own request metrics. */
async function requests(p: ServeProcess, ns: string): Promise<Map<string, number>> {
  const text = (await p.get("/metrics")).text;
  const out = new Map<string, number>();
  for (
    const m of text.matchAll(
      new RegExp(`^ksit_api_requests_total\\{target="${ns}/(t\\d+)"[^}]*\\} (\\d+)`, "gm"),
    )
  ) {
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return out;
}

/** The targets a replica holds now: its reachability gauge has a series only for the targets it judges. */
async function held(p: ServeProcess, ns: string): Promise<string[]> {
  const text = (await p.get("/metrics")).text;
  return [...text.matchAll(new RegExp(`^ksit_target_reachable\\{namespace="${ns}",name="(t\\d+)"`, "gm"))]
    .map((m) => m[1]!).sort();
}

Deno.test("three replicas judge disjoint shares, roll up what one replica does, and take over from a killed one", async () => {
  const h = harness();
  const cpPath = h.cluster("cp").kubeconfigPath;

  // one replica: the reference
  const one = await fleet("shard-one");
  const single = await startServe({ kubeconfigPath: cpPath, namespace: "shard-one" });
  try {
    await dumpOnFailure([single], () => allRunning(one, "shard-one"));
  } finally {
    assertEquals(await single.stop(), 0);
  }
  const reference = await Promise.all(
    ["argocd", "flux"].map(async (n) => comparable(await getIntegration(one, "shard-one", n))),
  );

  // three replicas
  const ns = "shard-three";
  const cp = await fleet(ns);
  const args = (
    id: string,
  ) => ["--leader-elect", "--sharding=dynamic", `--identity=${id}`, `--lease-duration=${LEASE_S}s`];
  const replicas = new Map<string, ServeProcess>();
  for (const id of ["r-a", "r-b", "r-c"]) {
    replicas.set(id, await startServe({ kubeconfigPath: cpPath, namespace: ns, args: args(id) }));
  }
  try {
    await dumpOnFailure([...replicas.values()], async () => {
      await allRunning(cp, ns);
      // the shares settle: every target judged by exactly one live replica, all three have a share, and each
      // replica holds exactly the targets whose status names it (a replica started alone judged everything
      // until the others joined; that share was handed back, series and connections too)
      const byOwner = new Map<string, string[]>();
      await eventually(async () => {
        byOwner.clear();
        for (const t of await targets(cp, ns)) {
          const o = t.status?.judgedBy ?? "";
          byOwner.set(o, [...(byOwner.get(o) ?? []), t.metadata.name!]);
        }
        const owners = [...byOwner.keys()].sort().join(",");
        if (owners !== "r-a,r-b,r-c") throw new Error(`status.judgedBy names ${owners}`);
        for (const [id, p] of replicas) {
          const holds = (await held(p, ns)).join(",");
          const judged = [...(byOwner.get(id) ?? [])].sort().join(",");
          if (holds !== judged) throw new Error(`${id} holds ${holds}; status.judgedBy says ${judged}`);
        }
        return true;
      }, { what: "shares of r-a, r-b and r-c settled", timeoutMs: 30_000 });
      console.log(`shares: ${[...byOwner].map(([o, ts]) => `${o} ${ts.length}`).join(", ")}`);
      // a replica that starts while others are live never takes itself for the only one (it would judge and
      // write every target for a moment): its first member list, from the listed Leases, has r-a in it
      for (const id of ["r-b", "r-c"]) {
        const first = (await Deno.readTextFile(replicas.get(id)!.logPath)).split("\n")
          .filter((l) => l.includes('"msg":"replicas"')).map((l) => JSON.parse(l).members as string[])[0];
        assert(first?.includes("r-a"), `${id}'s first member list: ${JSON.stringify(first)}`);
      }
      // a status written over by a replica that took a target for its own (member lists disagreeing for a
      // moment) is written back by the owner at once (a status write a second), not at its next re-judgement
      // (the workload API server's next heartbeat, up to 10 s later)
      const stolen = byOwner.get("r-b")!;
      const overAt = performance.now();
      for (const name of stolen) {
        const over = await h.cluster("cp").kubectl([
          "patch",
          "integrationtarget",
          name,
          "-n",
          ns,
          "--subresource=status",
          "--type=merge",
          "-p",
          JSON.stringify({ status: { judgedBy: "r-gone" } }),
        ]);
        assertEquals(over.code, 0, over.stderr);
      }
      await eventually(async () => {
        const byName = new Map((await targets(cp, ns)).map((t) => [t.metadata.name!, t.status?.judgedBy]));
        return stolen.every((name) => byName.get(name) === "r-b");
      }, { what: `r-b writes its ${stolen.length} targets' status back over r-gone's`, timeoutMs: 15_000 });
      const backMs = Math.round(performance.now() - overAt);
      console.log(
        `${stolen.length} targets' status written back by r-b ${backMs} ms after another replica's`,
      );
      assert(backMs < 3000, `written back after ${backMs} ms`);
      const before = new Map(
        await Promise.all([...replicas].map(async ([id, p]) => [id, await requests(p, ns)] as const)),
      );
      // the same statuses as one replica (the roll-up is written by the leader alone)
      const three = await Promise.all(
        ["argocd", "flux"].map(async (n) => comparable(await getIntegration(cp, ns, n))),
      );
      assertEquals(
        JSON.parse(JSON.stringify(three).replaceAll("shard-three", "NS")),
        JSON.parse(JSON.stringify(reference).replaceAll("shard-one", "NS")),
      );

      // SIGKILL one replica (not the leader, so the roll-up writer stays): its targets move within lease + 10 s
      const leader = await leaseHolder(h.cluster("cp"), ns);
      const victim = [...replicas.keys()].find((id) => id !== leader)!;
      const orphans = byOwner.get(victim)!;
      const t0 = performance.now();
      await replicas.get(victim)!.stop("SIGKILL");
      replicas.delete(victim);
      await eventually(async () => {
        const ts = await targets(cp, ns);
        return orphans.every((name) => {
          const t = ts.find((x) => x.metadata.name === name);
          return t?.status?.judgedBy !== undefined && t.status.judgedBy !== victim;
        });
      }, {
        what: `the ${orphans.length} targets of ${victim} judged by the others`,
        timeoutMs: (LEASE_S + 10) * 1000,
        intervalMs: 100,
      });
      const takeoverMs = Math.round(performance.now() - t0);
      console.log(
        `takeover of ${orphans.length} targets after SIGKILL of ${victim}: ${takeoverMs} ms (lease ${LEASE_S} s)`,
      );
      assert(takeoverMs <= (LEASE_S + 10) * 1000, `takeover took ${takeoverMs} ms`);

      // and judged: a failure of Argo CD shows on every target, the taken-over ones included
      await setDeploymentStatus(adminKc(h.cluster("w1")), "argocd", "argocd-repo-server", {
        replicas: 1,
        available: 0,
      });
      const failed = await waitPhase(cp, ns, "argocd", "Failed", 30_000);
      assertEquals(failed.status?.summary?.failed, TARGETS, JSON.stringify(failed.status?.summary));

      // since the shares settled, a survivor sent requests only to targets it judged then or took over
      const now = await targets(cp, ns);
      for (const [id, p] of replicas) {
        const after = await requests(p, ns);
        const mine = new Set([
          ...(byOwner.get(id) ?? []),
          ...now.filter((t) => t.status?.judgedBy === id).map((t) => t.metadata.name!),
        ]);
        for (const [t, n] of after) {
          const grew = n - (before.get(id)?.get(t) ?? 0);
          assert(grew === 0 || mine.has(t), `${id} sent ${grew} requests to ${t}, which it does not judge`);
        }
      }
      const tookOver = [...replicas].filter(([id]) =>
        orphans.some((o) => now.find((t) => t.metadata.name === o)?.status?.judgedBy === id)
      );
      assert(tookOver.length > 0, "no survivor took over a target");

      // the killed replica's Lease does not stay behind: the survivors delete it when it expires (by the time
      // they took its targets over), not lease durations later
      const leases = async () =>
        (await h.cluster("cp").kubectl([
          "get",
          "leases",
          "-n",
          ns,
          "-l",
          "ksit.io/replica-of=ksit-controller",
          "-o",
          "jsonpath={.items[*].spec.holderIdentity}",
        ])).stdout.split(/\s+/).filter(Boolean).sort();
      const goneFrom = performance.now();
      await eventually(async () => !(await leases()).includes(victim), {
        what: `the Lease of ${victim} deleted by the survivors`,
        timeoutMs: LEASE_S * 1000,
      });
      console.log(
        `Lease of ${victim} gone ${Math.round(performance.now() - goneFrom)} ms after the takeover`,
      );
      assertEquals(await leases(), [...replicas.keys()].sort());

      // a replacement (a new pod, a new identity) starting now never counts the killed replica a member, and
      // takes its share from the survivors (it used to take the dead one for live a whole lease duration, while
      // the survivors handed it the targets it left to the dead one: those went unjudged)
      const joinAt = performance.now();
      replicas.set("r-d", await startServe({ kubeconfigPath: cpPath, namespace: ns, args: args("r-d") }));
      const ids = [...replicas.keys()].sort().join(",");
      await eventually(async () => {
        const owners = [...new Set((await targets(cp, ns)).map((t) => t.status?.judgedBy ?? ""))].sort();
        if (owners.join(",") !== ids) throw new Error(`status.judgedBy names ${owners.join(",")}`);
        return true;
      }, { what: `shares of ${ids} settled`, timeoutMs: 30_000 });
      console.log(
        `replacement r-d judges its share ${Math.round(performance.now() - joinAt)} ms after it started`,
      );
      const memberLists = (await Deno.readTextFile(replicas.get("r-d")!.logPath)).split("\n")
        .filter((l) => l.includes('"msg":"replicas"')).map((l) => JSON.parse(l).members as string[]);
      assert(memberLists.length > 0, "r-d logged no member list");
      for (const m of memberLists) assert(!m.includes(victim), `r-d counted ${victim}: ${JSON.stringify(m)}`);
    });
  } finally {
    for (const p of replicas.values()) await p.stop("SIGKILL");
  }
});
