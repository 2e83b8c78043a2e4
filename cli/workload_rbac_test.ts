import { assert, assertEquals } from "../tests/support/assert.ts";
import { parse, parseAllDocuments } from "yaml";
import { manifestPath, workloadRbac } from "./workload_rbac.ts";
import { parseLabels } from "./target_add.ts";
import { CliError } from "./errors.ts";
import { compileArgs, outputName, TARGETS } from "../scripts/compile.ts";
import { V8_FLAGS_ARG } from "../scripts/v8_flags.ts";

Deno.test("workload RBAC: the embedded deploy/workload-rbac files, read-only", () => {
  const m = workloadRbac();
  assertEquals(m.map((x) => `${x.kind}/${x.metadata.name}`), [
    "Namespace/ksit-system",
    "ServiceAccount/ksit-reader",
    "ClusterRole/ksit-reader",
    "ClusterRoleBinding/ksit-reader",
    "Role/ksit-reader-heartbeat",
    "RoleBinding/ksit-reader-heartbeat",
  ]);
  // the heartbeat: only Leases, only kube-system, read-only
  const heartbeat = m[4] as unknown as {
    metadata: { namespace: string };
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  };
  assertEquals(heartbeat.metadata.namespace, "kube-system");
  assertEquals(heartbeat.rules, [{
    apiGroups: ["coordination.k8s.io"],
    resources: ["leases"],
    verbs: ["get", "list", "watch"],
  }]);
  assertEquals(
    (m[1] as unknown as { automountServiceAccountToken: boolean }).automountServiceAccountToken,
    false,
  );
  const role = m[2] as unknown as {
    rules: { apiGroups?: string[]; resources?: string[]; verbs: string[] }[];
  };
  const granted = new Set<string>();
  for (const r of role.rules) {
    assert(r.verbs.every((v) => ["get", "list", "watch"].includes(v)), `read-only verbs: ${r.verbs}`);
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) granted.add(`${g}/${res}`);
  }
  for (
    const need of [
      "apps/deployments",
      "apps/statefulsets",
      "apps/daemonsets",
      "discovery.k8s.io/endpointslices",
      "/endpoints",
    ]
  ) {
    assert(granted.has(need), need);
  }
  assertEquals(manifestPath(m[0]!), "/api/v1/namespaces/ksit-system");
  assertEquals(manifestPath(m[1]!), "/api/v1/namespaces/ksit-system/serviceaccounts/ksit-reader");
  assertEquals(manifestPath(m[2]!), "/apis/rbac.authorization.k8s.io/v1/clusterroles/ksit-reader");
});

Deno.test("target add: --label parsing", () => {
  assertEquals(parseLabels(["env=prod", "team.example.com/owner=sre", "empty="]), {
    env: "prod",
    "team.example.com/owner": "sre",
    empty: "",
  });
  for (const bad of ["novalue", "=x", "bad key=x", "k=bad value", "k=" + "x".repeat(64)]) {
    let err: unknown;
    try {
      parseLabels([bad]);
    } catch (e) {
      err = e;
    }
    assert(err instanceof CliError && err.reason === "Usage", bad);
  }
});

Deno.test("deno task compile: six targets named kubectl-ksit-<os>-<arch>, with the V8 flags of the image", async () => {
  assertEquals(TARGETS.map(outputName), [
    "kubectl-ksit-linux-amd64",
    "kubectl-ksit-linux-arm64",
    "kubectl-ksit-darwin-amd64",
    "kubectl-ksit-darwin-arm64",
    "kubectl-ksit-windows-amd64.exe",
    "kubectl-ksit-windows-arm64.exe",
  ]);
  const args = compileArgs(TARGETS[3]!, "dist");
  assertEquals(args.slice(0, 1), ["compile"]);
  assert(args.includes("aarch64-apple-darwin") && args.includes("dist/kubectl-ksit-darwin-arm64"));
  assertEquals(args[args.length - 1], "main.ts");
  // the V8 flags every binary runs with (scripts/v8_flags.ts): the release binaries and the image alike
  assert(args.includes(V8_FLAGS_ARG), args.join(" "));
  const dockerfile = await Deno.readTextFile(new URL("../deploy/Dockerfile", import.meta.url));
  assert(
    /deno compile .*--v8-flags=\S+/.test(dockerfile),
    "deploy/Dockerfile: deno compile without --v8-flags",
  );
  assertEquals(dockerfile.match(/deno compile .*(--v8-flags=\S+)/)?.[1], V8_FLAGS_ARG);
});

Deno.test("workload RBAC: the per-namespace Role has the ClusterRole's resource rules", async () => {
  const dir = new URL("../deploy/workload-rbac/", import.meta.url);
  const cluster = parse(await Deno.readTextFile(new URL("clusterrole.yaml", dir)));
  const [role, binding] = parseAllDocuments(await Deno.readTextFile(new URL("namespaced-role.yaml", dir)))
    .map((d) => d.toJSON());
  assertEquals(role.kind, "Role");
  assertEquals(role.rules, cluster.rules.filter((r: { nonResourceURLs?: string[] }) => !r.nonResourceURLs));
  assertEquals(binding.kind, "RoleBinding");
  assertEquals(binding.subjects, [{ kind: "ServiceAccount", name: "ksit-reader", namespace: "ksit-system" }]);
});
