/**
 * The docs against the code (issue #19): docs/troubleshooting.md has a section for every reason, phase,
 * status and exit code KSIT can report, docs/tools.md one for every component of every tool table, both are
 * what `deno task docs` generates from the code, every reason the code writes as a literal is one of those
 * tables' (or named below as internal), the links between README and docs resolve, every `kubectl ksit` command
 * shown in the README, the docs, the chart's NOTES.txt and `--help` parses with the real command tree, and the
 * docs' Integration examples fit the CRD schema. (tests/quickstart_test.ts runs the commands.)
 */
import { parseAllDocuments } from "yaml";
import {
  COMPONENT_STATUSES,
  componentOverrideSchema,
  INTEGRATION_PHASES,
  integrationSpecSchema,
  TOOL_TYPES,
} from "../api/schema.ts";
import { TARGET_REASONS, type ToolType } from "../api/types.ts";
import { CLUSTER_REASONS, COMPONENT_REASONS, EVENT_REASONS, INTEGRATION_REASONS } from "../checks/reasons.ts";
import { TOOL_TABLES } from "../checks/tools.ts";
import { EXIT } from "../cli/errors.ts";
import { buildProgram } from "../cli/program.ts";
import { anchor, generated, TOOLS, TROUBLESHOOTING } from "../scripts/docs.ts";
import { QUICKSTART_VALUES } from "../scripts/docs/reasons.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { anchors, codeBlocks, ksitCommands, links } from "./support/markdown.ts";

const root = new URL("../", import.meta.url).pathname;
const read = (path: string) => Deno.readTextFileSync(`${root}${path}`);

Deno.test("docs: troubleshooting.md and tools.md are what `deno task docs` generates from the code", async () => {
  for (const file of [TROUBLESHOOTING, TOOLS]) {
    assert((await generated(file)) === read(file), `${file} is not up to date: run deno task docs`);
  }
});

/** Every value KSIT reports, from the code's own tables, with the anchor of its section. */
function reportedValues(): { value: string; anchor: string }[] {
  const all: { value: string; anchor: string }[] = [];
  const add = (category: string, values: readonly (string | number)[]) =>
    all.push(...values.map((v) => ({ value: String(v), anchor: anchor(category, v) })));
  add("phase", INTEGRATION_PHASES);
  add("condition", Object.values(INTEGRATION_REASONS));
  add("component-status", COMPONENT_STATUSES);
  add("component", Object.values(COMPONENT_REASONS));
  add("cluster", Object.values(CLUSTER_REASONS));
  add("target", TARGET_REASONS);
  add("event", Object.values(EVENT_REASONS));
  add("exit", Object.values(EXIT));
  return all;
}

Deno.test("docs: troubleshooting.md has a section for every reason, phase, status and exit code in the code", () => {
  const doc = read(TROUBLESHOOTING);
  const missing: string[] = [];
  for (const { value, anchor } of reportedValues()) {
    // the anchor, then (after a condition reason's sibling anchor) the heading naming the value
    const section = new RegExp(
      `<a id="${anchor}"></a>\\n(?:<a id="[^"]+"></a>\\n)*\\n### [^\\n]*\`${value}\``,
    );
    const condition = anchor.startsWith("condition-") &&
      new RegExp(`<a id="${anchor}"></a>\\n\\n### [^\\n]*condition reason \`${value}\``).test(doc);
    if (!section.test(doc) && !condition) missing.push(`${value} (#${anchor})`);
  }
  assertEquals(missing, [], `not documented in ${TROUBLESHOOTING}`);
  for (
    const id of [
      "controller-crash-looping",
      "controller-crds-missing",
      "controller-rbac-denied",
      "controller-not-leader",
    ]
  ) {
    assert(doc.includes(`<a id="${id}"></a>`), id);
  }
});

/**
 * Reasons the code writes as string literals but that never reach a user, each with why. Kept honest: each
 * must still occur in the code.
 */
const INTERNAL: Record<string, string> = {
  FieldValueRequired: "a CEL validation reason of the API server (api/schema.ts), not KSIT's",
  Timeout: "kube/gather.ts GatherError reason, reported as ClusterUnreachable (kube/errors.ts clusterReason)",
  Aborted: "kube/gather.ts GatherError reason, reported as ClusterUnreachable (kube/errors.ts clusterReason)",
  Conflict: "kube/errors.ts FailureReason of an HTTP 409, retried, never reported",
  Other: "kube/errors.ts FailureReason of other HTTP errors, reported as the code's target reason",
};

/** Reason literals in the places the code produces reasons. */
function reasonLiterals(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\breason\??:\s*((?:\|?\s*"[A-Za-z]+"\s*)+)/g, // object literals and type annotations (all union members)
    /\bexport type \w*(?:Reason|Failure)\s*=\s*((?:\s*\|?\s*"[A-Za-z]+")+)/g,
    /\bnew (?:GatherError|KubeconfigError)\(\s*("[A-Za-z]+")/g,
    /\b(?:drop|refuse)\(\s*("[A-Za-z]+")/g,
    /\bunknownCluster\(\s*[^,()]+,\s*("[A-Za-z]+")/g,
    /\.record\(\s*[^,()]+,\s*"(?:Normal|Warning)",\s*("[A-Za-z]+")/g,
  ];
  for (const re of patterns) {
    for (const m of source.matchAll(re)) out.push(...[...m[1]!.matchAll(/"([A-Za-z]+)"/g)].map((x) => x[1]!));
  }
  return out;
}

async function sources(): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [{ path: "main.ts", text: read("main.ts") }];
  for (const dir of ["api", "checks", "kube", "util", "controller", "cli"]) {
    for await (const e of Deno.readDir(`${root}${dir}`)) {
      if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        out.push({ path: `${dir}/${e.name}`, text: read(`${dir}/${e.name}`) });
      }
    }
  }
  return out;
}

Deno.test("docs: every reason the code writes as a literal is a documented one (or internal, with why)", async () => {
  const documented = new Set(reportedValues().map((v) => v.value));
  const seen = new Set<string>();
  const undocumented: string[] = [];
  for (const { path, text } of await sources()) {
    for (const r of reasonLiterals(text)) {
      seen.add(r);
      if (!documented.has(r) && !(r in INTERNAL)) undocumented.push(`${r} (${path})`);
    }
    // exit reasons: every CliError names an EXIT key (each documented by its code)
    for (const m of text.matchAll(/new CliError\(\s*"([A-Za-z]+)"/g)) {
      if (!(m[1]! in EXIT)) undocumented.push(`CliError ${m[1]} (${path})`);
    }
  }
  assertEquals(undocumented, [], "reasons without a section in docs/troubleshooting.md");
  for (
    const r of ["Connected", "ClusterUnreachable", "ServerNotAllowed", "NotKubernetes", "InvalidKubeconfig"]
  ) {
    assert(seen.has(r), `the scan finds ${r}: it still sees the code`);
  }
  assertEquals(
    Object.keys(INTERNAL).filter((r) => !seen.has(r)),
    [],
    "INTERNAL entries no longer in the code",
  );
});

Deno.test("docs: tools.md has every component of every tool table", () => {
  const doc = read(TOOLS);
  const missing: string[] = [];
  for (const type of TOOL_TYPES) {
    if (!doc.includes(`<a id="${type}"></a>`)) missing.push(type);
    for (const c of TOOL_TABLES[type].components) {
      if (!doc.includes(`<a id="${anchor(type, c.name)}"></a>\`${c.name}\``)) {
        missing.push(`${type}/${c.name}`);
      }
    }
  }
  assertEquals(missing, [], `not documented in ${TOOLS}`);
});

const PAGES = ["README.md", TROUBLESHOOTING, TOOLS, "deploy/workload-rbac/README.md"];

Deno.test("docs: README links the docs, and every link between the pages resolves", () => {
  const readme = read("README.md");
  assert(readme.includes("](docs/troubleshooting.md)"), "README links docs/troubleshooting.md");
  assert(readme.includes("](docs/tools.md)"), "README links docs/tools.md");
  const broken: string[] = [];
  for (const page of PAGES) {
    const dir = page.includes("/") ? page.slice(0, page.lastIndexOf("/") + 1) : "";
    for (const link of links(read(page))) {
      if (/^[a-z]+:/.test(link)) continue; // http(s), mailto
      const [file = "", hash] = link.split("#");
      const target = file ? new URL(file, `file://${root}${dir}`).pathname.slice(root.length) : page;
      let text: string;
      try {
        text = Deno.statSync(`${root}${target}`).isDirectory ? "" : read(target);
      } catch {
        broken.push(`${page}: ${link} (no ${target})`);
        continue;
      }
      if (hash && target.endsWith(".md") && !anchors(text).has(hash)) broken.push(`${page}: ${link}`);
    }
  }
  assertEquals(broken, []);
});

/** The help epilog, where `kubectl ksit --help` shows examples. */
function helpText(): string {
  let text = "";
  const io = { out: (s: string) => void (text += s), err: (s: string) => void (text += s) };
  // deno-lint-ignore no-explicit-any
  buildProgram(io as any, async () => {}).outputHelp();
  return text;
}

/** Parses `args` with the real command tree, actions replaced: the error message, or undefined. */
async function parseError(args: string[], lenient: boolean): Promise<string | undefined> {
  let err = "";
  const io = { out: () => {}, err: (s: string) => void (err += s) };
  // deno-lint-ignore no-explicit-any
  const program = buildProgram(io as any, async () => {});
  const stub = (c: typeof program) => {
    c.action(() => {});
    for (const sub of c.commands) stub(sub as typeof program);
  };
  for (const sub of program.commands) stub(sub as typeof program);
  try {
    await program.parseAsync(args, { from: "user" });
    return undefined;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "commander.helpDisplayed") return undefined;
    // a command mentioned in a sentence may leave out its arguments
    if (lenient && code === "commander.missingArgument") return undefined;
    return err.trim() || String(e);
  }
}

/** Placeholders with the quickstart's values (docs/troubleshooting.md), and the chart's template values. */
function fillPlaceholders(command: string): string {
  return command.replace(/\{\{\s*\.Release\.Namespace\s*\}\}/g, "ksit-system")
    .replace(/<[a-z][a-z -]*>/g, (p) => QUICKSTART_VALUES[p] ?? p.slice(1, -1).replaceAll(" ", "-"));
}

function splitArgs(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

Deno.test("docs: every `kubectl ksit` command in README, docs, NOTES.txt and --help parses with the real command tree", async () => {
  const found: { where: string; command: string; inline: boolean }[] = [];
  for (const page of [...PAGES, "deploy/helm/ksit/templates/NOTES.txt"]) {
    const text = page.endsWith(".txt") ? "```\n" + read(page) + "\n```" : read(page);
    found.push(...ksitCommands(text).map((c) => ({ where: page, ...c })));
  }
  found.push(...ksitCommands("```\n" + helpText() + "\n```").map((c) => ({ where: "--help", ...c })));
  assert(found.length > 30, `found ${found.length} commands`);
  const bad: string[] = [];
  for (const { where, command, inline } of found) {
    const args = splitArgs(fillPlaceholders(command)).slice(2);
    const error = await parseError(args, inline);
    if (error) bad.push(`${where}: ${command}\n    ${error.split("\n")[0]}`);
  }
  assertEquals(bad, [], "commands that kubectl ksit would refuse");
});

Deno.test("docs: the Integration examples use only fields of the CRD schema, and components of the tool tables or added ones", () => {
  const configKeys = Object.keys(integrationSpecSchema.properties.config.properties);
  const specKeys = Object.keys(integrationSpecSchema.properties);
  const overrideKeys = Object.keys(componentOverrideSchema.properties);
  let checked = 0;
  for (const page of PAGES) {
    for (const b of codeBlocks(read(page)).filter((b) => b.lang === "yaml")) {
      for (const d of parseAllDocuments(b.text)) {
        const o = d.toJS() as { kind?: string; spec?: Record<string, unknown> } | null;
        if (o?.kind !== "Integration") continue;
        const where = `${page}:${b.line}`;
        const spec = o.spec ?? {};
        assert((TOOL_TYPES as readonly string[]).includes(spec.type as string), `${where}: spec.type`);
        for (const k of Object.keys(spec)) assert(specKeys.includes(k), `${where}: spec.${k}`);
        const config = (spec.config ?? {}) as Record<string, unknown>;
        for (const k of Object.keys(config)) assert(configKeys.includes(k), `${where}: spec.config.${k}`);
        const table = TOOL_TABLES[spec.type as ToolType].components.map((c) => c.name);
        for (const c of (config.components ?? []) as Record<string, unknown>[]) {
          for (const k of Object.keys(c)) assert(overrideKeys.includes(k), `${where}: components[].${k}`);
          // a name outside the table adds a component: then it says how to find it
          assert(
            table.includes(c.name as string) || "selector" in c || "workloadName" in c,
            `${where}: component ${c.name} is not in the ${spec.type} table and says not how to find it`,
          );
        }
        checked++;
      }
    }
  }
  assert(checked >= 3, `checked ${checked} examples`);
});
