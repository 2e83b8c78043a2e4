/**
 * The dashboard page in headless Chromium (tests/support/browser.ts), served by the real UI app (ui/app.ts)
 * over a synthetic fleet in memory: rendering 1,000 clusters × 4 tools (times printed, never asserted),
 * hostile strings shown as text, updates pushed without a reload, and the "connection lost" state. The same
 * page against real API servers, `serve` and `kubectl ksit dashboard`: tests/dashboard_e2e_test.ts.
 *
 * Without a Chromium these tests fail with BrowserMissingError (how to install it); they never skip.
 */
import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import { Browser, type Page } from "./support/browser.ts";
import { integration, StaticSource, syntheticFleet, target } from "./support/fleet_fixtures.ts";
import { createUiApp } from "../ui/app.ts";
import { Fleet } from "../ui/fleet.ts";

interface Served {
  url: string;
  source: StaticSource;
  fleet: Fleet;
  stop(): Promise<void>;
}

function serveFleet(source: StaticSource): Served {
  const fleet = new Fleet(source, { throttleMs: 50 }).start();
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    createUiApp(fleet, { pingMs: 1_000 }).fetch,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/ui/`,
    source,
    fleet,
    async stop() {
      fleet.stop();
      ac.abort();
      await server.finished;
    },
  };
}

async function withPage(source: StaticSource, fn: (page: Page, s: Served) => Promise<void>) {
  const s = serveFleet(source);
  const browser = await Browser.launch();
  const page = await browser.newPage();
  try {
    await fn(page, s);
  } finally {
    await page.close();
    await browser.close();
    await s.stop();
  }
}

Deno.test("dashboard page: 1,000 clusters × 4 tools render without freezing (virtual rows); times printed", async () => {
  const { integrations, targets } = syntheticFleet(1000);
  await withPage(new StaticSource(integrations, targets), async (page, s) => {
    const t0 = performance.now();
    await page.goto(s.url);
    await page.waitFor("window.__ksit && window.__ksit.renders > 0", { what: "first render" });
    const wall = performance.now() - t0;
    const m = await page.eval<
      Record<"firstRenderAt" | "lastRenderMs" | "rows" | "bytes" | "scriptAt" | "firstViewAt", number>
    >(
      `({ firstRenderAt: __ksit.firstRenderAt, lastRenderMs: __ksit.lastRenderMs, rows: __ksit.rowsInDom,
          bytes: __ksit.lastViewBytes, scriptAt: __ksit.scriptAt, firstViewAt: __ksit.firstViewAt })`,
    );
    // every row is reachable: the count says 1,000 and the last cluster appears when scrolled to
    assertStringIncludes(
      await page.eval<string>("document.getElementById('count').textContent"),
      "1000 of 1000",
    );
    assert(m.rows < 120, `only the rows in view are in the DOM (${m.rows})`);
    // worst first: a Failed cluster at the top
    assertEquals(await page.eval("document.querySelector('.mrow .cell').dataset.phase"), "Failed");
    // a frame while scrolling to the end: how long the main thread is blocked
    const scroll = await page.eval<number>(`new Promise((resolve) => {
      const g = document.getElementById("matrix");
      const t = performance.now();
      g.scrollTop = g.scrollHeight;
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t)));
    })`);
    const lastShown = await page.waitFor<boolean>(
      "[...document.querySelectorAll('.mrow')].some((r) => r.dataset.cluster.startsWith('ksit-system/cluster-'))" +
        " && document.getElementById('matrix').scrollTop > 20000",
      { what: "rows at the end after scrolling" },
    );
    assert(lastShown);
    // a pushed update (one cell changes): the time to apply it
    const before = await page.eval<number>("__ksit.renders");
    const changed = integrations.map((i) => structuredClone(i));
    changed[0]!.status!.clusters![500]!.phase = "Failed";
    s.source.set(changed);
    await page.waitFor(`__ksit.renders > ${before}`, { what: "re-render after a pushed update" });
    const update = await page.eval<number>("__ksit.lastRenderMs");
    // filters over 1,000 rows
    const filterMs = await page.eval<number>(`(() => {
      const sel = document.getElementById("f-phase");
      const t = performance.now();
      sel.value = "Failed";
      sel.dispatchEvent(new Event("change"));
      return performance.now() - t;
    })()`);
    const shown = await page.eval<string>("document.getElementById('count').textContent");
    console.log(
      `dashboard, 1,000 clusters × 4 tools (${Math.round(m.bytes / 1024)} KiB view): first render ` +
        `${m.lastRenderMs.toFixed(1)} ms (after navigation start: script ran ${m.scriptAt.toFixed(0)} ms, ` +
        `view received ${m.firstViewAt.toFixed(0)} ms, matrix drawn ${m.firstRenderAt.toFixed(0)} ms; ` +
        `${wall.toFixed(0)} ms wall incl. load); scroll to end ${scroll.toFixed(1)} ms to the next frame; ` +
        `pushed update re-rendered in ${update.toFixed(1)} ms; phase filter ${filterMs.toFixed(1)} ms ` +
        `(${shown}); ${m.rows} rows in the DOM`,
    );
    assertStringIncludes(shown, "of 1000 clusters");
    // a phase in the totals filters too (and clicked again, shows all)
    await page.eval("document.querySelector('button.chip.p-Degraded').click()");
    assertEquals(await page.eval("document.getElementById('f-phase').value"), "Degraded");
    assertEquals(
      await page.eval("document.querySelector('.mrow .cell[data-phase=Degraded]') !== null"),
      true,
    );
    await page.eval("document.querySelector('button.chip.p-Degraded').click()");
    assertStringIncludes(
      await page.eval<string>("document.getElementById('count').textContent"),
      "1000 of 1000",
    );
    assertEquals(page.problems, []);
  });
});

Deno.test("dashboard page: hostile strings render as text, never as markup; the CSP holds", async () => {
  const evil = `<img src=x onerror="window.__xss=1;alert(1)">`;
  const script = `<script>window.__xss=2</script>`;
  const i = integration("ksit-system", "argocd", "argocd", [
    { name: evil, phase: "Unknown", reason: "TargetNotFound", message: `no IntegrationTarget ${evil}` },
    { name: "c1", phase: "Failed", reason: "ComponentUnhealthy", message: `c1: ${script}` },
  ]);
  const t = target("ksit-system", "c1", { labels: { team: evil } });
  await withPage(new StaticSource([i], [t]), async (page, s) => {
    await page.goto(s.url);
    await page.waitFor("window.__ksit && window.__ksit.renders > 0");
    const names = await page.eval<string[]>(
      "[...document.querySelectorAll('.rcell .name')].map((e) => e.textContent)",
    );
    assert(names.includes(evil), `the hostile cluster name is shown as text: ${JSON.stringify(names)}`);
    const tips = await page.eval<string[]>("[...document.querySelectorAll('.cell')].map((e) => e.title)");
    assert(tips.some((x) => x.includes(script)), "the message with <script> is in a tooltip as text");
    // the label filter lists the hostile value as an option's text
    assert(
      await page.eval<boolean>(`[...document.querySelectorAll('#f-label option')].some((o) =>
      o.textContent === ${JSON.stringify(`team=${evil}`)})`),
    );
    // drill-down of the hostile cluster: its name in the heading, as text
    await page.eval(
      `[...document.querySelectorAll('.rcell')].find((b) => b.textContent.startsWith('<img')).click()`,
    );
    await page.waitFor("!document.getElementById('panel').classList.contains('hidden')");
    assertEquals(await page.eval("document.querySelector('#panel h2 span:last-child').textContent"), evil);
    // and of c1, whose message holds a <script>
    await page.eval(`[...document.querySelectorAll('.rcell')].find((b) => b.textContent === 'c1').click()`);
    await page.waitFor(`document.querySelector('#panel h2 span:last-child').textContent === 'c1'`);
    assertStringIncludes(await page.eval<string>("document.getElementById('panel').textContent"), script);
    await new Promise((r) => setTimeout(r, 300)); // an onerror of an <img src=x> would have run by now
    assertEquals(await page.eval("typeof window.__xss"), "undefined");
    assertEquals(await page.eval("document.querySelectorAll('img, script:not([src])').length"), 0);
    assertEquals(page.dialogs, []);
    assertEquals(page.problems, []);
    // an inline script is refused by the page's CSP (what would have run had anything been injected)
    await page.eval(`(() => { const s = document.createElement("script"); s.textContent = "window.__xss = 3";
      document.body.append(s); })()`);
    assertEquals(await page.eval("typeof window.__xss"), "undefined");
    assert(page.problems.some((p) => /Content Security Policy/i.test(p)), page.problems.join("\n"));
  });
});

Deno.test("dashboard page: updates are pushed (no reload); the page says when the connection is lost", async () => {
  const source = new StaticSource(
    [integration("ksit-system", "argocd", "argocd", [{ name: "c1", phase: "Running" }])],
    [target("ksit-system", "c1")],
  );
  const s = serveFleet(source);
  const browser = await Browser.launch();
  const page = await browser.newPage();
  try {
    await page.goto(s.url);
    await page.waitFor("document.body.dataset.conn === 'live'", { what: "live" });
    await page.eval("window.__sameDocument = true");
    assertEquals(await page.eval("document.querySelector('.cell').dataset.phase"), "Running");
    source.set([
      integration("ksit-system", "argocd", "argocd", [{
        name: "c1",
        phase: "Degraded",
        reason: "ComponentDegraded",
        message: "c1: argocd-repo-server: 1/2 available",
      }]),
    ]);
    await page.waitFor("document.querySelector('.cell').dataset.phase === 'Degraded'", {
      what: "pushed cell",
    });
    assertEquals(await page.eval("window.__sameDocument"), true, "the page was not reloaded");
    assertStringIncludes(await page.eval<string>("document.querySelector('.cell').title"), "1/2 available");
    // the source's own watch is down: shown as such
    source.connected = false;
    source.problem = "control plane unreachable";
    source.changed();
    await page.waitFor("document.body.dataset.conn === 'stale'", { what: "stale state" });
    assertStringIncludes(
      await page.eval<string>("document.getElementById('conn').textContent"),
      "unreachable",
    );
    // the server goes away
    await s.stop();
    await page.waitFor("document.body.dataset.conn === 'lost'", {
      what: "connection lost",
      timeoutMs: 10_000,
    });
    assertStringIncludes(
      await page.eval<string>("document.getElementById('conn').textContent"),
      "connection lost",
    );
  } finally {
    await page.close();
    await browser.close();
    await s.stop().catch(() => {});
  }
});
