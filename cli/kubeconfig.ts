/**
 * kubectl's kubeconfig loading rules, without @kubernetes/client-node (which costs ~0.3 s to import):
 * `--kubeconfig` (one file, must exist), else `$KUBECONFIG` (a path list, merged: the first file that defines
 * a name wins, and the first `current-context` wins), else `~/.kube/config`. Relative file references are
 * resolved against the file that holds them, so a resolved context stands on its own (kube/kubeconfig.ts
 * kubeConfigForContext turns it into a client-node KubeConfig). Kubeconfigs written the usual way are read
 * without the yaml package (cli/kubeconfig_yaml.ts); any other is parsed with it.
 */
import { CliError } from "./errors.ts";
import { readKubeconfigYaml } from "./kubeconfig_yaml.ts";
import { loadYaml } from "./yaml_lazy.ts";

export interface NamedCluster {
  server: string;
  "certificate-authority"?: string;
  "certificate-authority-data"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "tls-server-name"?: string;
  "proxy-url"?: string;
  [k: string]: unknown;
}

export interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[] | null;
  apiVersion?: string;
  [k: string]: unknown;
}

export interface NamedUser {
  token?: string;
  tokenFile?: string;
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  username?: string;
  password?: string;
  exec?: ExecConfig;
  "auth-provider"?: { name: string; config?: Record<string, string> };
  [k: string]: unknown;
}

export interface NamedContext {
  cluster: string;
  user: string;
  namespace?: string;
  [k: string]: unknown;
}

/** One context resolved to its cluster and user entries. */
export interface ResolvedContext {
  name: string;
  cluster: NamedCluster;
  clusterName: string;
  user: NamedUser;
  userName: string;
  /** The context's namespace, if it sets one. */
  namespace?: string;
}

export interface KubeconfigSource {
  /** `--kubeconfig` */
  kubeconfig?: string;
  /** Environment (for `KUBECONFIG` and `HOME`); defaults to Deno.env. */
  env?: (name: string) => string | undefined;
}

const PATH_FIELDS_CLUSTER = ["certificate-authority"] as const;
const PATH_FIELDS_USER = ["client-certificate", "client-key", "tokenFile"] as const;

function isAbsolute(p: string): boolean {
  return p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p);
}

function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  return i <= 0 ? (i === 0 ? "/" : ".") : p.slice(0, i);
}

function resolveAgainst(base: string, p: string): string {
  if (isAbsolute(p)) return p;
  return `${base}/${p.replace(/^(\.\/)+/, "")}`.replace(/\/\.\//g, "/");
}

function expandHome(p: string, home: string | undefined): string {
  return home && (p === "~" || p.startsWith("~/")) ? home + p.slice(1) : p;
}

export class Kubeconfig {
  readonly clusters = new Map<string, NamedCluster>();
  readonly users = new Map<string, NamedUser>();
  readonly contexts = new Map<string, NamedContext>();
  currentContext = "";

  /** @param files the files that were read, for messages */
  constructor(readonly files: string[]) {}

  /**
   * Adds one file's content (parsed by `parseKubeconfigText`); entries already present (from earlier files)
   * win, like kubectl's merge.
   */
  addDocument(doc: unknown, path: string): void {
    if (doc === null || doc === undefined) return; // empty file: kubectl accepts it
    if (typeof doc !== "object" || Array.isArray(doc)) {
      throw new CliError("NoKubeconfig", `kubeconfig ${path}: not a kubeconfig (expected a mapping)`);
    }
    const d = doc as Record<string, unknown>;
    const base = dirname(path);
    const list = (key: string) => (Array.isArray(d[key]) ? d[key] as Record<string, unknown>[] : []);
    for (const e of list("clusters")) {
      const name = typeof e?.name === "string" ? e.name : undefined;
      const c = e?.cluster as NamedCluster | undefined;
      if (!name || !c || this.clusters.has(name)) continue;
      const copy = { ...c };
      for (const f of PATH_FIELDS_CLUSTER) {
        if (typeof copy[f] === "string" && copy[f]) copy[f] = resolveAgainst(base, copy[f]);
      }
      this.clusters.set(name, copy);
    }
    for (const e of list("users")) {
      const name = typeof e?.name === "string" ? e.name : undefined;
      const u = (e?.user ?? {}) as NamedUser;
      if (!name || this.users.has(name)) continue;
      const copy = { ...u };
      for (const f of PATH_FIELDS_USER) {
        if (typeof copy[f] === "string" && copy[f]) copy[f] = resolveAgainst(base, copy[f]);
      }
      // exec commands with a path separator are relative to the kubeconfig file (kubectl's rule)
      if (copy.exec?.command && copy.exec.command.includes("/") && !isAbsolute(copy.exec.command)) {
        copy.exec = { ...copy.exec, command: resolveAgainst(base, copy.exec.command) };
      }
      this.users.set(name, copy);
    }
    for (const e of list("contexts")) {
      const name = typeof e?.name === "string" ? e.name : undefined;
      const c = e?.context as NamedContext | undefined;
      if (!name || !c || this.contexts.has(name)) continue;
      this.contexts.set(name, { ...c });
    }
    const cur = d["current-context"];
    if (!this.currentContext && typeof cur === "string") this.currentContext = cur;
  }

  contextNames(): string[] {
    return [...this.contexts.keys()].sort();
  }

  /** The named context (default: current-context), or a CliError (UnknownContext) that says what exists. */
  resolve(name?: string): ResolvedContext {
    const ctxName = name || this.currentContext;
    const where = this.files.join(":");
    const available = this.contextNames();
    const avail = available.length ? `; available: ${available.join(", ")}` : "; it has no contexts";
    if (!ctxName) {
      throw new CliError(
        "UnknownContext",
        `no current context in kubeconfig ${where}: pass --context${avail}`,
      );
    }
    const ctx = this.contexts.get(ctxName);
    if (!ctx) {
      throw new CliError("UnknownContext", `context "${ctxName}" not found in kubeconfig ${where}${avail}`);
    }
    const cluster = this.clusters.get(ctx.cluster);
    if (!cluster?.server) {
      throw new CliError(
        "NoKubeconfig",
        `context "${ctxName}": cluster "${ctx.cluster}" is missing or has no server in kubeconfig ${where}`,
      );
    }
    const user = this.users.get(ctx.user) ?? {};
    return {
      name: ctxName,
      cluster,
      clusterName: ctx.cluster,
      user,
      userName: ctx.user,
      ...(ctx.namespace ? { namespace: ctx.namespace } : {}),
    };
  }
}

/** A kubeconfig file's text as data: what the yaml package's `parse` gives, or a CliError. */
export async function parseKubeconfigText(text: string, path: string): Promise<unknown> {
  const simple = readKubeconfigYaml(text);
  if (simple !== undefined) return simple;
  const { parse } = await loadYaml();
  try {
    return parse(text);
  } catch (e) {
    // the parser's message may quote credential bytes: keep only the position
    const pos = (e as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new CliError("NoKubeconfig", `kubeconfig ${path}: not valid YAML${pos ? ` (line ${pos})` : ""}`);
  }
}

/** Paths kubectl would read, in order. */
export function kubeconfigPaths(src: KubeconfigSource): { paths: string[]; explicit: boolean } {
  const env = src.env ?? ((n: string) => Deno.env.get(n));
  const home = env("HOME") ?? env("USERPROFILE");
  if (src.kubeconfig) return { paths: [expandHome(src.kubeconfig, home)], explicit: true };
  const fromEnv = env("KUBECONFIG");
  if (fromEnv) {
    const sep = Deno.build.os === "windows" ? ";" : ":";
    const paths = fromEnv.split(sep).filter((p) => p !== "").map((p) => expandHome(p, home));
    if (paths.length) return { paths, explicit: false };
  }
  return { paths: home ? [`${home}/.kube/config`] : [], explicit: false };
}

/** Loads and merges the kubeconfig files, or throws CliError("NoKubeconfig"). */
export async function loadKubeconfig(src: KubeconfigSource): Promise<Kubeconfig> {
  const { paths, explicit } = kubeconfigPaths(src);
  const read: string[] = [];
  const kc = new Kubeconfig(read);
  for (const p of paths) {
    let text: string;
    try {
      text = await Deno.readTextFile(p);
    } catch (e) {
      if (explicit) {
        const why = e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message;
        throw new CliError("NoKubeconfig", `kubeconfig ${p}: ${why}`, { cause: e });
      }
      continue; // KUBECONFIG entries that do not exist are skipped, like kubectl
    }
    read.push(p);
    kc.addDocument(await parseKubeconfigText(text, p), p);
  }
  if (read.length === 0) {
    const looked = paths.length ? ` (looked at ${paths.join(", ")})` : "";
    throw new CliError(
      "NoKubeconfig",
      `no kubeconfig found${looked}: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config`,
    );
  }
  if (kc.contexts.size === 0) {
    throw new CliError("NoKubeconfig", `kubeconfig ${read.join(":")} has no contexts`);
  }
  return kc;
}
