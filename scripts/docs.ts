/**
 * `deno task docs`: writes the reference parts of docs/troubleshooting.md and docs/tools.md from the code's own
 * tables, between `<!-- BEGIN GENERATED: <block> … -->` and `<!-- END GENERATED: <block> -->`; the prose
 * around them is written by hand. `--check` writes nothing and exits 1 when a file is not up to date
 * (tests/docs_test.ts does the same).
 *
 * - troubleshooting.md, block `reasons`: every phase (api/schema.ts INTEGRATION_PHASES) with its condition
 *   reason (checks/reasons.ts INTEGRATION_REASONS), component status (COMPONENT_STATUSES), component reason
 *   (COMPONENT_REASONS), cluster reason (CLUSTER_REASONS), IntegrationTarget reason (api/types.ts
 *   TARGET_REASONS), Event reason (EVENT_REASONS) and exit code (cli/errors.ts EXIT), in table order, with
 *   the words of scripts/docs/reasons.ts; block `controller`: the controller's own problems.
 * - tools.md, block `tools`: per tool its namespaces, discovery, components (kind, required, labels, names)
 *   and ignored workloads from checks/tools.ts, the words of scripts/docs/tools.ts, and the installs of the
 *   corpus it is tested on (tests/fixtures/corpus/index.ts); block `overrides`: the fields of
 *   `spec.config.components` from api/schema.ts.
 *
 * The result goes through `deno fmt`, so the files stay as `deno fmt` wants them.
 */
import {
  COMPONENT_STATUSES,
  componentOverrideSchema,
  INTEGRATION_PHASES,
  TOOL_TYPES,
} from "../api/schema.ts";
import { type Phase, TARGET_REASONS, type ToolType } from "../api/types.ts";
import type { LabelSelector } from "../api/types.ts";
import { CLUSTER_REASONS, COMPONENT_REASONS, EVENT_REASONS, INTEGRATION_REASONS } from "../checks/reasons.ts";
import { type ComponentRule, type NameMatcher, TOOL_TABLES } from "../checks/tools.ts";
import { EXIT, EXIT_CODE_HELP } from "../cli/errors.ts";
import { CORPUS } from "../tests/fixtures/corpus/index.ts";
import {
  CLUSTER_REASON_DOCS,
  type Command,
  COMPONENT_REASON_DOCS,
  COMPONENT_STATUS_DOCS,
  CONTROLLER_PROBLEMS,
  EVENT_REASON_DOCS,
  EXIT_DOCS,
  FIRST_LOOK,
  PHASE_DOCS,
  type ReasonDoc,
  TARGET_REASON_DOCS,
} from "./docs/reasons.ts";
import { TOOL_DOCS } from "./docs/tools.ts";

export const TROUBLESHOOTING = "docs/troubleshooting.md";
export const TOOLS = "docs/tools.md";

const root = new URL("../", import.meta.url).pathname;

/** The anchor of one entry: `target-secretnotfound`, `exit-7`, `argocd-argocd-server`. */
export function anchor(category: string, name: string | number): string {
  return `${category}-${String(name).toLowerCase()}`;
}

/** One documented value of a reason table. */
export interface Entry {
  /** The value KSIT reports (`SecretNotFound`, `3`). */
  value: string;
  /** Anchors of its section (the first is the section's own; a phase also carries its condition reason's). */
  anchors: string[];
  title: string;
  doc: ReasonDoc;
}

export interface Category {
  /** Anchor prefix. */
  id: string;
  heading: string;
  /** One value's kind, for the index: "Component reason". */
  singular: string;
  /** Where the values appear and how to see them (markdown). */
  where: string;
  entries: Entry[];
}

const values = <T extends string>(o: Record<string, T>): T[] => Object.values(o);

/** Every value KSIT reports, by category, in the order of the code's tables, with its words. */
export function categories(): Category[] {
  const simple = <K extends string>(
    id: string,
    values: readonly K[],
    docs: Record<K, ReasonDoc>,
  ): Entry[] => values.map((v) => ({ value: v, anchors: [anchor(id, v)], title: `\`${v}\``, doc: docs[v] }));
  return [
    {
      id: "phase",
      heading: "Integration phases",
      singular: "Integration and cluster phase",
      where: "`status.phase` of an Integration (the PHASE column of `kubectl get integrations` and " +
        "`kubectl ksit status`) and `status.clusters[].phase` of each of its clusters (`kubectl ksit " +
        "describe`, `kubectl ksit check`). Each phase sets the reason of the conditions `Ready`, `Degraded`, " +
        "`Reconciling` and `Stalled`, shown after the phase below.",
      entries: INTEGRATION_PHASES.map((p) => {
        const condition = INTEGRATION_REASONS[p];
        return {
          value: p,
          anchors: [anchor("phase", p), anchor("condition", condition)],
          title: `\`${p}\` (condition reason \`${condition}\`)`,
          doc: PHASE_DOCS[p],
        };
      }),
    },
    {
      id: "component-status",
      heading: "Component statuses",
      singular: "Component status",
      where:
        "`status.clusters[].components[].status`: the verdict on one component of the tool on one cluster.",
      entries: simple("component-status", COMPONENT_STATUSES, COMPONENT_STATUS_DOCS),
    },
    {
      id: "component",
      heading: "Component reasons",
      singular: "Component reason",
      where: "`status.clusters[].components[].reason`, with a message naming the workload and its numbers " +
        "(`argocd-repo-server: 0/2 available`): `kubectl ksit describe <integration>`, `kubectl ksit check " +
        "-o wide` (UNHEALTHY). The rules follow kstatus, in the order of `checks/workload.ts`.",
      entries: simple("component", values(COMPONENT_REASONS), COMPONENT_REASON_DOCS),
    },
    {
      id: "cluster",
      heading: "Cluster reasons",
      singular: "Cluster reason",
      where:
        "`status.clusters[].reason`: one cluster's verdict for one Integration (`kubectl ksit describe`, " +
        "`kubectl ksit check -o wide`). A cluster that could not be checked is `Unknown` and carries the " +
        "reason of its IntegrationTarget ([below](#integrationtarget-reasons)) or of the read that failed " +
        "(`Unauthorized`, `Forbidden`, `ClusterUnreachable`).",
      entries: simple("cluster", values(CLUSTER_REASONS), CLUSTER_REASON_DOCS),
    },
    {
      id: "target",
      heading: "IntegrationTarget reasons",
      singular: "IntegrationTarget reason",
      where: "The reason of an IntegrationTarget's `Ready` condition: the REASON column of `kubectl get " +
        "integrationtargets` and `kubectl ksit target list`. Every cluster of an Integration whose target is " +
        "not Ready is `Unknown` with the same reason and message.",
      entries: simple("target", TARGET_REASONS, TARGET_REASON_DOCS),
    },
    {
      id: "event",
      heading: "Event reasons",
      singular: "Event reason",
      where: "Kubernetes Events on an Integration, recorded only on transitions: `kubectl get events -n " +
        "ksit-system --field-selector involvedObject.name=<integration>`; `kubectl ksit describe` shows the " +
        "recent ones.",
      entries: simple("event", values(EVENT_REASONS), EVENT_REASON_DOCS),
    },
    {
      id: "exit",
      heading: "Exit codes of kubectl ksit",
      singular: "Exit code",
      where: "`echo $?` after a `kubectl ksit` command; `kubectl ksit --help` lists them. Errors print one " +
        "line on stderr (`error: …`), the stack only with `--debug`.",
      entries: (Object.keys(EXIT) as (keyof typeof EXIT)[]).map((k) => ({
        value: String(EXIT[k]),
        anchors: [anchor("exit", EXIT[k])],
        title: `\`${EXIT[k]}\` ${EXIT_CODE_HELP.find(([c]) => c === EXIT[k])?.[1] ?? k}`,
        doc: EXIT_DOCS[k],
      })),
    },
  ];
}

/** Every command of docs/troubleshooting.md's generated parts, in the order of the page. */
export function documentedCommands(): Command[] {
  return [
    ...FIRST_LOOK.map((f) => f.command),
    ...CONTROLLER_PROBLEMS.flatMap((p) => p.doc.confirm ?? []),
    ...categories().flatMap((c) => c.entries.flatMap((e) => e.doc.confirm ?? [])),
  ];
}

export function commandText(c: Command): string {
  return typeof c === "string" ? c : c.sh;
}

function renderDoc(doc: ReasonDoc): string {
  const out = [doc.means, ""];
  if (doc.causes?.length) out.push("**Likely causes**", "", ...doc.causes.map((c) => `- ${c}`), "");
  if (doc.confirm?.length) {
    out.push("**Confirm**", "", "```sh", ...doc.confirm.map(commandText), "```", "");
  }
  if (doc.fix?.length) out.push("**Fix**", "", ...doc.fix.map((f) => `- ${f}`), "");
  return out.join("\n");
}

function renderEntry(e: Entry): string {
  return [...e.anchors.map((a) => `<a id="${a}"></a>`), "", `### ${e.title}`, "", renderDoc(e.doc)].join(
    "\n",
  );
}

/** The `reasons` block: an index of every value, then every category. */
export function renderReasons(): string {
  const cats = categories();
  const rows = cats.filter((c) => c.id !== "exit").flatMap((c) =>
    c.entries.flatMap((e) => [
      { value: e.value, anchor: e.anchors[0]!, what: c.singular },
      // a phase's section also documents its condition reason
      ...(c.id === "phase"
        ? [{
          value: INTEGRATION_REASONS[e.value as Phase],
          anchor: e.anchors[1]!,
          what: "Integration condition reason",
        }]
        : []),
    ])
  ).sort((a, b) => a.value.localeCompare(b.value) || a.what.localeCompare(b.what));
  const out = [
    "## Every reason, phase and status",
    "",
    "| value | what it is |",
    "| --- | --- |",
    ...rows.map((r) => `| [\`${r.value}\`](#${r.anchor}) | ${r.what} |`),
    "",
  ];
  for (const c of cats) {
    out.push(`<a id="${slug(c.heading)}"></a>`, "", `## ${c.heading}`, "", c.where, "");
    for (const e of c.entries) out.push(renderEntry(e));
  }
  return out.join("\n");
}

/** The `first` block: the first commands to run. */
export function renderFirst(): string {
  const width = Math.max(...FIRST_LOOK.map((f) => commandText(f.command).length)) + 2;
  return ["```sh", ...FIRST_LOOK.map((f) => `${commandText(f.command).padEnd(width)}# ${f.shows}`), "```", ""]
    .join("\n");
}

/** The `controller` block. */
export function renderController(): string {
  return CONTROLLER_PROBLEMS.map((p) =>
    [`<a id="${p.id}"></a>`, "", `### ${p.title}`, "", renderDoc(p.doc)].join("\n")
  ).join("\n");
}

function slug(heading: string): string {
  return heading.toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-");
}

// ------------------------------------------------------------------------------------------------ tools.md

/** A label selector as kubectl writes one: `a=b,c in (d,e),f,!g`. */
export function selectorText(s: LabelSelector): string {
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(",")})`);
  }
  return parts.join(",");
}

function nameText(m: NameMatcher): string {
  const text = "exact" in m ? m.exact : "suffix" in m ? `*-${m.suffix}` : `${m.prefix}-*`;
  return `\`${text}\`${m.kinds ? ` (${m.kinds.join(", ")})` : ""}`;
}

function requiredText(c: ComponentRule): string {
  if (!c.required) return "no";
  if (c.requiredIfFound === c.name) return "when installed";
  if (c.requiredIfFound) return `when \`${c.requiredIfFound}\` is installed`;
  return "yes";
}

function remarks(c: ComponentRule, tool: ComponentRule[]): string {
  const r: string[] = [];
  if (c.identifies === false) r.push("does not alone make an install");
  if (c.quietIfMissing) r.push("not listed when absent");
  if (c.group) {
    const others = tool.filter((o) => o.group === c.group && o !== c).map((o) => `\`${o.name}\``);
    r.push(`one of the ${c.group}s (with ${others.join(", ")})`);
  }
  return r.join("; ");
}

function renderTool(type: ToolType): string {
  const t = TOOL_TABLES[type];
  const d = TOOL_DOCS[type];
  const out = [
    `<a id="${type}"></a>`,
    "",
    `## ${t.displayName} (\`type: ${type}\`)`,
    "",
    d.intro,
    "",
    `- **Namespaces read by default:** ${t.defaultNamespaces.map((n) => `\`${n}\``).join(", ")}.`,
    `- **Found elsewhere by:** ${
      t.discovery.map((r) => `${r.kind}s labelled \`${r.labelSelector}\``).join(", ")
    } (cluster-wide lists, only when the tool is not in its default namespaces and no namespace is set).`,
    "",
    "| component | kind | required | what it is | notes |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const c of t.components) {
    const what = d.components[c.name];
    if (!what) throw new Error(`scripts/docs/tools.ts: no words for ${type} component ${c.name}`);
    out.push(
      `| <a id="${anchor(type, c.name)}"></a>\`${c.name}\` | ${c.kinds.join(", ")} | ${requiredText(c)} | ` +
        `${what} | ${remarks(c, [...t.components])} |`,
    );
  }
  out.push(
    "",
    "How each component is found: its label selectors first (any one matching), then — only when none " +
      "matched anything — its names.",
    "",
    "| component | labels | names |",
    "| --- | --- | --- |",
  );
  for (const c of t.components) {
    const labels = c.selectors.map((s) => `\`${selectorText(s)}\``).join(" or ") || "—";
    const fallback = (c.fallbackSelectors ?? []).map((s) => `\`${selectorText(s)}\``);
    const names = [...c.names.map(nameText), ...fallback.map((f) => `labels ${f}`)].join(" or ") || "—";
    out.push(`| \`${c.name}\` | ${labels} | ${names} |`);
  }
  out.push("");
  for (const i of t.ignored) {
    out.push(
      `Not judged: ${i.kinds.join(", ")} labelled \`${selectorText(i.selector)}\` — ${i.why}.`,
      "",
    );
  }
  if (d.notes.length) out.push(...d.notes.map((n) => `- ${n}`), "");
  const installs = CORPUS.filter((c) => c.tool === type);
  out.push(
    `Installs KSIT is tested on (\`tests/fixtures/corpus/${type}/\`, rendered from upstream; each is Running ` +
      "when healthy and every breakage names its component):",
    "",
    "| install | namespaces | components found |",
    "| --- | --- | --- |",
    ...installs.map((c) => {
      const absent = t.components.map((x) => x.name).filter((n) => !(n in c.expect));
      const found = absent.length ? `all but ${absent.map((n) => `\`${n}\``).join(", ")}` : "all";
      return `| ${c.title} | ${c.namespaces.map((n) => `\`${n}\``).join(", ")} | ${found} |`;
    }),
    "",
  );
  return out.join("\n");
}

export function renderTools(): string {
  return TOOL_TYPES.map(renderTool).join("\n");
}

/** The `overrides` block: the fields of one entry of `spec.config.components`. */
export function renderOverrides(): string {
  const notes: Record<string, string> = {
    name: "A component of the tool's table (below) to change, or a new name to add a component.",
    kind: "The workload kind to look for (`Service`: its EndpointSlices). Default: the table's, or " +
      "`Deployment` for a new component.",
    required:
      "`true`: unhealthy or missing fails the cluster; `false`: unhealthy degrades it, missing is only " +
      'listed. Replaces the table\'s (and its "required when installed").',
    ignore: "`true`: not judged at all.",
    workloadName: "Match exactly this workload name (with `selector`: both must match).",
    selector: "Match workloads with these labels (`matchLabels` / `matchExpressions`).",
  };
  const props = componentOverrideSchema.properties as Record<
    string,
    { type?: string; enum?: readonly string[] }
  >;
  return [
    "| field | type | meaning |",
    "| --- | --- | --- |",
    ...Object.entries(props).map(([k, p]) => {
      const type = p.enum ? p.enum.map((v) => `\`${v}\``).join(" \\| ") : p.type ?? "";
      const note = notes[k];
      if (!note) throw new Error(`scripts/docs.ts: no words for spec.config.components[].${k}`);
      return `| \`${k}\` | ${type} | ${note} |`;
    }),
    "",
  ].join("\n");
}

// ------------------------------------------------------------------------------------------------ writing

const BLOCKS: Record<string, Record<string, () => string>> = {
  [TROUBLESHOOTING]: { first: renderFirst, controller: renderController, reasons: renderReasons },
  [TOOLS]: { tools: renderTools, overrides: renderOverrides },
};

/** `current` with each generated block replaced; fails when a block's markers are missing. */
export function fillBlocks(file: string, current: string): string {
  let text = current;
  for (const [block, render] of Object.entries(BLOCKS[file] ?? {})) {
    const begin = new RegExp(`<!-- BEGIN GENERATED: ${block}\\b[^>]*-->\\n`);
    const end = `<!-- END GENERATED: ${block} -->`;
    const b = begin.exec(text);
    const e = text.indexOf(end);
    if (!b || e < b.index) throw new Error(`${file}: markers of block ${block} missing`);
    const start = b.index + b[0].length;
    text = `${text.slice(0, start)}\n${render()}\n${text.slice(e)}`;
  }
  return text;
}

/** Markdown through `deno fmt` (the repository's settings). */
export async function fmt(markdown: string): Promise<string> {
  const p = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(markdown));
  await w.close();
  const out = await p.output();
  if (!out.success) throw new Error(`deno fmt: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/** What `file` should contain. */
export async function generated(file: string): Promise<string> {
  return await fmt(fillBlocks(file, await Deno.readTextFile(`${root}${file}`)));
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  let stale = 0;
  for (const file of Object.keys(BLOCKS)) {
    const want = await generated(file);
    const have = await Deno.readTextFile(`${root}${file}`);
    if (want === have) continue;
    if (check) {
      console.error(`${file} is not up to date: run deno task docs`);
      stale++;
    } else {
      await Deno.writeTextFile(`${root}${file}`, want);
      console.log(`wrote ${file}`);
    }
  }
  if (stale) Deno.exit(1);
}
