/**
 * The CLI's error type and exit codes. Every failure the user can act on becomes a `CliError` with a reason,
 * one clear line, and a distinct exit code; `main.ts` prints the line (and the stack only with `--debug`).
 */

import { errorCode, isNetworkError } from "../kube/errors.ts";
import type { Io } from "./io.ts";

/** Exit codes of `kubectl ksit` (also printed in `kubectl ksit --help`). */
export const EXIT = {
  /** Success; for `status --exit-code` and `check`: everything is Running. */
  Ok: 0,
  /** An unexpected error (a bug, or an API error without a better code). */
  Error: 1,
  /** Usage error: unknown command or flag, bad flag value. */
  Usage: 2,
  /** `status --exit-code` / `check`: something is not Running (Degraded, Failed, Unknown, Pending, Disabled). */
  NotHealthy: 3,
  /** No kubeconfig found, or it cannot be parsed. */
  NoKubeconfig: 4,
  /** The requested context does not exist in the kubeconfig. */
  UnknownContext: 5,
  /** The API server cannot be reached (connection refused, DNS, TLS, timeout). */
  Unreachable: 6,
  /** The KSIT CRDs are not installed on the control-plane cluster. */
  CrdsNotInstalled: 7,
  /** The API server refused the credentials (401) or the action (403). */
  Forbidden: 8,
  /** The named object (an Integration for `describe`) does not exist. */
  NotFound: 9,
  /**
   * `target add`: the kubeconfig it would store authenticates with an exec plugin / auth-provider and
   * `--allow-exec-auth` was not given. (Commands that only use the user's own kubeconfig run exec plugins
   * like kubectl does; a failing plugin is exit 8.)
   */
  ExecAuthNotAllowed: 10,
} as const;

export type ExitReason = keyof typeof EXIT;

/** One-line explanations, in code order, for the `--help` epilogue. */
export const EXIT_CODE_HELP: ReadonlyArray<readonly [number, string]> = [
  [EXIT.Ok, "success (status --exit-code / check: everything Running)"],
  [EXIT.Error, "unexpected error"],
  [EXIT.Usage, "usage error (unknown command or flag, bad value)"],
  [EXIT.NotHealthy, "status --exit-code / check: something is not Running"],
  [EXIT.NoKubeconfig, "no kubeconfig found, or it is invalid"],
  [EXIT.UnknownContext, "context not found in the kubeconfig"],
  [EXIT.Unreachable, "API server unreachable (connection, TLS, timeout)"],
  [EXIT.CrdsNotInstalled, "KSIT CRDs not installed on the control-plane cluster"],
  [EXIT.Forbidden, "unauthorized (401), forbidden (403), or an exec credential plugin failed"],
  [EXIT.NotFound, "object not found"],
  [EXIT.ExecAuthNotAllowed, "target add: exec/auth-provider credentials not stored (--allow-exec-auth)"],
];

export function exitCodeTable(): string {
  return EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padStart(2)}  ${text}`).join("\n");
}

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(readonly reason: ExitReason, message: string, options?: ErrorOptions) {
    super(message, options);
  }

  get exitCode(): number {
    return EXIT[this.reason];
  }
}

/** An HTTP error from the Kubernetes API (a Status object, or at least a code). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: number,
    message: string,
    readonly status?: { reason?: string; details?: { kind?: string; name?: string; group?: string } },
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The Kubernetes API server could not be reached. */
export class UnreachableError extends Error {
  override readonly name = "UnreachableError";
}

export const CRDS_HINT = "run helm install ksit deploy/helm/ksit -n ksit-system --create-namespace";

export function crdsNotInstalled(context: string, options?: ErrorOptions): CliError {
  return new CliError(
    "CrdsNotInstalled",
    `KSIT CRDs are not installed on context ${context}: ${CRDS_HINT}`,
    options,
  );
}

/**
 * Turns any error from talking to a cluster into a CliError with the right exit code and a one-line message.
 * `what` names the context (`context cp (https://…)`) for the message.
 */
export function toCliError(e: unknown, what: string): CliError {
  if (e instanceof CliError) return e;
  const code = errorCode(e);
  if (code === 401) {
    return new CliError(
      "Forbidden",
      `${what}: unauthorized (401): the credentials were not accepted; refresh them (kubectl config view, re-login)`,
      { cause: e },
    );
  }
  if (code === 403) {
    const detail = e instanceof ApiError ? e.message : "forbidden";
    return new CliError("Forbidden", `${what}: forbidden (403): ${detail}`, { cause: e });
  }
  if (code === 404) {
    return new CliError("NotFound", `${what}: ${e instanceof Error ? e.message : "not found"}`, { cause: e });
  }
  if (isNetworkError(e)) {
    const msg = e instanceof Error ? firstLine(e.message) : String(e);
    return new CliError("Unreachable", `${what}: cannot reach the API server: ${msg}`, { cause: e });
  }
  if (code !== undefined) {
    return new CliError("Error", `${what}: API error ${code}: ${e instanceof Error ? e.message : ""}`, {
      cause: e,
    });
  }
  return new CliError("Error", `${what}: ${e instanceof Error ? firstLine(e.message) : String(e)}`, {
    cause: e,
  });
}

export function firstLine(s: string): string {
  return s.split("\n").find((l) => l.trim() !== "")?.trim() ?? s;
}

/** Prints a command's error as one line (stack traces with `--debug`), and returns its exit code. */
export function reportCliError(e: unknown, io: Io, debug: boolean): number {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = e instanceof CliError ? e.exitCode : EXIT.Error;
  io.err(`error: ${err.message}\n`);
  if (e instanceof CliError && e.reason === "Usage") io.err("(run with --help for usage)\n");
  if (debug) {
    let cur: unknown = err;
    for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
      io.err(`${depth ? "caused by: " : ""}${cur.stack ?? cur.message}\n`);
      cur = cur.cause;
    }
  } else if (!(e instanceof CliError)) {
    io.err("(run with --debug for details)\n");
  }
  return code;
}
