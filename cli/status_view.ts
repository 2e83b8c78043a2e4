/**
 * What `status` shows of a list of Integrations, for one-shot `status` and for `status --watch` alike: the
 * `--type` / `--cluster` filters and the render options (the view resolved against the data).
 */
import type { Integration, ToolType } from "../api/types.ts";
import type { GlobalOptions, Io } from "./io.ts";
import {
  chooseView,
  clustersOf,
  renderStatus,
  type StatusRenderOptions,
  type View,
} from "./status_render.ts";

export interface StatusOptions {
  type?: ToolType[];
  cluster?: string;
  view?: View | "auto";
  watch?: boolean;
  exitCode?: boolean;
}

/** `--type` and `--cluster` filters. */
export function matches(i: Integration, o: StatusOptions): boolean {
  if (o.type?.length && !o.type.includes(i.spec.type)) return false;
  if (o.cluster && !clustersOf(i).includes(o.cluster)) return false;
  return true;
}

/** Everything the renderer needs except the data; the view is resolved against the data. */
export function renderOptions(
  g: GlobalOptions,
  o: StatusOptions,
  io: Io,
  items: Integration[],
): StatusRenderOptions {
  const base: StatusRenderOptions = {
    output: g.output ?? "table",
    allNamespaces: g.allNamespaces === true,
    view: "list",
    color: io.color,
    now: io.now(),
    ...(o.cluster ? { cluster: o.cluster } : {}),
  };
  const view = !o.view || o.view === "auto" ? chooseView(items, { ...base, columns: io.columns }) : o.view;
  return { ...base, view };
}

/** The text `status` prints for these Integrations (filters applied here). */
export function statusText(g: GlobalOptions, o: StatusOptions, io: Io, all: Integration[]): string {
  const items = all.filter((i) => matches(i, o));
  return renderStatus(items, renderOptions(g, o, io, items));
}
