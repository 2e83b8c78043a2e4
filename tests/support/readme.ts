/**
 * README's commands as a test sees them. A code block preceded by `<!-- run-on-quickstart … -->` is a
 * transcript to replay on the quickstart: each `$ command` line is a step, the lines after it its output,
 * `$ echo $?` and the number after it the previous step's exit code (0 when not shown), `# …` lines comments
 * ("… 1 s later"). Every other command shown in README (a `$` line of another block, a line of a `sh` block)
 * must be listed in `NOT_RUN` with the reason it cannot run on the quickstart — so a new command in README is
 * either replayed or explicitly excused, never silently unchecked.
 *
 * What a replayed step must show: its exit code and, in the tables of its output, the PHASE, HEALTHY, REASON
 * and MESSAGE (numbers and quoted names aside) of every row README shows, by NAME or CONTEXT (and TYPE); in
 * tables without such a key (Events, conditions), the REASON and PHASE values README shows must appear.
 */
import { codeBlocks } from "./markdown.ts";

const INVENTORIES =
  "the quickstart has no Argo CD, Cluster API or ClusterProfile inventory; tests/inventory_test.ts runs serve " +
  "with the flags these values render (tests/deploy_helm_test.ts renders and grants them) and target import " +
  "on real inventories";

/** Commands README shows that the quickstart test does not replay, and why. */
export const NOT_RUN: Record<string, string> = {
  "npx -y deno@2.9.6 task quickstart":
    "tests/quickstart_test.ts runs this task itself (as `deno task quickstart`, with Deno.execPath())",
  "npx -y deno@2.9.6 task test": "the whole test suite, of which this test is one",
  "helm upgrade ksit deploy/helm/ksit -n ksit-system --reuse-values --set inventories.argocd.enabled=true":
    INVENTORIES,
  "helm upgrade ksit deploy/helm/ksit -n ksit-system --reuse-values --set inventories.capi.enabled=true --set 'inventories.capi.namespaces={fleet-a,fleet-b}'":
    INVENTORIES,
  "helm upgrade ksit deploy/helm/ksit -n ksit-system --reuse-values --set inventories.clusterProfiles.enabled=true --set 'inventories.clusterProfiles.namespaces={fleet}'":
    INVENTORIES,
  "kubectl get integrationtargets -n ksit-system -L ksit.io/source,env": INVENTORIES,
  "kubectl ksit target import --from argocd -n ksit-system": INVENTORIES,
  "kubectl ksit target import --from argocd -n ksit-system --apply": INVENTORIES,
  "helm upgrade ksit deploy/helm/ksit -n ksit-system --reuse-values --set inventories.argocd.enabled=true --set inventories.argocd.sync=false":
    INVENTORIES,
  "kubectl ksit dashboard -n ksit-system":
    "a server that runs until Ctrl-C: tests/quickstart_test.ts runs the quickstart's printed `kubectl ksit dashboard` " +
    "and reads its page; tests/dashboard_e2e_test.ts runs it on live clusters",
  "kubectl ksit dashboard -A --port 0":
    "a server that runs until Ctrl-C: tests/dashboard_e2e_test.ts runs `kubectl ksit dashboard -n … --port 0` on " +
    "live clusters (-A: the same informers without a namespace)",
  "helm upgrade --install ksit deploy/helm/ksit -n ksit-system --set replicaCount=3":
    "needs pods and a kubelet: the quickstart runs `serve` as a local process; tests/deploy_helm_test.ts renders " +
    "replicaCount > 1 (leader election, --sharding=dynamic, the sharding Role) and tests/sharding_test.ts runs three " +
    "replicas",
  "kubectl ksit target list -n ksit-system -o wide":
    "the quickstart runs one replica; tests/golden/targets.wide.txt holds the JUDGED BY column, tests/sharding_test.ts " +
    "checks judgedBy with three replicas",
  "kubectl get leases -n ksit-system -l ksit.io/replica-of":
    "the quickstart runs one replica, without replica Leases; tests/sharding_test.ts and the bench (--replicas) run " +
    "several",
  "kubectl -n ksit-system port-forward deploy/ksit 8081":
    "needs a pod and a kubelet: the quickstart runs `serve` as a local process (tests/in_cluster_test.ts reads the " +
    "chart's dashboard port of the in-pod serve)",
};

export interface Step {
  command: string;
  /** The exit code README shows (`$ echo $?`), else 0. */
  exit: number;
  /** The output README shows. */
  output: string;
}

export interface Transcript {
  /** Line of the opening fence. */
  line: number;
  steps: Step[];
}

/** The blocks marked `run-on-quickstart`, in order, as steps. */
export function transcripts(markdown: string): Transcript[] {
  return codeBlocks(markdown).filter((b) => b.marker?.startsWith("run-on-quickstart")).map((b) => {
    const steps: Step[] = [];
    const lines = b.text.split("\n");
    let current: { command: string; exit: number; output: string[] } | undefined;
    const flush = () => {
      if (current) {
        steps.push({ command: current.command, exit: current.exit, output: current.output.join("\n") });
      }
      current = undefined;
    };
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l === "$ echo $?") {
        const code = Number(lines[++i]);
        if (!current || !Number.isInteger(code)) {
          throw new Error(`README:${b.line}: \`$ echo $?\` needs a command before it and a number after it`);
        }
        current.exit = code;
        flush();
        continue;
      }
      if (l.startsWith("$ ")) {
        flush();
        current = { command: l.slice(2).trim(), exit: 0, output: [] };
      } else if (l.startsWith("# ")) {
        flush();
      } else if (current) {
        current.output.push(l);
      }
    }
    flush();
    return { line: b.line, steps };
  });
}

/** Every command README shows in a code block, with whether a transcript replays it. */
export function shownCommands(markdown: string): { command: string; line: number; replayed: boolean }[] {
  const out: { command: string; line: number; replayed: boolean }[] = [];
  for (const b of codeBlocks(markdown)) {
    const replayed = b.marker?.startsWith("run-on-quickstart") ?? false;
    const shell = ["sh", "bash", "shell", "console"].includes(b.lang);
    if (b.lang && !shell) continue; // ts, yaml, …: not commands
    for (const l of b.text.split("\n")) {
      let command: string | undefined;
      if (l.startsWith("$ ")) command = l.slice(2);
      else if (shell && l.trim() && !l.trim().startsWith("#")) command = l;
      if (command === undefined || command === "echo $?") continue;
      out.push({ command: command.replace(/\s+#.*$/, "").trim(), line: b.line, replayed });
    }
  }
  return out;
}

/** A table of a command's output: its header cells and rows, cut at the header's column positions. */
export interface Table {
  header: string[];
  rows: Record<string, string>[];
}

const CHECKED = ["PHASE", "HEALTHY", "REASON", "MESSAGE"];

export function tables(output: string): Table[] {
  const out: Table[] = [];
  const lines = output.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const cells = line.trim().split(/\s{2,}/);
    if (cells.length < 2 || !/^[A-Z][A-Z ]*$/.test(cells[0]!) || !cells.some((c) => CHECKED.includes(c))) {
      continue;
    }
    const starts: number[] = [];
    let from = 0;
    for (const c of cells) {
      const at = line.indexOf(c, from);
      starts.push(at);
      from = at + c.length;
    }
    const rows: Record<string, string>[] = [];
    for (i++; i < lines.length && lines[i]!.trim() !== ""; i++) {
      const r = lines[i]!;
      const row: Record<string, string> = {};
      cells.forEach((
        c,
        k,
      ) => (row[c] = r.slice(starts[k], k + 1 < starts.length ? starts[k + 1] : undefined).trim()));
      rows.push(row);
    }
    i--;
    out.push({ header: cells, rows });
  }
  return out;
}

/** A message without the numbers and quoted names that change from run to run. */
function shape(message: string): string {
  return message.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, "N");
}

function keyOf(t: Table, row: Record<string, string>): string | undefined {
  const first = t.header[0]!;
  if (first !== "NAME" && first !== "CONTEXT") return undefined;
  return `${row[first]}|${row.TYPE ?? ""}`;
}

/** What the actual output lacks of what README shows (empty: it matches). */
export function mismatches(shown: string, actual: string): string[] {
  const want = tables(shown);
  const have = tables(actual);
  const out: string[] = [];
  for (const w of want) {
    const same = have.filter((h) =>
      h.header[0] === w.header[0] && w.header.every((c) => !CHECKED.includes(c) || h.header.includes(c))
    );
    if (!same.length) {
      out.push(`no table with columns ${w.header.join(", ")}`);
      continue;
    }
    const checked = w.header.filter((c) => CHECKED.includes(c));
    for (const row of w.rows) {
      const key = keyOf(w, row);
      if (key === undefined) {
        // no key (Events, conditions): the values shown must occur
        for (const c of checked.filter((c) => c !== "MESSAGE")) {
          if (!same.some((h) => h.rows.some((r) => r[c] === row[c]))) out.push(`no ${c} ${row[c]}`);
        }
        continue;
      }
      const match = same.flatMap((h) => h.rows.filter((r) => keyOf(h, r) === key));
      if (!match.length) {
        out.push(`no row ${key.replace(/\|$/, "")}`);
        continue;
      }
      for (const c of checked) {
        const norm = c === "MESSAGE" ? shape : (s: string) => s;
        if (!match.some((r) => norm(r[c] ?? "") === norm(row[c] ?? ""))) {
          out.push(`${key.replace(/\|$/, "")}: ${c} is "${match[0]![c]}", README shows "${row[c]}"`);
        }
      }
    }
  }
  return out;
}

/**
 * The commands README shows the quickstart printing (the indented `kubectl …` lines of the block with its
 * output): the quickstart must print each of them as shown.
 */
export function quickstartPrinted(markdown: string): string[] {
  return codeBlocks(markdown).filter((b) => /^==> /m.test(b.text))
    .flatMap((b) => b.text.split("\n").filter((l) => /^ {2}kubectl /.test(l)).map((l) => l.trim()));
}
