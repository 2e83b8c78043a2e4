/**
 * Hostile or broken servers behind a kubeconfig Secret (issue 11, defects 2, 3, 8): response bodies never
 * reach status, describe or logs (only a Kubernetes Status message does); redirects are not followed; a
 * server that does not answer like Kubernetes is reported as such; huge responses and watch lines are cut
 * off without growing the controller; a server that fails every watch is not probed every few seconds.
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { installCrds } from "../support/crds.ts";
import { FakeApiServer, kubernetesLike } from "../support/fake_cluster.ts";
import { type Harness, useHarness } from "../support/harness.ts";
import { eventually } from "../support/poll.ts";
import {
  adminKc,
  createIntegration,
  createNamespace,
  createTarget,
  dumpOnFailure,
  getIntegration,
  getTarget,
  putKubeconfigSecret,
  readyCondition,
  startServe,
} from "../support/serve.ts";

const harness = useHarness({ clusters: ["cp"] });
const SECRET = "aws_secret_access_key=AKIAFAKEFAKEFAKE/abcdefghijklmnop";
const page = `<html><body>instance metadata ${SECRET}</body></html>`;

let crds: Promise<void> | undefined;
async function setup(h: Harness, ns: string) {
  crds ??= installCrds(h.cluster("cp"));
  await crds;
  const cp = adminKc(h.cluster("cp"));
  await createNamespace(cp, ns);
  return cp;
}

/** A target `name` pointing at `server` (the harness CA, a token), and an Integration of type flux on it. */
async function target(h: Harness, ns: string, name: string, server: string) {
  const cp = adminKc(h.cluster("cp"));
  const kubeconfig = h.cluster("cp").kubeconfigFor({ token: `token-of-${name}` }, {
    server,
    contextName: name,
  });
  await putKubeconfigSecret(cp, ns, `${name}-kubeconfig`, kubeconfig);
  await createTarget(cp, ns, name, { clusterName: name });
  await createIntegration(cp, ns, name, { type: "flux", targetClusters: [name] });
}

async function condition(ns: string, name: string, reason: string) {
  const cp = adminKc(harness().cluster("cp"));
  const t = await eventually(async () => {
    const t = await getTarget(cp, ns, name);
    return readyCondition(t)?.reason === reason ? t : undefined;
  }, { what: `${name} ${reason}`, timeoutMs: 30_000 });
  const c = readyCondition(t);
  return { reason: c?.reason ?? "", message: c?.message ?? "" };
}

Deno.test("servers that are not Kubernetes: no body in status, no redirect followed, reported as such", async () => {
  const h = harness();
  const ns = "not-k8s";
  const cp = await setup(h, ns);
  const tls = { cert: h.pki.serving.certPem, key: h.pki.serving.keyPem };
  const elsewhere = FakeApiServer.start({ tls });
  const servers = {
    // an HTML page with a secret, at every path
    html: FakeApiServer.start({ tls, handler: () => new Response(page, { status: 200 }) }),
    // errors with the secret in the body
    errors: FakeApiServer.start({ tls, handler: () => new Response(page, { status: 500 }) }),
    // a redirect to another server (SSRF through a redirect)
    redirect: FakeApiServer.start({
      tls,
      handler: () => new Response(null, { status: 302, headers: { location: `${elsewhere.url}/version` } }),
    }),
    // a Kubernetes Status error: its message is the one thing that is quoted
    status: FakeApiServer.start({
      tls,
      handler: () =>
        new Response(
          JSON.stringify({
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            message: "you shall not pass",
            code: 403,
          }),
          { status: 403, headers: { "content-type": "application/json" } },
        ),
    }),
  };
  for (const [name, s] of Object.entries(servers)) await target(h, ns, name, s.url);
  const serve = await startServe({ kubeconfigPath: h.cluster("cp").kubeconfigPath, namespace: ns });
  // the controller's own metrics port as a target (anonymous http, as a Secret's author could write it)
  await putKubeconfigSecret(
    cp,
    ns,
    "self-kubeconfig",
    JSON.stringify({
      clusters: [{ name: "s", cluster: { server: serve.healthUrl, "insecure-skip-tls-verify": true } }],
      users: [{ name: "s", user: {} }],
      contexts: [{ name: "s", context: { cluster: "s", user: "s" } }],
      "current-context": "s",
    }),
  );
  await createTarget(cp, ns, "self", { clusterName: "self" });
  await createIntegration(cp, ns, "self", { type: "flux", targetClusters: ["self"] });
  try {
    await dumpOnFailure([serve], async () => {
      assertMatch(
        (await condition(ns, "html", "NotKubernetes")).message,
        /does not answer like a Kubernetes API server \(GET \/version: HTTP 200, not a version\)/,
      );
      assertMatch((await condition(ns, "errors", "NotKubernetes")).message, /GET \/version: HTTP 500\)/);
      assertMatch((await condition(ns, "redirect", "NotKubernetes")).message, /HTTP 302/);
      assertEquals(elsewhere.requests.length, 0, "the redirect was not followed");
      assertMatch((await condition(ns, "status", "Forbidden")).message, /you shall not pass/);
      const self = await condition(ns, "self", "NotKubernetes");
      assertMatch(self.message, /GET \/version: HTTP 404/, "the controller's own port is not an API server");

      for (const name of [...Object.keys(servers), "self"]) {
        const i = await eventually(async () => {
          const i = await getIntegration(cp, ns, name);
          return i.status?.phase === "Unknown" ? i : undefined;
        }, { what: `${name} Unknown` });
        assert(!JSON.stringify(i.status).includes("aws_secret"), `${name}: the body reached the status`);
      }
      const describe = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          "main.ts",
          "describe",
          "html",
          "-n",
          ns,
          "--kubeconfig",
          h.cluster("cp").kubeconfigPath,
        ],
        cwd: new URL("../../", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(describe.stdout);
      assertMatch(out, /NotKubernetes/);
      assert(!out.includes("aws_secret"), "describe shows no body");
      const events = await h.cluster("cp").kubectl(["get", "events", "-n", ns, "-o", "json"]);
      assert(!events.stdout.includes("aws_secret"), "no body in Events");
      assert(!(await serve.tail(5000)).includes("aws_secret"), "no body in the log");
    });
  } finally {
    assertEquals(await serve.stop(), 0);
    for (const s of [...Object.values(servers), elsewhere]) await s.close();
  }
});

Deno.test("huge responses and watch lines are cut off; the controller stays small and judges the rest", async () => {
  const h = harness();
  const ns = "huge";
  const cp = await setup(h, ns);
  const tls = { cert: h.pki.serving.certPem, key: h.pki.serving.keyPem };
  const chunk = new TextEncoder().encode("x".repeat(1024 * 1024));
  // a body larger than any bound (24 MiB, 1 MiB at a time, without a newline) — as good as endless
  const endless = () => {
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent++ < 24) ctl.enqueue(chunk);
        else ctl.close();
      },
    });
  };
  const healthy = kubernetesLike();
  const servers = {
    // a list response that never ends
    "huge-list": FakeApiServer.start({
      tls,
      handler: (req, url) =>
        url.pathname.includes("/deployments") && url.searchParams.get("watch") !== "true"
          ? new Response(endless(), { headers: { "content-type": "application/json" } })
          : healthy(req, url),
    }),
    // a watch whose one "line" never ends
    "huge-line": FakeApiServer.start({
      tls,
      handler: (req, url) =>
        url.searchParams.get("watch") === "true" && url.pathname.includes("/deployments")
          ? new Response(endless(), { headers: { "content-type": "application/json" } })
          : healthy(req, url),
    }),
  };
  for (const [name, s] of Object.entries(servers)) await target(h, ns, name, s.url);
  const serve = await startServe({
    kubeconfigPath: h.cluster("cp").kubeconfigPath,
    namespace: ns,
    args: ["--log-level=debug"],
  });
  try {
    await dumpOnFailure([serve], async () => {
      const list = await eventually(async () => {
        const i = await getIntegration(cp, ns, "huge-list");
        return i.status?.phase === "Unknown" ? i : undefined;
      }, { what: "huge-list Unknown", timeoutMs: 40_000 });
      assertMatch(list.status?.clusters?.[0]?.message ?? "", /larger than 8 MiB; refused/);
      // the endless watch line is cut at 4 MiB each time; the watch is retried with backoff (relisting, so
      // the cache stays fresh and the cluster is judged from the lists)
      await eventually(
        async () =>
          (await serve.logs()).some((l) =>
            /watch event on .* larger than 2 MiB; refused/.test(String(l.error))
          ),
        { what: `the watch line bound in serve's debug log (${serve.logPath})`, timeoutMs: 30_000 },
      );
      const rss = await serve.rssKiB();
      console.log(`serve RSS after endless responses: ${Math.round(rss / 1024)} MiB`);
      assert(rss < 300 * 1024, `RSS ${Math.round(rss / 1024)} MiB (the chart's limit is 512 MiB)`);
      assertEquals((await serve.get("/healthz")).status, 200);
    });
  } finally {
    assertEquals(await serve.stop(), 0);
    for (const s of Object.values(servers)) await s.close();
  }
});

Deno.test("a server that fails every watch is probed with backoff, not every 2 s", async () => {
  const h = harness();
  const ns = "probes";
  await setup(h, ns);
  const tls = { cert: h.pki.serving.certPem, key: h.pki.serving.keyPem };
  const healthy = kubernetesLike();
  const s = FakeApiServer.start({
    tls,
    handler: (req, url) =>
      url.searchParams.get("watch") === "true"
        ? new Response(JSON.stringify({ kind: "Status", apiVersion: "v1", message: "no watch", code: 500 }), {
          status: 500,
        })
        : healthy(req, url),
  });
  await target(h, ns, "flaky", s.url);
  const serve = await startServe({ kubeconfigPath: h.cluster("cp").kubeconfigPath, namespace: ns });
  try {
    await dumpOnFailure([serve], async () => {
      await condition(ns, "flaky", "Connected");
      const t0 = s.requests.length;
      const start = Date.now();
      await new Promise((r) => setTimeout(r, 30_000)); // a fixed observation window, not a wait for a condition
      const window = s.requests.slice(t0);
      // every probe includes GET /version (a liveness probe: /readyz with /version beside it)
      const probes = window.filter((r) => r.path === "/version").length;
      const watches = window.filter((r) => r.query.get("watch") === "true").length;
      console.log(
        `in ${
          Math.round((Date.now() - start) / 1000)
        } s: ${probes} probe requests, ${watches} failed watches`,
      );
      // before: one probe per failing watch, every ~2 s (15+ in 30 s); now: backoff 2, 4, 8, 16 s …
      assert(probes <= 6, `${probes} probes in 30 s`);
      assert(watches > 0, "the watches were retried");
    });
  } finally {
    assertEquals(await serve.stop(), 0);
    await s.close();
  }
});
