/** Structured JSON log lines on stderr. Never pass secret bytes (kubeconfigs, tokens) as fields. */

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  with(fields: Fields): Logger;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export function jsonLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => Deno.stderr.writeSync(new TextEncoder().encode(line + "\n")),
  base: Fields = {},
): Logger {
  const emit = (l: LogLevel, msg: string, fields?: Fields) => {
    if (ORDER[l] < ORDER[level]) return;
    const rec: Fields = { ts: new Date().toISOString(), level: l, msg, ...base };
    for (const [k, v] of Object.entries(fields ?? {})) rec[k] = v instanceof Error ? errorText(v) : v;
    let line: string;
    try {
      line = JSON.stringify(rec);
    } catch {
      line = JSON.stringify({ ts: rec.ts, level: l, msg });
    }
    try {
      write(line);
    } catch { /* stderr gone (closed pipe): logging must never take the controller down */ }
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    with: (fields) => jsonLogger(level, write, { ...base, ...fields }),
  };
}

/** A logger that drops everything (unit tests). */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  with() {
    return nullLogger;
  },
};
