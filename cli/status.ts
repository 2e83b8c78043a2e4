/**
 * `kubectl ksit status`: every Integration of a namespace (or `-A`) as a list or a matrix, filtered by
 * `--type` / `--cluster`; `--watch` redraws on every change (cli/status_watch.ts); `--exit-code` exits 3
 * when anything is not Running. RBAC: list (and watch) integrations.ksit.io.
 *
 * The start-up path: this file and what it imports load neither commander nor the yaml package (main.ts
 * reads a plain `status` line with `statusCommandLine`; cli/flags.ts), so `kubectl ksit status` starts fast.
 */
import type { CommandDefinition } from "./command.ts";
import type { Integration } from "../api/types.ts";
import { connect, listKsit, namespaceOf } from "./control_plane.ts";
import { EXIT } from "./errors.ts";
import {
  type CommandLine,
  type FlagSpec,
  GLOBAL_FLAGS,
  globalsOf,
  readCommandLine,
  TYPE_FLAG,
  VIEW_FLAG,
} from "./flags.ts";
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

export const STATUS_FLAGS: readonly FlagSpec[] = [
  TYPE_FLAG,
  { flags: "--cluster <name>", help: "only Integrations that target this cluster" },
  VIEW_FLAG,
  { flags: "-w, --watch", help: "watch for changes and redraw" },
  { flags: "--exit-code", help: `exit ${EXIT.NotHealthy} when anything is not Running` },
];

/** A plain `status` command line read without commander, or undefined (then commander reads it). */
export function statusCommandLine(args: readonly string[]): CommandLine<StatusOptions> | undefined {
  return readCommandLine<StatusOptions>(args, "status", GLOBAL_FLAGS, STATUS_FLAGS);
}

export const defineStatus: CommandDefinition = (parent, { io, run, option }) => {
  const cmd = parent
    .command("status")
    .description("show every Integration's health: a list, or a matrix of integrations × clusters");
  for (const flag of STATUS_FLAGS) cmd.addOption(option(flag));
  cmd.action((opts, c) => run(status(globalsOf(c), opts as StatusOptions, io)));
};
