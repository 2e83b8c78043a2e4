/**
 * `kubectl ksit describe <integration>`: the Integration's verdict per cluster and component, its conditions
 * and its recent Events, with whether KSIT can reach each cluster (its IntegrationTarget's Ready condition).
 * RBAC: get integrations.ksit.io; list integrationtargets.ksit.io and events (core/v1) in its namespace.
 */
import { type CommandDefinition, globalsOf, positiveInt } from "./command.ts";
import type { Integration, IntegrationTarget } from "../api/types.ts";
import { connect, DEFAULT_NAMESPACE, getKsit, listKsit, namespaceOf } from "./control_plane.ts";
import { type KubeEvent, renderDescribe } from "./describe_render.ts";
import { CliError, EXIT } from "./errors.ts";
import type { GlobalOptions, Io } from "./io.ts";

export interface DescribeOptions {
  /** How many recent events to show (table output). */
  events?: number;
}

export async function describe(g: GlobalOptions, name: string, o: DescribeOptions, io: Io): Promise<number> {
  if (g.allNamespaces) {
    throw new CliError("Usage", "describe takes one Integration: use -n <namespace>, not -A");
  }
  const client = await connect(g);
  try {
    const namespace = namespaceOf(g, client) ?? DEFAULT_NAMESPACE;
    const integration = await getKsit<Integration>(client, "integrations", namespace, name);
    const [events, targets] = await Promise.all([
      integrationEvents(client, integration, g.debug ? io : undefined),
      listKsit<IntegrationTarget>(client, "integrationtargets", namespace).then((l) => l.items, (e) => {
        if (g.debug) io.err(`integrationtargets not readable: ${(e as Error).message}\n`);
        return [];
      }),
    ]);
    io.out(renderDescribe(integration, events, {
      output: g.output ?? "table",
      color: io.color,
      now: io.now(),
      maxEvents: o.events ?? 20,
    }, targets));
    return EXIT.Ok;
  } finally {
    client.close();
  }
}

/** core/v1 Events whose involvedObject is this Integration (an unreadable event list is not fatal). */
async function integrationEvents(
  client: { get<T>(path: string, query?: Record<string, string>): Promise<T> },
  i: Integration,
  debug?: Io,
): Promise<KubeEvent[]> {
  const ns = i.metadata.namespace ?? "default";
  const selector = [
    "involvedObject.kind=Integration",
    `involvedObject.name=${i.metadata.name}`,
    ...(i.metadata.uid ? [`involvedObject.uid=${i.metadata.uid}`] : []),
  ].join(",");
  try {
    const list = await client.get<{ items: KubeEvent[] }>(
      `/api/v1/namespaces/${encodeURIComponent(ns)}/events`,
      {
        fieldSelector: selector,
      },
    );
    return list.items ?? [];
  } catch (e) {
    debug?.err(`events of ${ns}/${i.metadata.name} not readable: ${(e as Error).message}\n`);
    return [];
  }
}

export const defineDescribe: CommandDefinition = (parent, { io, run }) => {
  parent
    .command("describe")
    .description("show one Integration per cluster and component, with conditions and recent events")
    .argument("<integration>", "name of the Integration")
    .option("--events <n>", "how many recent events to show", positiveInt, 20)
    .action((name, opts, cmd) => run(describe(globalsOf(cmd), name, opts, io)));
};
