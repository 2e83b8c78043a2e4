// The KSIT dashboard page. Plain DOM, no framework, nothing from the internet; served as /ui/app.js under a
// Content-Security-Policy without inline code. Every string from the server is put on the page with
// textContent or setAttribute (never as HTML). Updates are pushed by the server (EventSource on
// /ui/api/stream); the page never polls. The matrix (clusters × Integrations) renders only the rows in view,
// so 1,000 clusters cost what 40 do.
(function () {
  "use strict";

  const ROW_H = 26;
  const OVERSCAN = 10;
  const SEVERITY = {
    Failed: 6,
    Unknown: 5,
    Degraded: 4,
    Pending: 3,
    NotInstalled: 2,
    Running: 1,
    Disabled: 0,
  };
  const sev = (p) => (p in SEVERITY ? SEVERITY[p] : 5);
  const SHORT = {
    Running: "Running",
    Degraded: "Degraded",
    Failed: "Failed",
    Unknown: "Unknown",
    Pending: "Pending",
    Disabled: "Disabled",
    NotInstalled: "n/i",
  };

  const state = {
    view: null,
    filter: { type: "", phase: "", label: "", text: "", worstFirst: true },
    rows: [],
    cols: [],
    panel: null, // { kind: "cluster" | "integration", id }
    connected: false,
    lastMessageAt: 0,
    lastViewAt: 0,
  };
  // measurements for the browser tests (and the curious): render times in ms
  const stats = {
    renders: 0,
    lastRenderMs: 0,
    firstRenderAt: 0,
    scriptAt: performance.now(),
    firstViewAt: 0,
    views: 0,
    lastViewBytes: 0,
    rowsInDom: 0,
  };
  globalThis.__ksit = stats;

  // ------------------------------------------------------------------------------------------ DOM helpers

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === "class") e.className = v;
        else if (k === "text") e.textContent = String(v);
        else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, String(v));
      }
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      e.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  function clear(e) {
    while (e.firstChild) e.removeChild(e.firstChild);
  }

  function phaseBadge(phase, extra) {
    return el("span", { class: `badge p-${cssPhase(phase)}`, text: phase, title: extra || undefined });
  }

  // phases are an enum, but the class name is built only from letters in any case
  function cssPhase(p) {
    return String(p).replace(/[^A-Za-z]/g, "") || "Unknown";
  }

  function time(iso) {
    const d = new Date(iso);
    return isNaN(d.getTime()) ? "" : d.toLocaleTimeString();
  }

  function ago(iso) {
    const t = Date.parse(iso);
    if (!t) return "";
    const s = Math.max(0, Math.round((Date.now() - t) / 1000));
    if (s < 90) return `${s}s ago`;
    if (s < 5400) return `${Math.round(s / 60)}m ago`;
    if (s < 129600) return `${Math.round(s / 3600)}h ago`;
    return `${Math.round(s / 86400)}d ago`;
  }

  // ------------------------------------------------------------------------------------------ layout

  const ui = {};
  function layout() {
    ui.status = el("span", { id: "conn", class: "conn lost", text: "connecting…" });
    ui.source = el("span", { id: "source", class: "source" });
    ui.totals = el("div", { id: "totals", class: "totals" });
    ui.type = el("select", { id: "f-type", "aria-label": "tool type", onchange: onFilter });
    ui.phase = el("select", { id: "f-phase", "aria-label": "phase", onchange: onFilter });
    ui.label = el("select", { id: "f-label", "aria-label": "target label", onchange: onFilter });
    ui.text = el("input", {
      id: "f-text",
      type: "search",
      placeholder: "cluster name",
      "aria-label": "cluster name",
      oninput: onFilter,
    });
    ui.worst = el("input", { id: "f-worst", type: "checkbox", checked: "checked", onchange: onFilter });
    ui.count = el("span", { id: "count", class: "count" });
    ui.head = el("div", { id: "matrix-head", class: "mhead" });
    ui.spacer = el("div", { class: "spacer" });
    ui.body = el("div", { id: "matrix-rows", class: "mrows" });
    ui.grid = el("div", { id: "matrix", class: "matrix", role: "grid" }, ui.head, ui.spacer);
    ui.spacer.append(ui.body);
    ui.grid.addEventListener("scroll", () => scheduleRows(), { passive: true });
    ui.panel = el("aside", { id: "panel", class: "panel hidden", "aria-live": "polite" });
    ui.empty = el("div", { id: "empty", class: "empty hidden" });
    document.body.append(
      el(
        "header",
        null,
        el("h1", null, "KSIT fleet"),
        ui.source,
        ui.status,
      ),
      ui.totals,
      el(
        "div",
        { class: "filters" },
        el("label", null, "type ", ui.type),
        el("label", null, "phase ", ui.phase),
        el("label", null, "target label ", ui.label),
        el("label", null, ui.text),
        el("label", null, ui.worst, " worst first"),
        ui.count,
      ),
      el("main", null, ui.grid, ui.empty, ui.panel),
    );
    globalThis.addEventListener("resize", () => scheduleRows());
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") closePanel();
    });
  }

  function fillSelect(sel, options, current) {
    const want = JSON.stringify(options);
    if (sel.dataset.options !== want) {
      clear(sel);
      for (const [value, label] of options) sel.append(el("option", { value, text: label }));
      sel.dataset.options = want;
    }
    sel.value = options.some(([v]) => v === current) ? current : "";
  }

  function onFilter() {
    state.filter = {
      type: ui.type.value,
      phase: ui.phase.value,
      label: ui.label.value,
      text: ui.text.value.trim().toLowerCase(),
      worstFirst: ui.worst.checked,
    };
    render();
  }

  // ------------------------------------------------------------------------------------------ rendering

  function render() {
    const v = state.view;
    if (!v) return;
    const t0 = performance.now();
    renderSource(v);
    renderTotals(v);
    fillSelect(ui.type, [["", "all"], ...v.filters.types.map((t) => [t, t])], state.filter.type);
    fillSelect(ui.phase, [["", "all"], ...v.filters.phases.map((p) => [p, p])], state.filter.phase);
    const labelOpts = [["", "any"]];
    for (const [k, vals] of Object.entries(v.filters.labels)) {
      for (const val of vals) labelOpts.push([JSON.stringify([k, val]), `${k}=${val}`]);
    }
    fillSelect(ui.label, labelOpts, state.filter.label);
    computeMatrix(v);
    renderHead();
    renderRows(true);
    stats.renders++;
    stats.lastRenderMs = performance.now() - t0;
    if (!stats.firstRenderAt) stats.firstRenderAt = performance.now();
    document.body.dataset.version = String(v.version);
  }

  function renderSource(v) {
    const s = v.source;
    const where = s.namespace === "*" ? "all namespaces" : `namespace ${s.namespace}`;
    ui.source.textContent = `${
      s.kind === "serve" ? "in-cluster controller" : "kubectl ksit dashboard"
    } · ${where}${s.context ? ` · context ${s.context}` : ""}`;
    updateConn();
  }

  function renderTotals(v) {
    clear(ui.totals);
    const t = v.totals;
    const box = (label, value, cls, title, onclick) =>
      el(
        "div",
        { class: `total ${cls || ""}${onclick ? " clickable" : ""}`, title, onclick },
        el("b", { text: value }),
        el("span", { text: label }),
      );
    // a phase in the totals filters the matrix by it (again: all phases)
    const byPhase = (p) => () => {
      ui.phase.value = state.filter.phase === p ? "" : p;
      onFilter();
    };
    ui.totals.append(box("integrations", t.integrations), box("clusters", t.clusters));
    for (const p of v.filters.phases) {
      const n = t.integrationPhases[p];
      if (n) {
        ui.totals.append(
          box(p, n, `p-${cssPhase(p)}`, `${n} Integration(s) ${p}; click: only ${p}`, byPhase(p)),
        );
      }
    }
    const cells = Object.entries(t.cellPhases).sort((a, b) => sev(b[0]) - sev(a[0]));
    ui.totals.append(el(
      "div",
      { class: "total cells", title: "Integration × cluster verdicts by phase" },
      el("span", { text: "verdicts" }),
      ...cells.map(([p, n]) =>
        el("button", {
          class: `chip p-${cssPhase(p)}${state.filter.phase === p ? " on" : ""}`,
          text: `${n} ${p}`,
          title: `clusters with a ${p} verdict; click again for all`,
          onclick: byPhase(p),
        })
      ),
    ));
    if (t.unreachable) {
      ui.totals.append(
        box("unreachable", t.unreachable, "p-Unknown", "targets whose Ready condition is not True"),
      );
    }
  }

  function computeMatrix(v) {
    const f = state.filter;
    let cols = v.integrations.map((it, i) => ({ it, i }));
    if (f.type) cols = cols.filter((c) => c.it.type === f.type);
    if (f.worstFirst) {
      cols.sort((a, b) => sev(b.it.phase) - sev(a.it.phase) || (a.it.id < b.it.id ? -1 : 1));
    }
    let label = null;
    if (f.label) {
      try {
        label = JSON.parse(f.label);
      } catch {
        label = null;
      }
    }
    const rows = [];
    for (const c of v.clusters) {
      if (f.text && !c.name.toLowerCase().includes(f.text)) continue;
      if (label && c.labels[label[0]] !== label[1]) continue;
      let worst = c.ready === "False" ? 5 : -1;
      let any = false;
      let phaseHit = !f.phase;
      for (const col of cols) {
        const cell = c.cells[col.i];
        if (!cell) continue;
        any = true;
        if (cell.phase === f.phase) phaseHit = true;
        worst = Math.max(worst, sev(cell.phase));
      }
      if (!phaseHit) continue;
      if (f.type && !any) continue;
      rows.push({ c, worst });
    }
    if (f.worstFirst) rows.sort((a, b) => b.worst - a.worst || (a.c.id < b.c.id ? -1 : 1));
    state.rows = rows;
    state.cols = cols;
    ui.count.textContent =
      `${rows.length} of ${v.clusters.length} clusters · ${cols.length} of ${v.integrations.length} integrations`;
    const empty = v.clusters.length === 0
      ? "No IntegrationTargets or Integrations yet. kubectl ksit target add … and kubectl apply -f deploy/samples/ add some."
      : rows.length === 0
      ? "Nothing matches these filters."
      : "";
    ui.empty.textContent = empty;
    ui.empty.classList.toggle("hidden", !empty);
  }

  function gridTemplate() {
    return `minmax(14em, 18em) repeat(${state.cols.length}, minmax(7.5em, 1fr))`;
  }

  function renderHead() {
    clear(ui.head);
    ui.head.style.gridTemplateColumns = gridTemplate();
    ui.head.append(el("div", { class: "hcell corner", text: "cluster \\ integration" }));
    for (const { it } of state.cols) {
      ui.head.append(el(
        "button",
        {
          class: `hcell p-${cssPhase(it.phase)}`,
          title: `${it.id} (${it.type}): ${it.phase}, ${it.healthy} healthy${
            it.message ? `\n${it.message}` : ""
          }`,
          "data-integration": it.id,
          onclick: () => openPanel("integration", it.id),
        },
        el("span", { class: "name", text: it.name }),
        el("span", { class: "sub", text: `${it.type} · ${it.phase} · ${it.healthy}` }),
      ));
    }
    ui.spacer.style.height = `${state.rows.length * ROW_H}px`;
    // header and rows share one width, so their columns line up however wide the matrix is
    const minWidth = `calc(14em + ${state.cols.length} * 7.5em)`;
    ui.head.style.minWidth = minWidth;
    ui.spacer.style.minWidth = minWidth;
  }

  let rowsQueued = false;
  function scheduleRows() {
    if (rowsQueued) return;
    rowsQueued = true;
    requestAnimationFrame(() => {
      rowsQueued = false;
      renderRows(false);
    });
  }

  let drawn = { first: -1, last: -1, version: -1 };
  function renderRows(force) {
    const top = Math.max(0, ui.grid.scrollTop - ui.head.offsetHeight);
    const height = ui.grid.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(state.rows.length, Math.ceil((top + height) / ROW_H) + OVERSCAN);
    if (!force && first === drawn.first && last === drawn.last) return;
    drawn = { first, last };
    const frag = document.createDocumentFragment();
    const template = gridTemplate();
    const nsShown = state.view.source.namespace === "*";
    for (let r = first; r < last; r++) {
      const { c } = state.rows[r];
      const row = el("div", { class: "mrow", role: "row", "data-cluster": c.id });
      row.style.gridTemplateColumns = template;
      const reach = c.ready === "True"
        ? ""
        : c.ready === ""
        ? " (no IntegrationTarget)"
        : ` (${c.reason || "not ready"})`;
      row.append(el(
        "button",
        {
          class: `rcell ${c.ready === "True" || c.ready === "" ? "" : "unreachable"}`,
          title: `${c.id}${reach}${c.message ? `\n${c.message}` : ""}${c.version ? `\n${c.version}` : ""}`,
          onclick: () => openPanel("cluster", c.id),
        },
        el("span", { class: "name", text: nsShown ? `${c.namespace}/${c.name}` : c.name }),
        c.ready === "True" || c.ready === ""
          ? null
          : el("span", { class: "warn", text: c.reason || c.ready }),
      ));
      for (const { it, i } of state.cols) {
        const cell = c.cells[i];
        if (!cell) {
          row.append(
            el("div", { class: "cell none", text: "–", title: `${it.name} does not target ${c.name}` }),
          );
          continue;
        }
        const tip = `${it.name} on ${c.name}: ${cell.phase}${cell.reason ? ` (${cell.reason})` : ""}${
          cell.message ? `\n${cell.message}` : ""
        }`;
        row.append(el("button", {
          class: `cell p-${cssPhase(cell.phase)}`,
          role: "gridcell",
          title: tip,
          "data-integration": it.id,
          "data-phase": cell.phase,
          text: SHORT[cell.phase] || cell.phase,
          onclick: () => openPanel("cluster", c.id),
        }));
      }
      frag.append(row);
    }
    clear(ui.body);
    ui.body.style.transform = `translateY(${first * ROW_H}px)`;
    ui.body.append(frag);
    stats.rowsInDom = last - first;
  }

  // ------------------------------------------------------------------------------------------ drill-down

  function openPanel(kind, id) {
    state.panel = { kind, id };
    refreshPanel();
  }

  function closePanel() {
    state.panel = null;
    ui.panel.classList.add("hidden");
    clear(ui.panel);
  }

  let panelSeq = 0;
  async function refreshPanel() {
    const p = state.panel;
    if (!p) return;
    const seq = ++panelSeq;
    const url = `/ui/api/${p.kind}?id=${encodeURIComponent(p.id)}`;
    let data;
    try {
      const res = await fetch(url, { headers: { accept: "application/json" } });
      data = res.ok
        ? await res.json()
        : { error: (await res.json().catch(() => ({}))).error || `HTTP ${res.status}` };
    } catch (e) {
      data = { error: `not reachable: ${e && e.message ? e.message : e}` };
    }
    if (seq !== panelSeq || state.panel !== p) return;
    clear(ui.panel);
    ui.panel.classList.remove("hidden");
    ui.panel.dataset.kind = p.kind;
    ui.panel.append(el("button", { class: "close", title: "close (Esc)", text: "×", onclick: closePanel }));
    if (data.error) ui.panel.append(el("h2", { text: p.id }), el("p", { class: "error", text: data.error }));
    else if (p.kind === "cluster") clusterPanel(data);
    else integrationPanel(data);
  }

  function table(headers, rows, cls) {
    return el(
      "table",
      { class: cls || "" },
      el("thead", null, el("tr", null, ...headers.map((h) => el("th", { text: h })))),
      el("tbody", null, ...rows.map((r) => el("tr", null, ...r.map((c) => el("td", null, c))))),
    );
  }

  function clusterPanel(d) {
    const c = d.cluster;
    ui.panel.append(
      el("h2", null, el("span", { class: "kind", text: "cluster " }), el("span", { text: c.name })),
      el(
        "p",
        { class: "meta" },
        `namespace ${c.namespace} · `,
        c.ready === "" ? "no IntegrationTarget" : el(
          "span",
          { class: c.ready === "True" ? "ok" : "bad" },
          `Ready=${c.ready}${c.reason ? ` (${c.reason})` : ""}`,
        ),
        c.version ? ` · ${c.version}` : "",
      ),
    );
    if (c.message && c.ready !== "True") ui.panel.append(el("p", { class: "msg", text: c.message }));
    const labels = Object.entries(c.labels);
    if (labels.length) {
      ui.panel.append(
        el(
          "p",
          { class: "labels" },
          ...labels.map(([k, v]) => el("span", { class: "chip", text: `${k}=${v}` })),
        ),
      );
    }
    if (!d.tools.length) ui.panel.append(el("p", { text: "No Integration targets this cluster." }));
    for (const t of d.tools) {
      ui.panel.append(el(
        "h3",
        null,
        phaseBadge(t.phase),
        " ",
        el("a", {
          href: "#",
          onclick: (e) => (e.preventDefault(), openPanel("integration", t.integration)),
          text: t.integration,
        }),
        el("span", { class: "sub", text: ` ${t.type}` }),
      ));
      if (t.message) {
        ui.panel.append(el("p", { class: "msg", text: `${t.reason ? `${t.reason}: ` : ""}${t.message}` }));
      }
      if (t.components.length) {
        ui.panel.append(table(
          ["component", "kind", "status", "ready", "reason"],
          t.components.map((x) => [
            el(
              "span",
              { text: x.name, title: x.required ? "required" : "optional" },
              x.required ? "" : el("span", { class: "sub", text: " (optional)" }),
            ),
            x.kind,
            phaseBadge(x.status, x.message),
            x.ready || "",
            el("span", { text: x.reason, title: x.message || undefined }),
          ]),
          "components",
        ));
      } else if (!t.complete) {
        ui.panel.append(
          el("p", {
            class: "sub",
            text:
              "The status lists components only where something is wrong; kubectl ksit check shows them all.",
          }),
        );
      }
    }
  }

  function integrationPanel(d) {
    const it = d.integration;
    ui.panel.append(
      el("h2", null, el("span", { class: "kind", text: "integration " }), el("span", { text: it.name })),
      el(
        "p",
        { class: "meta" },
        phaseBadge(it.phase),
        ` ${it.type} · namespace ${it.namespace} · ${it.healthy} healthy`,
        it.enabled ? "" : " · disabled",
      ),
    );
    if (it.message) ui.panel.append(el("p", { class: "msg", text: it.message }));
    ui.panel.append(el("h3", { text: "Phase timeline (since this process started)" }), timeline(d.timeline));
    ui.panel.append(el("h3", { text: "Recent events" }));
    if (d.eventsProblem) ui.panel.append(el("p", { class: "error", text: d.eventsProblem }));
    ui.panel.append(
      d.events.length
        ? table(
          ["last seen", "type", "reason", "message", "count"],
          d.events.map((e) => [ago(e.last), e.type, e.reason, e.message, String(e.count)]),
          "events",
        )
        : el("p", { class: "sub", text: "none" }),
    );
    ui.panel.append(el("h3", { text: "Conditions" }));
    ui.panel.append(
      d.conditions.length
        ? table(
          ["type", "status", "reason", "message", "since"],
          d.conditions.map((c) => [c.type, c.status, c.reason, c.message, ago(c.lastTransitionTime)]),
          "conditions",
        )
        : el("p", { class: "sub", text: "none yet" }),
    );
    ui.panel.append(el("h3", { text: "Clusters" }));
    ui.panel.append(
      d.clusters.length
        ? table(
          ["cluster", "phase", "reason", "message"],
          d.clusters.map((c) => [
            el("a", {
              href: "#",
              text: c.name,
              onclick: (e) => (e.preventDefault(), openPanel("cluster", `${it.namespace}/${c.name}`)),
            }),
            phaseBadge(c.phase),
            c.reason,
            c.message,
          ]),
          "clusters",
        )
        : el("p", { class: "sub", text: "not judged yet" }),
    );
    if (it.clustersOmitted) {
      ui.panel.append(
        el("p", {
          class: "sub",
          text: `${it.clustersOmitted} more cluster(s) left out of the status to keep it small.`,
        }),
      );
    }
  }

  function timeline(items) {
    const box = el("div", { class: "timeline" });
    if (!items.length) {
      box.append(el("p", { class: "sub", text: "no transitions seen yet" }));
      return box;
    }
    const strip = el("div", { class: "strip" });
    const start = Date.parse(items[0].at);
    const end = Date.now();
    const span = Math.max(1, end - start);
    items.forEach((t, i) => {
      const from = Date.parse(t.at);
      const to = i + 1 < items.length ? Date.parse(items[i + 1].at) : end;
      const seg = el("span", {
        class: `seg p-${cssPhase(t.to)}`,
        title: `${t.to} from ${time(t.at)}${t.message ? `\n${t.message}` : ""}`,
      });
      seg.style.width = `${Math.max(0.5, ((to - from) / span) * 100)}%`;
      strip.append(seg);
    });
    box.append(strip);
    const list = el("ol", { class: "transitions" });
    for (const t of items.slice().reverse()) {
      list.append(
        el(
          "li",
          null,
          el("time", { text: time(t.at), datetime: t.at }),
          " ",
          t.from ? phaseBadge(t.from) : el("span", { class: "sub", text: "seen" }),
          " → ",
          phaseBadge(t.to),
          t.message ? el("span", { class: "sub", text: ` ${t.message}` }) : null,
        ),
      );
    }
    box.append(list);
    return box;
  }

  // ------------------------------------------------------------------------------------------ live updates

  function updateConn() {
    const v = state.view;
    let text;
    let cls;
    if (!state.connected) {
      text = state.lastViewAt
        ? `connection lost — reconnecting (last update ${new Date(state.lastViewAt).toLocaleTimeString()})`
        : "connecting…";
      cls = "lost";
    } else if (v && !v.source.connected) {
      text = `live, but the ${v.source.kind === "serve" ? "controller" : "dashboard"} lost its watch: ${
        v.source.problem || "reconnecting"
      } (last update ${new Date(state.lastViewAt).toLocaleTimeString()})`;
      cls = "stale";
    } else {
      text = `live · last update ${state.lastViewAt ? new Date(state.lastViewAt).toLocaleTimeString() : "—"}`;
      cls = "live";
    }
    ui.status.textContent = text;
    ui.status.className = `conn ${cls}`;
    document.body.dataset.conn = cls;
  }

  let watchdog;
  function heard() {
    state.lastMessageAt = Date.now();
    if (!state.connected) {
      state.connected = true;
      updateConn();
    }
    clearTimeout(watchdog);
    // the server pings every 15 s: three missed pings and the connection is as good as lost
    watchdog = setTimeout(() => {
      state.connected = false;
      updateConn();
    }, 45_000);
  }

  function connect() {
    const es = new EventSource("/ui/api/stream");
    es.addEventListener("view", (e) => {
      heard();
      stats.views++;
      if (!stats.firstViewAt) stats.firstViewAt = performance.now();
      stats.lastViewBytes = e.data.length;
      try {
        state.view = JSON.parse(e.data);
      } catch {
        return;
      }
      state.lastViewAt = Date.now();
      render();
      if (state.panel) refreshPanel();
    });
    es.addEventListener("ping", () => heard());
    es.addEventListener("open", () => heard());
    es.addEventListener("error", () => {
      // EventSource reconnects by itself (retry: 2 s); until then the page says so
      state.connected = false;
      clearTimeout(watchdog);
      updateConn();
    });
  }

  layout();
  connect();
})();
