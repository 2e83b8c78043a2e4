/**
 * `kubectl-ksit __complete <words…>`: the completion engine behind the shell scripts of `completion` and
 * behind `kubectl_complete-ksit` (kubectl ≥ 1.26 runs it for `kubectl ksit <TAB>`). It speaks cobra's
 * protocol, which kubectl expects from plugins: one candidate per line (`value<TAB>description`), then
 * `:<directive>` (4 = no file completion, 0 = default/files). The last word is the one being completed.
 * Subcommands and flags come from the command tree itself; flag values from their choices, the kubeconfig
 * (contexts) or the API (namespaces, Integrations, clusters; 2 s deadline, silent on failure).
 */
import type { CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { TOOL_TYPES } from "../api/schema.ts";
import type { Io } from "./io.ts";
import { loadKubeconfig } from "./kubeconfig.ts";

const NO_FILE = 4;
const DEFAULT = 0;

interface Candidate {
  value: string;
  description?: string;
}

interface Parsed {
  cmd: CommandUnknownOpts;
  positionals: string[];
  /** Values of flags seen so far, by long name without dashes (kubeconfig, context, namespace…). */
  flags: Map<string, string>;
  allNamespaces: boolean;
}

function allOptions(cmd: CommandUnknownOpts): Option[] {
  const out: Option[] = [];
  for (let c: CommandUnknownOpts | null = cmd; c; c = c.parent) out.push(...(c.options as Option[]));
  return out;
}

function findOption(cmd: CommandUnknownOpts, word: string): Option | undefined {
  const flag = word.split("=")[0];
  return allOptions(cmd).find((o) => o.long === flag || o.short === flag);
}

const takesValue = (o: Option) => o.required || o.optional;
const nameOf = (o: Option) => (o.long ?? o.short ?? "").replace(/^-+/, "");

function walk(root: CommandUnknownOpts, words: string[]): Parsed {
  const p: Parsed = { cmd: root, positionals: [], flags: new Map(), allNamespaces: false };
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? "";
    if (w.startsWith("-") && w !== "-") {
      const o = findOption(p.cmd, w);
      if (!o) continue;
      if (nameOf(o) === "all-namespaces") p.allNamespaces = true;
      if (takesValue(o)) {
        if (w.includes("=")) p.flags.set(nameOf(o), w.slice(w.indexOf("=") + 1));
        else {
          p.flags.set(nameOf(o), words[i + 1] ?? "");
          i++;
        }
      }
      continue;
    }
    const sub = p.cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub && p.positionals.length === 0) p.cmd = sub as CommandUnknownOpts;
    else p.positionals.push(w);
  }
  return p;
}

async function api<T>(p: Parsed, path: (ns: string | undefined) => string): Promise<T | undefined> {
  try {
    const { RestClient } = await import("./rest_client.ts");
    const kc = await loadKubeconfig({ kubeconfig: p.flags.get("kubeconfig") || undefined });
    const context = p.cmd.name() === "add" ? p.flags.get("control-plane-context") : p.flags.get("context");
    const client = await RestClient.forContext(kc, context || undefined, { timeoutMs: 2000 });
    try {
      const ns = p.allNamespaces
        ? undefined
        : p.flags.get("namespace") || client.context.namespace || "ksit-system";
      return await client.get<T>(path(ns));
    } finally {
      client.close();
    }
  } catch {
    return undefined;
  }
}

type NamedList = {
  items?: { metadata?: { name?: string }; spec?: { clusterName?: string; type?: string } }[];
};
const nsPath = (ns: string | undefined, resource: string) =>
  `/apis/ksit.io/v1alpha1${ns ? `/namespaces/${ns}` : ""}/${resource}`;

async function flagValues(
  p: Parsed,
  flag: string,
  option: Option,
): Promise<{ list: Candidate[]; directive: number }> {
  const choices = (option as { argChoices?: string[] }).argChoices;
  if (choices?.length) return { list: choices.map((value) => ({ value })), directive: NO_FILE };
  switch (flag) {
    case "kubeconfig":
      return { list: [], directive: DEFAULT };
    case "type":
      return { list: TOOL_TYPES.map((value) => ({ value })), directive: NO_FILE };
    case "context":
    case "control-plane-context": {
      try {
        const kc = await loadKubeconfig({ kubeconfig: p.flags.get("kubeconfig") || undefined });
        return { list: kc.contextNames().map((value) => ({ value })), directive: NO_FILE };
      } catch {
        return { list: [], directive: NO_FILE };
      }
    }
    case "namespace": {
      const l = await api<NamedList>(p, () => "/api/v1/namespaces");
      return { list: (l?.items ?? []).map((i) => ({ value: i.metadata?.name ?? "" })), directive: NO_FILE };
    }
    case "cluster": {
      const l = await api<NamedList>(p, (ns) => nsPath(ns, "integrationtargets"));
      const names = new Set((l?.items ?? []).map((i) => i.spec?.clusterName ?? ""));
      return { list: [...names].map((value) => ({ value })), directive: NO_FILE };
    }
    default:
      return { list: [], directive: NO_FILE };
  }
}

async function positionalValues(p: Parsed): Promise<Candidate[]> {
  const name = p.cmd.name();
  if (name === "describe" && p.positionals.length === 0) {
    const l = await api<NamedList>(p, (ns) => nsPath(ns, "integrations"));
    return (l?.items ?? []).map((i) => ({ value: i.metadata?.name ?? "", description: i.spec?.type }));
  }
  if (name === "completion" && p.positionals.length === 0) {
    return ["bash", "zsh", "fish"].map((value) => ({ value }));
  }
  return [];
}

/** Candidates for the last word of `words` (exported for tests). */
export async function candidates(
  root: CommandUnknownOpts,
  words: string[],
): Promise<{ list: Candidate[]; directive: number }> {
  const done = words.slice(0, -1);
  const cur = words[words.length - 1] ?? "";
  const p = walk(root, done);
  const prev = done[done.length - 1];
  let result: { list: Candidate[]; directive: number };
  const prevOption = prev?.startsWith("-") && !prev.includes("=") ? findOption(p.cmd, prev) : undefined;
  if (prevOption && takesValue(prevOption)) {
    result = await flagValues(p, nameOf(prevOption), prevOption);
  } else if (cur.startsWith("-")) {
    const list: Candidate[] = [];
    for (const o of allOptions(p.cmd)) {
      if (o.hidden) continue;
      if (o.long) list.push({ value: o.long, description: o.description });
      if (o.short && cur.length <= 2 && !cur.startsWith("--")) {
        list.push({ value: o.short, description: o.description });
      }
    }
    list.push({ value: "--help", description: "show help" });
    result = { list, directive: NO_FILE };
  } else {
    const subs = p.positionals.length === 0
      ? p.cmd.commands
        .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)
        .map((c) => ({ value: c.name(), description: c.description() }))
      : [];
    result = { list: subs.length ? subs : await positionalValues(p), directive: NO_FILE };
  }
  return { list: result.list.filter((c) => c.value && c.value.startsWith(cur)), directive: result.directive };
}

export async function complete(words: string[], io: Io, build: () => CommandUnknownOpts): Promise<number> {
  const noDesc = io.env("KSIT_COMPLETE_NO_DESC") === "1";
  const { list, directive } = await candidates(build(), words.length ? words : [""]);
  let out = "";
  for (const c of list) {
    const desc = !noDesc && c.description ? `\t${c.description.split("\n")[0]}` : "";
    out += `${c.value}${desc}\n`;
  }
  io.out(`${out}:${directive}\n`);
  return 0;
}
