import { assertEquals, assertMatch, assertStringIncludes, assertThrows } from "../tests/support/assert.ts";
import { memoryIo } from "./io.ts";
import { EXIT } from "./errors.ts";
import { goldenCheckResults } from "../tests/golden/fixtures.ts";
import { type CheckResult, chooseCheckView, overallPhase } from "./check_render.ts";
import { check, contextsToCheck, parseToolNamespaces } from "./check.ts";
import type { ClusterStatus, ToolType } from "../api/types.ts";
import type { CliError } from "./errors.ts";

Deno.test("check: which contexts", () => {
  const all = ["a", "b", "c"];
  assertEquals(contextsToCheck({}, {}, all, "b"), ["b"]);
  assertEquals(contextsToCheck({ context: "a, c,a" }, {}, all, "b"), ["a", "c"]);
  assertEquals(contextsToCheck({}, { allContexts: true }, all, "b"), all);
  const unknown = assertThrows(() => contextsToCheck({ context: "a,x,y" }, {}, all, "b"));
  assertEquals((unknown as CliError).reason, "UnknownContext");
  assertEquals(unknown.message, `contexts "x", "y" not found in kubeconfig; available: a, b, c`);
  assertEquals(
    (assertThrows(() => contextsToCheck({ context: "a" }, { allContexts: true }, all, "b")) as CliError)
      .reason,
    "Usage",
  );
  assertEquals((assertThrows(() => contextsToCheck({}, {}, all, "")) as CliError).reason, "UnknownContext");
});

Deno.test("check: the worst phase decides; matrix when several contexts fit", async () => {
  const results = await goldenCheckResults();
  assertEquals(overallPhase(results), "Failed");
  assertEquals(overallPhase(results.filter((r) => r.context === "kind-dev")), "Running");
  assertEquals(overallPhase([]), "Running");
  const o = { output: "table" as const, view: "list" as const, color: false, now: new Date() };
  assertEquals(chooseCheckView(results, { ...o, columns: 120 }), "matrix");
  assertEquals(chooseCheckView(results, { ...o }), "list");
  assertEquals(
    chooseCheckView(results.filter((r) => r.context === "kind-dev"), { ...o, columns: 120 }),
    "list",
  );
});

Deno.test({
  name: "check: an unreachable context is Unknown (exit 3); a progress line only on a terminal's stderr",
  // client-node may keep sockets/timers of the failed calls for a moment
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const kubeconfig = new URL("../tests/golden/kubeconfig/refused.yaml", import.meta.url).pathname;
    const tty = memoryIo({ errIsTTY: true });
    assertEquals(await check({ kubeconfig }, { type: ["flux"], timeout: 2000 }, tty), EXIT.NotHealthy);
    assertMatch(tty.stdout, /^refused\s+flux\s+flux-system\s+Unknown\s+-\s+/m);
    assertStringIncludes(tty.stderr, "checking flux on 1 context(s): 0/1 done");
    assertStringIncludes(tty.stderr, "\r\x1b[2K");
    const pipe = memoryIo();
    await check({ kubeconfig }, { type: ["flux"], timeout: 2000 }, pipe);
    assertEquals(pipe.stderr, "");
  },
});

Deno.test("check: --tool-namespace — one value for every tool (the old form), or tool=ns[,ns] per tool", () => {
  assertEquals(parseToolNamespaces(undefined), {});
  assertEquals(parseToolNamespaces("gitops"), {
    argocd: ["gitops"],
    flux: ["gitops"],
    prometheus: ["gitops"],
    istio: ["gitops"],
  });
  assertEquals(parseToolNamespaces(["istio=istio-system,istio-ingress", "argocd=gitops", "istio=edge"]), {
    istio: ["istio-system", "istio-ingress", "edge"],
    argocd: ["gitops"],
  });
  for (const bad of ["nope=x", "argocd=", "argocd=Bad_NS", "a,b,UPPER"]) {
    const err = assertThrows(() => parseToolNamespaces([bad])) as CliError;
    assertEquals(err.reason, "Usage", bad);
    assertStringIncludes(err.message, bad);
  }
});

Deno.test("check: a tool that is not installed fails the run only when asked for with --type", () => {
  const verdict = (phase: ClusterStatus["phase"]): ClusterStatus => ({ name: "c", phase });
  const r = (type: ToolType, phase: ClusterStatus["phase"]): CheckResult => ({
    context: "c",
    type,
    namespace: "ns",
    verdict: verdict(phase),
  });
  const some = [r("argocd", "Running"), r("flux", "NotInstalled")];
  assertEquals(overallPhase(some), "Running");
  assertEquals(overallPhase(some, true), "NotInstalled");
  assertEquals(overallPhase([r("flux", "NotInstalled")]), "NotInstalled");
  assertEquals(overallPhase([r("flux", "NotInstalled"), r("istio", "Degraded")]), "Degraded");
  assertEquals(overallPhase([r("flux", "NotInstalled"), r("istio", "Failed")], true), "Failed");
});
