/**
 * What every command file of cli/ uses to declare itself beside its handler: the context a declaration gets
 * (`CommandContext`), the global flags of a parsed command (`globalsOf`), and the flag parsers and options
 * shared by several commands (declared once: `typeOption`, `viewOption`). Option fields are named after their
 * flags, so an action hands its parsed options to the handler unchanged.
 */
import { type CommandUnknownOpts, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { parseDuration } from "../api/duration.ts";
import { TOOL_TYPES } from "../api/schema.ts";
import type { ToolType } from "../api/types.ts";
import type { GlobalOptions, Io } from "./io.ts";

export interface CommandContext {
  io: Io;
  /** Receives each subcommand's result (its exit code). */
  run: (p: Promise<number>) => Promise<void>;
}

/** Declares one subcommand (flags, help, action) on `parent`. */
export type CommandDefinition = (parent: CommandUnknownOpts, ctx: CommandContext) => void;

/** The global flags (`--kubeconfig`, `--context`, `-n`, `-A`, `-o`, `--debug`) of a parsed command. */
export function globalsOf(cmd: { optsWithGlobals(): unknown }): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

function typesFlag(value: string, previous: ToolType[] = []): ToolType[] {
  const out = [...previous];
  for (const t of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (!(TOOL_TYPES as readonly string[]).includes(t)) {
      throw new InvalidArgumentError(`"${t}" is not a tool type (${TOOL_TYPES.join(", ")})`);
    }
    out.push(t as ToolType);
  }
  return out;
}

/** `--type argocd,flux` (repeatable). */
export function typeOption(help: string) {
  return new Option("--type <types>", help).argParser(typesFlag);
}

/** `--view auto|list|matrix`. */
export function viewOption() {
  return new Option("--view <view>", "list or matrix (auto: matrix when it fits the terminal)")
    .choices(["auto", "list", "matrix"] as const).default("auto" as const);
}

/** A Go duration flag (`10s`, `1m30s`, `8760h`), parsed to milliseconds. */
export function durationFlag(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new InvalidArgumentError(`"${value}" is not a duration (e.g. 10s, 1m30s, 8760h)`);
  }
  return ms;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not an integer ≥ 0`);
  return n;
}

/** A repeatable flag's values, in order. */
export function repeat(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
