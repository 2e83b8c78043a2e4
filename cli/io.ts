/**
 * What every subcommand gets: the global flags, and the terminal (output streams, TTY, colour, width, clock),
 * passed in so tests can run commands in-process with fixed answers.
 */
import type { Output } from "./render.ts";

/** kubectl-like global flags (defined on the root command, accepted before or after the subcommand). */
export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  output?: Output;
  debug?: boolean;
}

export interface Io {
  /** Writes to stdout (a broken pipe, e.g. `| head`, is ignored). */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
  /** stdout is a terminal. */
  isTTY: boolean;
  /** stderr is a terminal (for progress lines). */
  errIsTTY: boolean;
  /** Colour on: stdout is a terminal and NO_COLOR is not set. */
  color: boolean;
  /** Terminal width when stdout is a terminal. */
  columns?: number;
  now(): Date;
  env(name: string): string | undefined;
}

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string) {
  const bytes = encoder.encode(text);
  let off = 0;
  try {
    while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
  } catch (e) {
    if (e instanceof Deno.errors.BrokenPipe) return;
    throw e;
  }
}

/** Colour only on a TTY, never with NO_COLOR (any non-empty value; https://no-color.org). */
export function colorEnabled(isTTY: boolean, env: (n: string) => string | undefined): boolean {
  return isTTY && !env("NO_COLOR") && env("TERM") !== "dumb";
}

export function processIo(): Io {
  const env = (n: string) => {
    try {
      return Deno.env.get(n);
    } catch {
      return undefined; // no --allow-env
    }
  };
  const isTTY = Deno.stdout.isTerminal();
  let columns: number | undefined;
  if (isTTY) {
    try {
      columns = Deno.consoleSize().columns;
    } catch {
      columns = Number(env("COLUMNS")) || 80;
    }
  }
  return {
    out: (t) => writeAll(Deno.stdout, t),
    err: (t) => writeAll(Deno.stderr, t),
    isTTY,
    errIsTTY: Deno.stderr.isTerminal(),
    color: colorEnabled(isTTY, env),
    columns,
    now: () => new Date(),
    env,
  };
}

/** An Io that records output, for tests. */
export function memoryIo(
  opts: Partial<Omit<Io, "out" | "err">> = {},
): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    out(t: string) {
      io.stdout += t;
    },
    err(t: string) {
      io.stderr += t;
    },
    isTTY: false,
    errIsTTY: false,
    color: false,
    now: () => new Date("2026-01-01T00:00:00Z"),
    env: (_: string) => undefined as string | undefined,
    ...opts,
  };
  return io;
}
