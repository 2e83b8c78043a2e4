/**
 * The dashboard end to end, in headless Chromium (tests/support/browser.ts), on real API servers: a control
 * plane and two live workload clusters set up like the quickstart (the same tool installs, deploy/samples/,
 * targets labelled env=demo), `serve --ui-addr` and `kubectl ksit dashboard` as real processes.
 *
 * - the matrix shows every sample Integration on its clusters; a component broken with `kubectl set image`
 *   turns its cell Degraded without a reload, the drill-downs show the component, the phase timeline and the
 *   Warning Event; `kubectl rollout undo` turns it back;
 * - no byte of a kubeconfig Secret (token, key, certificate) reaches any payload of the page;
 * - hostile names and labels render as text (no script runs, no dialog opens);
 * - the page says "connection lost" when the dashboard process goes away; both processes exit 0 on SIGTERM
 *   with a page still connected.
 *
 * Screenshots go to .ksit/screenshots/; with KSIT_UPDATE_SCREENSHOTS=1 also to docs/ (README shows them).
 */
import { decodeBase64 } from "../util/base64.ts";
import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import { Browser, type Page } from "./support/browser.ts";
import { installCrds } from "./support/crds.ts";
import { rollBack, rollOutBadImage } from "./support/faults.ts";
import { trackChild, useHarness } from "./support/harness.ts";
import { installTool, waitRolledOut } from "./support/live_workloads.ts";
import { eventually } from "./support/poll.ts";
import { freePort } from "./support/ports.ts";
import {
  adminKc,
  createIntegration,
  createNamespace,
  createTarget,
  dumpOnFailure,
  putKubeconfigSecret,
  startServe,
  waitPhase,
} from "./support/serve.ts";

const root = new URL("../", import.meta.url).pathname;
const NS = "ksit-system";
const harness = useHarness({ clusters: ["cp", "cluster-1", "cluster-2"], live: ["cluster-1", "cluster-2"] });

/** The quickstart's installs (scripts/quickstart.ts). */
const TOOLS: Record<string, { fixture: string; namespace: string }[]> = {
  "cluster-1": [
    { fixture: "tools/argocd/install.yaml", namespace: "argocd" },
    { fixture: "tools/flux/install.yaml", namespace: "flux-system" },
    { fixture: "tools/prometheus/kps-prometheus.yaml", namespace: "monitoring" },
    { fixture: "tools/istio/default.yaml", namespace: "istio-system" },
  ],
  "cluster-2": [
    { fixture: "tools/argocd/helm-argo.yaml", namespace: "argocd" },
    { fixture: "tools/prometheus/kps-kps.yaml", namespace: "monitoring" },
    { fixture: "tools/istio/revisioned.yaml", namespace: "istio-system" },
  ],
};

const DECOY_TOKEN = "ksit-decoy-token-must-never-reach-the-page-0123456789";

async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(`${root}.ksit/screenshots`, { recursive: true });
  await page.screenshot(`${root}.ksit/screenshots/${name}`);
  if (Deno.env.get("KSIT_UPDATE_SCREENSHOTS") === "1") {
    await Deno.copyFile(`${root}.ksit/screenshots/${name}`, `${root}docs/${name}`);
  }
}

/** `kubectl ksit dashboard` as a process; resolves with its URL once it listens. */
async function startDashboard(kubeconfig: string, args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "dashboard", "--kubeconfig", kubeconfig, "--port", "0", ...args],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  trackChild(child.pid);
  let out = "";
  let err = "";
  const errDone = (async () => {
    for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) err += c;
  })();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const url = await eventually(async () => {
    const { value, done } = await reader.read();
    if (done) throw new Error(`dashboard exited: ${out}${err}`);
    out += value;
    return /KSIT dashboard: (http:\/\/\S+)/.exec(out)?.[1];
  }, { timeoutMs: 60_000, intervalMs: 1, what: "dashboard URL" });
  const outDone = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
  })();
  return {
    url,
    output: () => out + err,
    async stop(): Promise<number> {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 15_000);
      const s = await child.status;
      clearTimeout(timer);
      await Promise.all([outDone, errDone]);
      return s.code;
    },
  };
}

/** Every phase shown in the matrix: { "integration@cluster": phase }. */
async function cells(page: Page): Promise<Record<string, string>> {
  return await page.eval(`(() => {
    const out = {};
    for (const row of document.querySelectorAll(".mrow")) {
      const cluster = row.dataset.cluster.split("/").slice(1).join("/");
      for (const c of row.querySelectorAll(".cell[data-phase]")) {
        out[c.dataset.integration.split("/")[1] + "@" + cluster] = c.dataset.phase;
      }
    }
    return out;
  })()`);
}

Deno.test("dashboard on live clusters: serve --ui-addr and kubectl ksit dashboard show the fleet, a broken component without a reload, drill-downs with components, timeline and Events; no Secret bytes; hostile strings as text", async () => {
  const h = harness();
  const cp = h.cluster("cp");
  await installCrds(cp);
  await Promise.all(
    Object.entries(TOOLS).flatMap(([cluster, tools]) =>
      tools.map((t) => installTool(h.cluster(cluster), t.fixture, t.namespace))
    ),
  );
  const c1 = h.cluster("cluster-1");
  const kc = adminKc(cp);
  await createNamespace(kc, NS);
  for (const name of ["cluster-1", "cluster-2"]) {
    await putKubeconfigSecret(kc, NS, `${name}-kubeconfig`, h.cluster(name).kubeconfigYaml);
    await createTarget(kc, NS, name, { clusterName: name }, {
      env: "demo",
      region: name === "cluster-1" ? "eu" : "us",
    });
  }
  // a Secret that is not a target's: its token must not reach the page either
  await putKubeconfigSecret(kc, NS, "decoy-kubeconfig", c1.kubeconfigFor({ token: DECOY_TOKEN }));
  const applied = await cp.kubectl(["apply", "-n", NS, "-f", `${root}deploy/samples/`]);
  assertEquals(applied.code, 0, applied.stderr);

  const uiPort = freePort();
  const serve = await startServe({
    kubeconfigPath: cp.kubeconfigPath,
    namespace: NS,
    args: ["--ui-addr", `127.0.0.1:${uiPort}`],
  });
  const browser = await Browser.launch();
  console.log(`browser: ${browser.version}`);
  let dash: Awaited<ReturnType<typeof startDashboard>> | undefined;
  try {
    await dumpOnFailure([serve], async () => {
      for (const name of ["argocd", "flux", "istio", "prometheus"]) {
        await waitPhase(kc, NS, name, "Running", 60_000);
      }
      const page = await browser.newPage({ width: 1280, height: 640 });
      const ui = `http://127.0.0.1:${uiPort}/ui/`;
      await page.goto(ui);
      await page.waitFor("document.body.dataset.conn === 'live'", { what: "serve's dashboard live" });
      await page.eval("window.__sameDocument = true");
      const want = {
        "argocd@cluster-1": "Running",
        "argocd@cluster-2": "Running",
        "flux@cluster-1": "Running",
        "istio@cluster-1": "Running",
        "istio@cluster-2": "Running",
        "prometheus@cluster-1": "Running",
        "prometheus@cluster-2": "Running",
      };
      await page.waitFor(
        `(${JSON.stringify(Object.keys(want))}).every((k) => document.querySelector(
        ".mrow[data-cluster='${NS}/" + k.split("@")[1] + "'] .cell[data-integration='${NS}/" + k.split("@")[0] +
        "'][data-phase='Running']"))`,
        { what: "every sample Running in the matrix" },
      );
      assertEquals(await cells(page), want);
      assertStringIncludes(
        await page.eval<string>("document.getElementById('totals').textContent"),
        "2clusters",
      );
      await page.viewport(1280, 330);
      await new Promise((r) => setTimeout(r, 100)); // a frame at the new size
      await screenshot(page, "dashboard.png");
      await page.viewport(1280, 720);

      // break argocd-repo-server on cluster-1: the cell turns Degraded without a reload
      const t0 = performance.now();
      await rollOutBadImage(c1, "argocd", "argocd-repo-server");
      await page.waitFor(
        `document.querySelector(".mrow[data-cluster='${NS}/cluster-1'] .cell[data-integration='${NS}/argocd']")` +
          `?.dataset.phase === 'Degraded'`,
        { timeoutMs: 30_000, what: "argocd@cluster-1 Degraded on the page" },
      );
      console.log(
        `dashboard (live): kubectl set image → cell Degraded on the page in ${
          Math.round(performance.now() - t0)
        } ms`,
      );
      assertEquals(await page.eval("window.__sameDocument"), true, "no reload");
      const tip = await page.eval<string>(
        `document.querySelector(".mrow[data-cluster='${NS}/cluster-1'] .cell[data-integration='${NS}/argocd']").title`,
      );
      assertStringIncludes(tip, "argocd-repo-server");
      // worst first: cluster-1 is the first row, argocd the first column
      assertEquals(await page.eval("document.querySelector('.mrow').dataset.cluster"), `${NS}/cluster-1`);
      assertEquals(
        await page.eval("document.querySelector('.hcell[data-integration]').dataset.integration"),
        `${NS}/argocd`,
      );

      // cluster drill-down: every tool's components with ready counts and reasons
      await page.eval(
        `document.querySelector(".mrow[data-cluster='${NS}/cluster-1'] .cell[data-integration='${NS}/argocd']").click()`,
      );
      await page.waitFor("document.getElementById('panel').dataset.kind === 'cluster'");
      const panel = await page.waitFor<string>(
        "(() => { const t = document.getElementById('panel').textContent; return t.includes('argocd-repo-server') && t; })()",
        { what: "components in the cluster panel" },
      );
      for (const s of ["RolloutInProgress", "argocd-server", "source-controller", "istiod", "2/2"]) {
        assertStringIncludes(panel, s);
      }
      await screenshot(page, "dashboard-cluster.png");

      // integration drill-down: conditions, the phase timeline Running → Degraded, the Warning Event (once serve
      // has recorded it: the page reads Events when the Integration is opened)
      await eventually(async () => {
        const r = await cp.kubectl([
          "get",
          "events",
          "-n",
          NS,
          "--field-selector",
          "involvedObject.name=argocd,type=Warning",
          "-o",
          "name",
        ]);
        return r.code === 0 && r.stdout.trim() !== "";
      }, { timeoutMs: 30_000, what: "the Warning Event of argocd" });
      await page.eval(`document.querySelector(".hcell[data-integration='${NS}/argocd']").click()`);
      const ipanel = await page.waitFor<string>(
        "(() => { const p = document.getElementById('panel'); const t = p.textContent; " +
          "return p.dataset.kind === 'integration' && t.includes('Warning') && t; })()",
        { timeoutMs: 30_000, what: "integration panel with its Warning Event" },
      );
      for (const s of ["Conditions", "Ready", "Phase timeline", "Degraded", "Running", "cluster-1"]) {
        assertStringIncludes(ipanel, s);
      }
      const transitions = await page.eval<string[]>(
        "[...document.querySelectorAll('.transitions li')].map((l) => l.textContent)",
      );
      assert(transitions.some((t) => /Running\s*→\s*Degraded/.test(t)), transitions.join("\n"));
      await screenshot(page, "dashboard-integration.png");

      // repair: the cell turns back
      await rollBack(c1, "argocd", "argocd-repo-server");
      await waitRolledOut(c1, "argocd", ["deployment/argocd-repo-server"]);
      await page.waitFor(
        `document.querySelector(".mrow[data-cluster='${NS}/cluster-1'] .cell[data-integration='${NS}/argocd']")` +
          `?.dataset.phase === 'Running'`,
        { timeoutMs: 30_000, what: "argocd@cluster-1 Running again" },
      );
      assertEquals(page.problems, []);
      assertEquals(page.dialogs, []);

      // no Secret bytes in anything the page can read
      const secretBytes = [DECOY_TOKEN];
      for (const name of ["cluster-1", "cluster-2"]) {
        const y = h.cluster(name).kubeconfigYaml;
        for (const field of ["client-key-data", "client-certificate-data", "certificate-authority-data"]) {
          const b64 = new RegExp(`${field}: (\\S+)`).exec(y)?.[1];
          assert(b64, `${field} in the admin kubeconfig`);
          secretBytes.push(b64.slice(0, 64));
          const pem = new TextDecoder().decode(decodeBase64(b64));
          secretBytes.push(pem.split("\n")[1]!); // the first base64 line of the PEM body
        }
      }
      const payloads = [
        await (await fetch(`${ui}api/view`)).text(),
        await (await fetch(`${ui}api/cluster?id=${encodeURIComponent(`${NS}/cluster-1`)}`)).text(),
        await (await fetch(`${ui}api/cluster?id=${encodeURIComponent(`${NS}/cluster-2`)}`)).text(),
        ...await Promise.all(
          ["argocd", "flux", "istio", "prometheus"].map(async (n) =>
            await (await fetch(`${ui}api/integration?id=${encodeURIComponent(`${NS}/${n}`)}`)).text()
          ),
        ),
        await page.eval<string>("document.documentElement.outerHTML"),
      ];
      for (const p of payloads) {
        for (const s of secretBytes) {
          assert(!p.includes(s), `secret bytes reached the page: ${s.slice(0, 12)}…`);
        }
        assert(
          !/kubeconfig:|apiVersion: v1\s+kind: Config|BEGIN (RSA |EC )?PRIVATE KEY/.test(p),
          "kubeconfig text",
        );
      }
      assertStringIncludes(payloads[1]!, "argocd-repo-server");

      // the same fleet through kubectl ksit dashboard (the user's kubeconfig, list + watch)
      dash = await startDashboard(cp.kubeconfigPath, ["-n", NS]);
      assert(dash.url.startsWith("http://127.0.0.1:"), dash.url);
      const local = await browser.newPage({ width: 1280, height: 640 });
      await local.goto(dash.url);
      await local.waitFor("document.body.dataset.conn === 'live'", { what: "kubectl ksit dashboard live" });
      await local.waitFor(`document.querySelectorAll(".cell[data-phase='Running']").length === 7`);
      assertEquals(await cells(local), want);
      assertStringIncludes(
        await local.eval<string>("document.getElementById('source').textContent"),
        "context cp",
      );
      const localPayloads = [
        await (await fetch(`${dash.url}api/view`)).text(),
        await (await fetch(`${dash.url}api/cluster?id=${encodeURIComponent(`${NS}/cluster-1`)}`)).text(),
        await (await fetch(`${dash.url}api/integration?id=${encodeURIComponent(`${NS}/argocd`)}`)).text(),
      ];
      for (const p of localPayloads) {
        for (const s of secretBytes) {
          assert(!p.includes(s), `secret bytes reached the local page: ${s.slice(0, 12)}…`);
        }
      }

      // hostile strings: a target whose labels hold markup, an Integration naming a cluster that is markup
      const evil = `<img src=x onerror="window.__xss=1;alert(document.domain)">`;
      await createTarget(kc, NS, "evil", {
        clusterName: "evil",
        labels: { team: `<script>window.__xss=2</script>` },
      });
      await createIntegration(kc, NS, "hostile", { type: "istio", targetClusters: [evil] });
      await local.waitFor(
        `[...document.querySelectorAll('.rcell .name')].some((e) => e.textContent === ${
          JSON.stringify(evil)
        })`,
        { timeoutMs: 30_000, what: "the hostile cluster name as text" },
      );
      await local.eval(`[...document.querySelectorAll('.rcell')].find((b) =>
        b.textContent.startsWith('<img')).click()`);
      await local.waitFor(
        `document.querySelector('#panel h2 span:last-child')?.textContent === ${JSON.stringify(evil)}`,
      );
      assert(
        await local.eval<boolean>(`[...document.querySelectorAll('#f-label option')].some((o) =>
          o.textContent === 'team=<script>window.__xss=2</script>')`),
        "the hostile label value is an option's text",
      );
      await new Promise((r) => setTimeout(r, 300));
      assertEquals(await local.eval("typeof window.__xss"), "undefined");
      assertEquals(await local.eval("document.querySelectorAll('img, script:not([src])').length"), 0);
      assertEquals(local.dialogs, []);
      assertEquals(local.problems, []);

      // the dashboard process goes away (exit 0 with a page connected): the page says so
      assertEquals(await dash.stop(), 0, dash.output());
      dash = undefined;
      await local.waitFor("document.body.dataset.conn === 'lost'", {
        timeoutMs: 15_000,
        what: "connection lost",
      });
      assertStringIncludes(
        await local.eval<string>("document.getElementById('conn').textContent"),
        "connection lost",
      );
      await local.close();
      await page.close();
    });
  } finally {
    if (dash) await dash.stop();
    await browser.close();
    // serve exits 0 on SIGTERM even with a dashboard stream open
    const stream = await fetch(`http://127.0.0.1:${uiPort}/ui/api/stream`).catch(() => undefined);
    const reader = stream?.body?.getReader();
    await reader?.read().catch(() => {});
    assertEquals(await serve.stop(), 0, "serve exits 0 on SIGTERM");
    await reader?.cancel().catch(() => {});
  }
});
