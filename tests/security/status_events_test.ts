/**
 * Status and Events under pressure (issue 11, defects 5 and 6): a status too large to write is bounded and
 * written, a write the API server refuses leaves a summary and a Warning Event, and a flapping component costs
 * about one status write a second and a couple of Event series, not one write and one Event per flap.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { installCrds } from "../support/crds.ts";
import { useHarness } from "../support/harness.ts";
import { eventually } from "../support/poll.ts";
import {
  adminKc,
  createIntegration,
  createNamespace,
  createTarget,
  dumpOnFailure,
  getIntegration,
  putKubeconfigSecret,
  seedFixture,
  startServe,
  waitPhase,
} from "../support/serve.ts";
import { setDeploymentStatus } from "../support/workloads.ts";

const harness = useHarness({ clusters: ["cp", "cluster-1"] });
const ns = "pressure";

Deno.test("status too large, a refused write, and a flapping component", async () => {
  const h = harness();
  const cpc = h.cluster("cp");
  await installCrds(cpc);
  const cp = adminKc(cpc);
  await createNamespace(cp, ns);
  const c1 = adminKc(h.cluster("cluster-1"));
  await seedFixture(c1, "tools/argocd/install.yaml", "argocd");
  await putKubeconfigSecret(cp, ns, "cluster-1-kubeconfig", h.cluster("cluster-1").kubeconfigYaml);
  await createTarget(cp, ns, "cluster-1", { clusterName: "cluster-1" });

  // 5,000 target names of 253 characters: a 1.3 MB spec, and a status that would be 3 MB
  const names = Array.from({ length: 5000 }, (_, i) => `t${String(i).padStart(4, "0")}-${"x".repeat(247)}`);
  await createIntegration(cp, ns, "many", { type: "flux", targetClusters: names });
  // a status the API server refuses (413) whenever it lists more than two clusters
  const vap = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: "ksit-refuse-big-status" },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [{
          apiGroups: ["ksit.io"],
          apiVersions: ["v1alpha1"],
          operations: ["UPDATE"],
          resources: ["integrations/status"],
        }],
      },
      validations: [{
        expression: "object.metadata.name != 'refused' || !has(object.status.clusters) || " +
          "size(object.status.clusters) <= 2",
        reason: "RequestEntityTooLarge",
        message: "status too large for this cluster's policy",
      }],
    },
  };
  const binding = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: "ksit-refuse-big-status" },
    spec: { policyName: "ksit-refuse-big-status", validationActions: ["Deny"] },
  };
  for (const o of [vap, binding]) {
    const r = await cpc.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(o) });
    assertEquals(r.code, 0, r.stderr);
  }
  await createIntegration(cp, ns, "refused", {
    type: "argocd",
    targetClusters: ["a", "b", "c", "d"],
  });
  await createIntegration(cp, ns, "flappy", { type: "argocd", targetClusters: ["cluster-1"] });
  // the API server loads a new policy a moment after it is created: wait until a dry-run status write with
  // three clusters is refused, or serve's first write may land before the policy is in force
  const three = ["a", "b", "c"].map((name) => ({
    name,
    phase: "Unknown",
    reason: "TargetNotFound",
    message: "-",
  }));
  await eventually(async () => {
    const r = await cpc.kubectl([
      "patch",
      "integrations.ksit.io",
      "refused",
      "-n",
      ns,
      "--subresource=status",
      "--type=merge",
      "--dry-run=server",
      "-p",
      JSON.stringify({ status: { clusters: three } }),
    ]);
    return r.code !== 0 && /status too large for this cluster's policy/.test(r.stderr) ? true : undefined;
  }, { what: "the ValidatingAdmissionPolicy in force", timeoutMs: 30_000 });

  const serve = await startServe({ kubeconfigPath: cpc.kubeconfigPath, namespace: ns });
  try {
    await dumpOnFailure([serve], async () => {
      // 5. bounded and written: every cluster counted, the worst listed, the rest omitted
      const many = await waitPhase(cp, ns, "many", "Unknown", 60_000);
      assertEquals(many.status?.summary?.targets, 5000);
      assertEquals(many.status?.summary?.unknown, 5000);
      const listed = many.status?.clusters?.length ?? 0;
      assert(listed > 0 && listed < 5000, `${listed} clusters listed`);
      assertEquals(listed + (many.status?.clustersOmitted ?? 0), 5000);
      assertMatch(many.status?.message ?? "", /no IntegrationTarget .* \(\+4999 more clusters\)/);
      const size = JSON.stringify(many.status).length;
      assert(size <= 256 * 1024, `status is ${size} bytes`);

      // a write the API server refuses: a summary without clusters, and a Warning Event that says why
      const refused = await eventually(async () => {
        const i = await getIntegration(cp, ns, "refused");
        return i.status?.phase ? i : undefined;
      }, { what: "refused: a status written", timeoutMs: 30_000 });
      assertEquals(refused.status?.clusters, []);
      assertEquals(refused.status?.clustersOmitted, 4);
      assertEquals(refused.status?.summary?.targets, 4);
      const warn = await eventually(async () => {
        const ev = await cp.makeApiClient(CoreV1Api).listNamespacedEvent({
          namespace: ns,
          fieldSelector: "involvedObject.name=refused",
        });
        return ev.items.find((e) => e.reason === "StatusWriteFailed");
      }, { what: "StatusWriteFailed Event" });
      assertEquals(warn.type, "Warning");
      assertMatch(warn.message ?? "", /HTTP 413: .*status too large for this cluster's policy.*summary/);

      // 6. 50 flaps in 9 s
      await waitPhase(cp, ns, "flappy", "Running");
      const writesBefore = statusWrites((await serve.get("/metrics")).text);
      for (let i = 0; i < 50; i++) {
        await setDeploymentStatus(c1, "argocd", "argocd-repo-server", {
          replicas: 2,
          available: i % 2 === 0 ? 0 : 2,
        });
        await new Promise((r) => setTimeout(r, 180)); // the flapping itself: a change every 180 ms
      }
      // the last state (available again) is written within a second or two
      await waitPhase(cp, ns, "flappy", "Running", 5_000);
      const writes = statusWrites((await serve.get("/metrics")).text) - writesBefore;
      const events = (await cp.makeApiClient(CoreV1Api).listNamespacedEvent({
        namespace: ns,
        fieldSelector: "involvedObject.name=flappy",
      })).items;
      const total = events.reduce((n, e) => n + (e.count ?? 1), 0);
      console.log(
        `50 flaps: ${writes} status writes, ${events.length} Event objects carrying ${total} occurrences ` +
          `(${events.map((e) => `${e.reason}×${e.count}`).join(", ")})`,
      );
      assert(writes <= 14, `${writes} status writes for 50 flaps in 9 s`);
      assert(events.length <= 3, `${events.length} Event objects`);
      assert(total >= 2, "the flaps are still counted");
    });
  } finally {
    assertEquals(await serve.stop(), 0);
    await cpc.kubectl([
      "delete",
      "validatingadmissionpolicybinding,validatingadmissionpolicy",
      "ksit-refuse-big-status",
    ]);
  }
});

/** ksit_status_writes_total{kind="Integration"} from /metrics. */
function statusWrites(metrics: string): number {
  const m = /^ksit_status_writes_total\{kind="Integration"\} (\d+)/m.exec(metrics);
  return Number(m?.[1] ?? 0);
}
