/**
 * What every command file of cli/ uses to declare itself beside its handler: the context a declaration gets
 * (`CommandContext`), the global flags of a parsed command (`globalsOf`), and the flag parsers and options
 * shared by several commands (declared once: `typeOption`, `viewOption`). Option fields are named after their
 * flags, so an action hands its parsed options to the handler unchanged.
 */
import { type CommandUnknownOpts, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { parseDuration } from "../api/duration.ts";
import { FlagError, type FlagSpec, TYPE_FLAG, VIEW_FLAG } from "./flags.ts";
import type { Io } from "./io.ts";

export { globalsOf } from "./flags.ts";

export interface CommandContext {
  io: Io;
  /** Receives each subcommand's result (its exit code). */
  run: (p: Promise<number>) => Promise<void>;
  /** A commander Option from a flag declaration (`optionOf`), for command files that must not import commander. */
  option: (spec: FlagSpec) => Option;
}

/** Declares one subcommand (flags, help, action) on `parent`. */
export type CommandDefinition = (parent: CommandUnknownOpts, ctx: CommandContext) => void;

/** A commander Option from a flag declaration (cli/flags.ts); a FlagError becomes commander's invalid argument. */
export function optionOf(spec: FlagSpec): Option {
  const option = new Option(spec.flags, spec.help);
  if (spec.choices) option.choices(spec.choices);
  if (spec.default !== undefined) option.default(spec.default);
  const parse = spec.parse;
  if (parse) {
    option.argParser((value: string, previous: unknown) => {
      try {
        return parse(value, previous);
      } catch (e) {
        throw e instanceof FlagError ? new InvalidArgumentError(e.message) : e;
      }
    });
  }
  return option;
}

/** `--type argocd,flux` (repeatable). */
export function typeOption(help: string): Option {
  return optionOf({ ...TYPE_FLAG, help });
}

/** `--view auto|list|matrix`. */
export function viewOption(): Option {
  return optionOf(VIEW_FLAG);
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
