/**
 * `kubectl ksit status`: every Integration of a namespace (or `-A`) as a list or a matrix, filtered by
 * `--type` / `--cluster`; `--watch` redraws on every change (cli/status_watch.ts); `--exit-code` exits 3
 * when anything is not Running. RBAC: list (and watch) integrations.ksit.io.
 */
import type { Integration, ToolType } from "../api/types.ts";
import { connect, listKsit, namespaceOf } from "./control_plane.ts";
import { EXIT } from "./errors.ts";
import type { GlobalOptions, Io } from "./io.ts";
import {
  chooseView,
  clustersOf,
  noResources,
  phaseOf,
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

export async function status(
  g: GlobalOptions,
  o: StatusOptions,
  io: Io,
  signal?: AbortSignal,
): Promise<number> {
  const client = await connect(g);
  try {
    const namespace = namespaceOf(g, client);
    const list = await listKsit<Integration>(client, "integrations", namespace);
    if (o.watch) {
      const { watchStatus } = await import("./status_watch.ts");
      return await watchStatus(g, o, io, client, namespace, list, signal);
    }
    const items = list.items.filter((i) => matches(i, o));
    const structured = g.output === "json" || g.output === "yaml";
    if (items.length === 0 && !structured) io.err(noResources(namespace) + "\n");
    else io.out(renderStatus(items, renderOptions(g, o, io, items)));
    if (o.exitCode && items.some((i) => phaseOf(i) !== "Running")) return EXIT.NotHealthy;
    return EXIT.Ok;
  } finally {
    client.close();
  }
}
