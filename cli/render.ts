/**
 * Rendering primitives shared by the subcommands: kubectl-style tables (3-space gutters, upper-case headers,
 * no trailing blanks), ANSI colour that is applied after padding (so widths are right), kubectl's human ages,
 * and `-o json|yaml` documents. Pure: everything returns strings.
 */
import { loadedYaml } from "./yaml_lazy.ts";

export type Output = "table" | "wide" | "json" | "yaml";
export const OUTPUTS: readonly Output[] = ["table", "wide", "json", "yaml"];

export type Color = "red" | "green" | "yellow" | "blue" | "magenta" | "cyan" | "gray" | "bold";

const SGR: Record<Color, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
  bold: [1, 22],
};

export function paint(text: string, color: Color | undefined, enabled: boolean): string {
  if (!enabled || !color || text === "") return text;
  const [on, off] = SGR[color];
  return `\x1b[${on}m${text}\x1b[${off}m`;
}

/** A table cell: plain text, or text with a colour applied when colour is on. */
export type Cell = string | { text: string; color?: Color };

export interface RenderOptions {
  /** ANSI colour (only on a TTY and never with NO_COLOR; decided by the caller). */
  color: boolean;
  /** "Now", injected so ages are deterministic in tests. */
  now: Date;
}

const cellText = (c: Cell): string => (typeof c === "string" ? c : c.text);

/** Renders rows under headers, kubectl style. Returns "" for no headers; the text ends with a newline. */
export function table(headers: string[], rows: Cell[][], color: boolean, indent = ""): string {
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => visibleLength(cellText(r[i] ?? ""))))
  );
  const line = (cells: Cell[], isHeader: boolean) => {
    const parts = headers.map((_, i) => {
      const c = cells[i] ?? "";
      const text = cellText(c);
      const last = i === headers.length - 1;
      const pad = last ? "" : " ".repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(text)) + 3);
      const colored = isHeader ? text : paint(text, typeof c === "string" ? undefined : c.color, color);
      return colored + pad;
    });
    return indent + parts.join("").trimEnd();
  };
  return [line(headers, true), ...rows.map((r) => line(r, false))].join("\n") + "\n";
}

// Kubernetes names and namespaces: lowercase letters, digits, "-" and "." (plus "/" between the two)
const PLAIN_KEY = /^[a-z0-9./-]*$/;

/**
 * `items` sorted by `key` with `localeCompare`, as kubectl sorts names. The first localeCompare creates ICU's
 * collator, 7–20 ms of a command's start; in English (and the POSIX locale) the collator orders plain
 * Kubernetes keys as their code points do, so there they are compared directly (same order, no collator).
 */
export function sortByKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const keyed = items.map((item) => ({ item, k: key(item) }));
  const direct = /^en(?:-|$)/.test(navigator.language) && keyed.every(({ k }) => PLAIN_KEY.test(k));
  const compare = direct
    ? (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
    : (a: string, b: string) => a.localeCompare(b);
  return keyed.sort((a, b) => compare(a.k, b.k)).map(({ item }) => item);
}

/** Width on screen: ANSI sequences do not count; wide (CJK) characters are rare here and count as one. */
export function visibleLength(s: string): number {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, "").length;
}

/** The widest line of a rendering, for the auto list/matrix choice. */
export function maxLineWidthOf(text: string): number {
  return Math.max(0, ...text.split("\n").map(visibleLength));
}

/** Cuts `s` to `max` visible characters with an ellipsis. */
export function truncate(s: string, max: number): string {
  if (max <= 0) return "";
  return s.length <= max ? s : s.slice(0, Math.max(0, max - 1)) + "…";
}

/** kubectl's `duration.HumanDuration`: 45s, 5m30s, 3h, 2d4h, 400d, 3y… */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    const y = Math.floor(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** Age of a timestamp relative to `now`, or `<unknown>`. */
export function age(ts: string | Date | undefined | null, now: Date): string {
  if (!ts) return "<unknown>";
  const t = ts instanceof Date ? ts.getTime() : Date.parse(ts);
  if (Number.isNaN(t)) return "<unknown>";
  return humanDuration(now.getTime() - t);
}

/** Colour of a phase (Integration/cluster) or component status. */
export function statusColor(s: string | undefined): Color | undefined {
  switch (s) {
    case "Running":
    case "Healthy":
    case "True":
    case "Normal":
      return "green";
    case "Degraded":
    case "Pending":
    case "Warning":
      return "yellow";
    case "Failed":
    case "Unhealthy":
    case "Missing":
    case "False":
      return "red";
    case "Unknown":
      return "magenta";
    case "Disabled":
    case "NotInstalled":
      return "gray";
    default:
      return undefined;
  }
}

export function statusCell(s: string | undefined, fallback = "<none>"): Cell {
  const text = s || fallback;
  return { text, color: statusColor(s) };
}

/** Removes server bookkeeping that kubectl also hides from `-o yaml` (managedFields). */
export function cleanObject<T>(obj: T): T {
  if (!obj || typeof obj !== "object") return obj;
  const o = structuredClone(obj) as { metadata?: { managedFields?: unknown } };
  if (o.metadata && typeof o.metadata === "object") delete o.metadata.managedFields;
  return o as T;
}

/** `-o json` / `-o yaml` of a document (for yaml, `loadYaml()` must have resolved: main.ts does it). */
export function document(doc: unknown, format: "json" | "yaml"): string {
  return format === "json"
    ? JSON.stringify(doc, null, 2) + "\n"
    : loadedYaml().stringify(doc, { lineWidth: 0 });
}

/** A kubectl-style `v1 List` of objects. */
export function list(items: unknown[]): Record<string, unknown> {
  return { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items: items.map(cleanObject) };
}
