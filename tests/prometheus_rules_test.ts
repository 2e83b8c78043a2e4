/**
 * The chart's monitoring add-ons with the real tools: the PrometheusRule's groups pass `promtool check rules`
 * and every alert's unit tests (tests/fixtures/prometheus/alerts_test.yaml) pass `promtool test rules`; every
 * PromQL expression of the Grafana dashboard parses (`promtool check rules` on them as recording rules) and
 * uses only metrics `serve` exports; the dashboard ConfigMap carries the sidecar's label.
 */
import { parse as parseYaml, parseAllDocuments, stringify } from "yaml";
import { controllerMetrics } from "../controller/metrics.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { testbin } from "./support/testbin.ts";

const chart = new URL("../deploy/helm/ksit", import.meta.url).pathname;
const fixture = new URL("./fixtures/prometheus/alerts_test.yaml", import.meta.url).pathname;
const dashboardFile = `${chart}/files/grafana-dashboard.json`;

async function run(cmd: string, args: string[], cwd?: string) {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped", stdin: "null" })
    .output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

/** `helm template` of the chart (release ksit in ksit-system), parsed. */
async function render(values: string[]): Promise<Record<string, unknown>[]> {
  const tb = await testbin();
  const dir = await Deno.makeTempDir({ prefix: "ksit-helm-home-" });
  try {
    const out = await new Deno.Command(tb.helm, {
      args: ["template", "ksit", chart, "-n", "ksit-system", ...values],
      env: {
        HOME: dir,
        HELM_CACHE_HOME: `${dir}/c`,
        HELM_CONFIG_HOME: `${dir}/f`,
        HELM_DATA_HOME: `${dir}/d`,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    return parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function promtoolVersion(): Promise<string> {
  const tb = await testbin();
  const r = await run(tb.promtool, ["--version"]);
  return (r.stdout || r.stderr).split("\n")[0] ?? "";
}

Deno.test("PrometheusRule: promtool check rules, and promtool test rules for every alert", async () => {
  const tb = await testbin();
  const docs = await render(["--set", "prometheusRule.enabled=true"]);
  const rule = docs.find((d) => d.kind === "PrometheusRule") as {
    spec: { groups: { rules: { alert?: string }[] }[] };
  };
  assert(rule, "a PrometheusRule is rendered");
  const alerts = rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert)).filter(Boolean) as string[];
  // every alert is tested, firing at least once
  const tests = parseYaml(await Deno.readTextFile(fixture)) as {
    tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
  };
  const fired = new Set(
    tests.tests.flatMap((t) => t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length).map((a) =>
      a.alertname
    ),
  );
  assertEquals(alerts.filter((a) => !fired.has(a)), [], "alerts without a firing test case");

  const dir = await Deno.makeTempDir({ prefix: "ksit-promtool-" });
  try {
    await Deno.writeTextFile(`${dir}/rules.yaml`, stringify({ groups: rule.spec.groups }));
    await Deno.copyFile(fixture, `${dir}/alerts_test.yaml`);
    const check = await run(tb.promtool, ["check", "rules", "rules.yaml"], dir);
    assertEquals(check.code, 0, `promtool check rules:\n${check.stdout}${check.stderr}`);
    const test = await run(tb.promtool, ["test", "rules", "alerts_test.yaml"], dir);
    assertEquals(test.code, 0, `promtool test rules:\n${test.stdout}${test.stderr}`);
    console.log(
      `${await promtoolVersion()}: ${alerts.length} alerts (${alerts.join(", ")}) checked and tested`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PrometheusRule: non-default values (durations, extra labels, job) still pass promtool check rules", async () => {
  const tb = await testbin();
  const docs = await render([
    "--set",
    "prometheusRule.enabled=true",
    "--set",
    "prometheusRule.for.integrationFailed=2m",
    "--set",
    "prometheusRule.noJudgementWindow=1h",
    "--set",
    "prometheusRule.additionalAlertLabels.team=platform",
    "--set",
    "prometheusRule.job=kube-system/ksit",
    "--set",
    "prometheusRule.labels.release=kube-prometheus-stack",
  ]);
  const rule = docs.find((d) => d.kind === "PrometheusRule") as {
    metadata: { labels: Record<string, string> };
    spec: {
      groups: { rules: { alert: string; expr: string; for: string; labels: Record<string, string> }[] }[];
    };
  };
  assertEquals(rule.metadata.labels.release, "kube-prometheus-stack");
  const rules = rule.spec.groups[0]!.rules;
  assert(rules.every((r) => r.labels.team === "platform"));
  assertEquals(rules.find((r) => r.alert === "KsitIntegrationFailed")!.for, "2m");
  assert(rules.find((r) => r.alert === "KsitNoJudgement")!.expr.includes("[1h]"));
  assert(rules.find((r) => r.alert === "KsitControllerDown")!.expr.includes('job="kube-system/ksit"'));
  const dir = await Deno.makeTempDir({ prefix: "ksit-promtool-" });
  try {
    await Deno.writeTextFile(`${dir}/rules.yaml`, stringify({ groups: rule.spec.groups }));
    const check = await run(tb.promtool, ["check", "rules", "rules.yaml"], dir);
    assertEquals(check.code, 0, `${check.stdout}${check.stderr}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

interface DashboardPanel {
  title: string;
  type: string;
  targets?: { expr: string; refId: string }[];
}

Deno.test("Grafana dashboard: every query parses with promtool and uses only KSIT's own metrics; the ConfigMap has the sidecar label", async () => {
  const tb = await testbin();
  const text = await Deno.readTextFile(dashboardFile);
  const dashboard = JSON.parse(text) as {
    uid: string;
    panels: DashboardPanel[];
    templating: { list: { name: string; query: string | { query: string } }[] };
  };
  const exported = new Set<string>();
  for (const line of controllerMetrics().registry.render().split("\n")) {
    const m = /^# TYPE (\S+) (\S+)/.exec(line);
    if (!m) continue;
    exported.add(m[1]!);
    if (m[2] === "histogram") { for (const s of ["_bucket", "_sum", "_count"]) exported.add(m[1]! + s); }
  }
  const exprs: { record: string; expr: string }[] = [];
  const vars = dashboard.templating.list.map((v) => typeof v.query === "string" ? v.query : v.query.query);
  for (const p of dashboard.panels) {
    for (const t of p.targets ?? []) {
      exprs.push({
        record: `ksit:dashboard:${p.title.replace(/[^A-Za-z0-9]+/g, "_").toLowerCase()}_${t.refId}`,
        expr: t.expr.replaceAll("$__rate_interval", "5m").replace(/\$(namespace|integration|cluster)/g, ".*"),
      });
    }
  }
  assert(exprs.length >= 10, `${exprs.length} queries`);
  for (const q of [...exprs.map((e) => e.expr), ...vars]) {
    for (const name of q.match(/\bksit_[a-z_]+/g) ?? []) {
      assert(exported.has(name), `${name} is not a KSIT metric`);
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "ksit-promtool-" });
  try {
    await Deno.writeTextFile(
      `${dir}/dashboard.yaml`,
      stringify({ groups: [{ name: "dashboard", rules: exprs }] }),
    );
    const check = await run(tb.promtool, ["check", "rules", "dashboard.yaml"], dir);
    assertEquals(check.code, 0, `the dashboard's PromQL:\n${check.stdout}${check.stderr}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  const docs = await render(["--set", "grafana.dashboard.enabled=true"]);
  const cm = docs.find((d) => d.kind === "ConfigMap") as {
    metadata: { labels: Record<string, string> };
    data: Record<string, string>;
  };
  assertEquals(cm.metadata.labels.grafana_dashboard, "1");
  assertEquals(JSON.parse(cm.data["ksit-fleet.json"]!), JSON.parse(text));
  // off by default, like the PrometheusRule
  const kinds = (await render([])).map((d) => d.kind);
  assert(!kinds.includes("ConfigMap") && !kinds.includes("PrometheusRule"), kinds.join(","));
});
