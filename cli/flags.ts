/**
 * Flags declared as data, for the commands on the start-up path: commander builds its options from these
 * declarations (cli/command.ts `optionOf`), and `readCommandLine` reads a plain command line with the same
 * declarations without loading commander at all, so `kubectl ksit status` starts without it (main.ts). No
 * import of commander here, nor anything that imports it.
 */
import { TOOL_TYPES } from "../api/schema.ts";
import type { ToolType } from "../api/types.ts";
import type { GlobalOptions } from "./io.ts";
import { OUTPUTS } from "./render.ts";

/** One flag, as commander declares it. */
export interface FlagSpec {
  /** commander's syntax: `"-n, --namespace <namespace>"`, `"--exit-code"` */
  flags: string;
  help: string;
  choices?: readonly string[];
  default?: string;
  /** Turns the text into the value; a repeated flag gets its previous value. Throws FlagError. */
  parse?: (value: string, previous: unknown) => unknown;
}

/** The global flags (`--kubeconfig`, `--context`, `-n`, `-A`, `-o`, `--debug`) of a parsed command. */
export function globalsOf(cmd: { optsWithGlobals(): unknown }): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** A flag value that its parser refuses (commander reports it as an invalid option argument). */
export class FlagError extends Error {
  override name = "FlagError";
}

/** `--type argocd,flux` (repeatable: the lists add up). */
export function typesFlag(value: string, previous: unknown): ToolType[] {
  const out = Array.isArray(previous) ? [...previous as ToolType[]] : [];
  for (const t of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (!(TOOL_TYPES as readonly string[]).includes(t)) {
      throw new FlagError(`"${t}" is not a tool type (${TOOL_TYPES.join(", ")})`);
    }
    out.push(t as ToolType);
  }
  return out;
}

export const TYPE_FLAG: FlagSpec = {
  flags: "--type <types>",
  help: `only these tool types, comma-separated (${TOOL_TYPES.join(", ")})`,
  parse: typesFlag,
};

export const VIEW_FLAG: FlagSpec = {
  flags: "--view <view>",
  help: "list or matrix (auto: matrix when it fits the terminal)",
  choices: ["auto", "list", "matrix"],
  default: "auto",
};

/** The global flags (on the root command; accepted before or after the subcommand). */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  {
    flags: "--kubeconfig <path>",
    help: "path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config)",
  },
  {
    flags: "--context <name>",
    help: "kubeconfig context (check: a comma-separated list; target add: the workload cluster)",
  },
  { flags: "-n, --namespace <namespace>", help: "namespace of the KSIT objects" },
  { flags: "-A, --all-namespaces", help: "all namespaces" },
  { flags: "-o, --output <format>", help: "output format", choices: OUTPUTS, default: "table" },
  { flags: "--debug", help: "print stack traces and API details on errors" },
];

interface ParsedSpec {
  spec: FlagSpec;
  short?: string;
  long: string;
  /** camelCase of the long name, as commander names the option's value */
  key: string;
  takesValue: boolean;
}

function parseSpec(spec: FlagSpec): ParsedSpec {
  const m = /^(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)(?: (<[^>]+>|\[[^\]]+\]))?$/.exec(spec.flags);
  if (!m || m[3]?.startsWith("[")) throw new Error(`flag syntax not supported here: ${spec.flags}`);
  const long = m[2]!;
  const key = long.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return { spec, ...(m[1] ? { short: m[1] } : {}), long, key, takesValue: m[3] !== undefined };
}

/** A command line read with the flag declarations: what commander's `optsWithGlobals()` and `opts()` give. */
export interface CommandLine<T> {
  globals: GlobalOptions;
  opts: T;
}

/**
 * Reads `args` as `[global flags] <command> [flags]` the way commander does, or returns undefined when the
 * line holds anything else — help, `--`, an unknown flag, an operand, combined short flags (`-Aw`), a value
 * attached to a short flag (`-nfoo`) or starting with `-`, a value a parser or the choices refuse — so that
 * commander reads it and reports what it reports. For every line it accepts, the result equals commander's
 * (cli/flags_test.ts compares them on generated command lines).
 */
export function readCommandLine<T>(
  args: readonly string[],
  command: string,
  globalFlags: readonly FlagSpec[],
  commandFlags: readonly FlagSpec[],
): CommandLine<T> | undefined {
  const globals = globalFlags.map(parseSpec);
  const locals = commandFlags.map(parseSpec);
  const globalValues: Record<string, unknown> = {};
  const localValues: Record<string, unknown> = {};
  for (const p of globals) if (p.spec.default !== undefined) globalValues[p.key] = p.spec.default;
  for (const p of locals) if (p.spec.default !== undefined) localValues[p.key] = p.spec.default;
  let seenCommand = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-") || arg === "-") {
      if (seenCommand || arg !== command) return undefined;
      seenCommand = true;
      continue;
    }
    let name = arg;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      if (eq > 2) [name, inline] = [arg.slice(0, eq), arg.slice(eq + 1)];
      if (name === "--") return undefined;
    } else if (arg.length !== 2) return undefined;
    const find = (list: ParsedSpec[]) => list.find((p) => p.long === name || p.short === name);
    const global = find(globals);
    const flag = global ?? (seenCommand ? find(locals) : undefined);
    if (!flag) return undefined;
    const values = global ? globalValues : localValues;
    if (!flag.takesValue) {
      if (inline !== undefined) return undefined;
      values[flag.key] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = args[++i];
      if (value === undefined || value.startsWith("-")) return undefined;
    }
    const { choices, parse } = flag.spec;
    if (choices && !choices.includes(value)) return undefined;
    if (parse) {
      try {
        values[flag.key] = parse(value, values[flag.key]);
      } catch {
        return undefined;
      }
    } else values[flag.key] = value;
  }
  if (!seenCommand) return undefined;
  // optsWithGlobals(): the command's values, then the root's
  return { globals: { ...localValues, ...globalValues } as GlobalOptions, opts: localValues as T };
}
