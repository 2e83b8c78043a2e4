/**
 * `kubectl ksit status`: every Integration of a namespace (or `-A`) as a list or a matrix, filtered by
 * `--type` / `--cluster`; `--watch` redraws on every change (cli/status_watch.ts); `--exit-code` exits 3
 * when anything is not Running. RBAC: list (and watch) integrations.ksit.io.
 */
import { TOOL_TYPES } from "../api/schema.ts";
import { type CommandDefinition, globalsOf, typeOption, viewOption } from "./command.ts";
import type { Integration } from "../api/types.ts";
import { connect, listKsit, namespaceOf } from "./control_plane.ts";
import { EXIT } from "./errors.ts";
import type { GlobalOptions, Io } from "./io.ts";
import { noResources, phaseOf, renderStatus } from "./status_render.ts";
import { matches, renderOptions, type StatusOptions } from "./status_view.ts";

export type { StatusOptions } from "./status_view.ts";

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
      return await watchStatus(g, o, io, client, namespace, list.items, signal);
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

export const defineStatus: CommandDefinition = (parent, { io, run }) => {
  parent
    .command("status")
    .description("show every Integration's health: a list, or a matrix of integrations × clusters")
    .addOption(typeOption(`only these tool types, comma-separated (${TOOL_TYPES.join(", ")})`))
    .option("--cluster <name>", "only Integrations that target this cluster")
    .addOption(viewOption())
    .option("-w, --watch", "watch for changes and redraw")
    .option("--exit-code", `exit ${EXIT.NotHealthy} when anything is not Running`)
    .action((opts, cmd) => run(status(globalsOf(cmd), opts, io)));
};
