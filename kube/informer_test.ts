import { assertEquals, assertMatch } from "../tests/support/assert.ts";
import type { ClusterClient } from "./client.ts";
import { failureHint, Informer } from "./informer.ts";
import type { Logger } from "../util/log.ts";

type Entry = { level: string; msg: string; fields?: Record<string, unknown> };

function recorder(): Logger & { entries: Entry[] } {
  const entries: Entry[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void entries.push({ level, msg, ...(fields ? { fields } : {}) });
  const log = {
    entries,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    with: () => log,
  };
  return log;
}

/** A client that only runs the list calls (they fail; no watch is ever opened). */
function failingClient(): ClusterClient {
  return {
    call: async (_verb: string, fn: () => Promise<unknown>) => await fn(),
    count: () => {},
    watch: () => ({ watch: () => Promise.reject(new Error("no watch")) }),
  } as unknown as ClusterClient;
}

async function failures(code: number, path: string, warnOnError: boolean) {
  const log = recorder();
  let lists = 0;
  const informer = new Informer({
    name: "integrations ksit-system",
    client: failingClient(),
    path,
    list: () => {
      lists++;
      return Promise.reject(Object.assign(new Error(`HTTP ${code}`), { code }));
    },
    onChange: () => {},
    log,
    maxBackoffMs: 20,
    warnOnError,
  });
  informer.start();
  const deadline = Date.now() + 5_000;
  while (lists < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  informer.stop();
  return { lists, entries: log.entries };
}

Deno.test("Informer warnOnError: the first refused list of a streak is a warning with what to check, the rest debug", async () => {
  const path = "/apis/ksit.io/v1alpha1/namespaces/ksit-system/integrations";
  const { lists, entries } = await failures(404, path, true);
  assertEquals(lists >= 4, true, `retried (${lists} lists)`);
  const warns = entries.filter((e) => e.level === "warn");
  assertEquals(warns.length, 1, JSON.stringify(entries));
  assertEquals(warns[0]!.msg, "cannot list and watch; retrying");
  assertEquals(warns[0]!.fields?.informer, "integrations ksit-system");
  assertMatch(
    String(warns[0]!.fields?.hint),
    /KSIT CRDs are not installed: kubectl get crd integrations\.ksit\.io/,
  );
  assertEquals(entries.filter((e) => e.level === "debug").length >= 3, true);
});

Deno.test("Informer without warnOnError (workload caches): failures stay at debug level", async () => {
  const { entries } = await failures(403, "/apis/apps/v1/namespaces/argocd/deployments", false);
  assertEquals(entries.filter((e) => e.level !== "debug"), []);
});

Deno.test("failureHint: CRDs for 404 on ksit.io, RBAC with a kubectl auth can-i for 403, credentials for 401", () => {
  assertMatch(
    failureHint(404, { path: "/apis/ksit.io/v1alpha1/integrationtargets" }),
    /^the KSIT CRDs are not installed/,
  );
  assertEquals(
    failureHint(403, { path: "/api/v1/namespaces/ksit-system/secrets?labelSelector=a%3Db" }),
    "RBAC: the controller's ServiceAccount may not list and watch secrets; check the Role and RoleBinding of " +
      "the Helm chart: kubectl auth can-i list secrets -n ksit-system " +
      "--as=system:serviceaccount:ksit-system:<serviceaccount>",
  );
  assertMatch(
    failureHint(403, { path: "/apis/ksit.io/v1alpha1/integrations" }),
    /can-i list integrations -A/,
  );
  assertMatch(failureHint(401, { path: "/api/v1/secrets" }), /credentials/);
});
