/**
 * `kubectl ksit serve`: the in-cluster controller, owned by controller/serve.ts. The flags are named as
 * ServeOptions' fields, so the global flags and this command's are merged as they are; the controller (and
 * @kubernetes/client-node, Hono) is imported when `serve` runs, so the other subcommands start fast.
 */
import { Option } from "@commander-js/extra-typings";
import type { ServeOptions } from "../controller/serve.ts";
import type { InventorySource } from "../api/labels.ts";
import { INVENTORY_SOURCES } from "../api/schema.ts";
import { type CommandDefinition, durationFlag, globalsOf, nonNegativeInt, positiveInt } from "./command.ts";
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { CliError } from "./errors.ts";
import type { GlobalOptions } from "./io.ts";

/** `--inventory` / `--credentials-from` values: namespaces per source. */
export type SourceNamespaces = Partial<Record<InventorySource, string[]>>;

/** The flags of `serve` (ServeOptions without what the global flags give). */
export type ServeFlags =
  & Omit<
    ServeOptions,
    "kubeconfig" | "context" | "namespace" | "allNamespaces" | "leaderElect" | "allowExecAuth" | "inventories"
  >
  & {
    leaderElect?: boolean;
    allowExecAuth?: boolean;
    inventory?: SourceNamespaces;
    credentialsFrom?: SourceNamespaces;
  };

export function serveOptions(g: GlobalOptions, f: ServeFlags): ServeOptions {
  const { inventory, credentialsFrom, ...rest } = f;
  const inventories = inventoryOptions(inventory ?? {}, credentialsFrom ?? {});
  return {
    ...(g.kubeconfig ? { kubeconfig: g.kubeconfig } : {}),
    ...(g.context ? { context: g.context } : {}),
    ...(g.namespace ? { namespace: g.namespace } : {}),
    ...(g.allNamespaces ? { allNamespaces: true } : {}),
    ...rest,
    ...(Object.keys(inventories).length ? { inventories } : {}),
    leaderElect: f.leaderElect === true,
    allowExecAuth: f.allowExecAuth === true,
  };
}

/** Both flags merged per source: the namespaces of either, maintained (sync) when named by --inventory. */
export function inventoryOptions(sync: SourceNamespaces, read: SourceNamespaces) {
  const out: NonNullable<ServeOptions["inventories"]> = {};
  for (const source of INVENTORY_SOURCES) {
    const namespaces = [...new Set([...(sync[source] ?? []), ...(read[source] ?? [])])];
    if (namespaces.length) out[source] = { namespaces, sync: (sync[source]?.length ?? 0) > 0 };
  }
  return out;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `<source>=<namespace>[,<namespace>…]` (repeatable; `*`: every namespace). */
function sourceNamespaces(value: string, previous: SourceNamespaces = {}): SourceNamespaces {
  const i = value.indexOf("=");
  const source = (i < 0 ? value : value.slice(0, i)) as InventorySource;
  if (!(INVENTORY_SOURCES as readonly string[]).includes(source)) {
    throw new InvalidArgumentError(
      `"${value}": expected <source>=<namespace>[,<namespace>…] with a source of ${
        INVENTORY_SOURCES.join(", ")
      }`,
    );
  }
  const namespaces = i < 0 ? [] : value.slice(i + 1).split(",").map((s) => s.trim()).filter(Boolean);
  if (namespaces.length === 0) {
    throw new InvalidArgumentError(
      `"${value}": name the namespaces of ${source} (e.g. ${source}=argocd, or *)`,
    );
  }
  for (const ns of namespaces) {
    if (ns !== "*" && (!NAMESPACE.test(ns) || ns.length > 63)) {
      throw new InvalidArgumentError(`"${ns}" is not a namespace name (or *)`);
    }
  }
  return { ...previous, [source]: [...(previous[source] ?? []), ...namespaces] };
}

/** Flag combinations serve refuses (exit code 2, before anything starts). */
export function checkSharding(f: ServeFlags): void {
  const mode = f.sharding ?? "off";
  if (mode !== "off" && f.leaderElect !== true) {
    throw new CliError(
      "Usage",
      `--sharding=${mode} needs --leader-elect: one replica, the leader, writes the Integrations' status`,
    );
  }
  if (mode === "fixed" && (f.shard === undefined || f.shards === undefined || f.shard >= f.shards)) {
    throw new CliError("Usage", "--sharding=fixed needs --shard i --shards n with 0 ≤ i < n");
  }
  if (mode !== "fixed" && (f.shard !== undefined || f.shards !== undefined)) {
    throw new CliError("Usage", "--shard / --shards only go with --sharding=fixed");
  }
}

export async function serve(g: GlobalOptions, f: ServeFlags, signal?: AbortSignal): Promise<number> {
  checkSharding(f);
  const [{ runServe }, { serverPolicy }] = await Promise.all([
    import("../controller/serve.ts"),
    import("../controller/server_policy.ts"),
  ]);
  try {
    serverPolicy({ allowed: f.allowedServers, denied: f.deniedServers, inCluster: false });
  } catch (e) {
    throw new CliError("Usage", `--allowed-servers / --denied-servers: ${(e as Error).message}`);
  }
  await runServe(serveOptions(g, f), signal);
  return 0;
}

/** `--allowed-servers` / `--denied-servers`: repeatable, comma-separated (entries checked by `serve`). */
function serverList(value: string, previous: string[] = []): string[] {
  const entries = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const e of entries) {
    if (!/^[A-Za-z0-9*.:/[\]-]+$/.test(e)) {
      throw new InvalidArgumentError(`"${e}" is not an address, CIDR or host name`);
    }
  }
  return [...previous, ...entries];
}

/**
 * `kubectl ksit serve` and its flags. Over 60 lines because it is the list of serve's flags, each declared once
 * with its help text beside the handler (#14): a list, not logic.
 */
export const defineServe: CommandDefinition = (parent, { run }) => {
  parent
    .command("serve")
    .description("run the KSIT controller (in-cluster; see deploy/helm/ksit); -n / -A: namespaces to watch")
    .option("--health-addr <addr>", "address of /healthz, /readyz, /metrics", ":8080")
    .option("--leader-elect", "elect a leader through a coordination.k8s.io Lease")
    .option("--lease-name <name>", "name of the Lease (default: the controller's)")
    .option(
      "--lease-duration <duration>",
      "leader-election lease duration (default: the controller's)",
      durationFlag,
    )
    .option(
      "--concurrency <n>",
      "Integration roll-ups at once; 4× as many IntegrationTarget reconciles, 8× (at least 32) requests to workload clusters",
      positiveInt,
      4,
    )
    .addOption(
      new Option("--request-timeout <duration>", "deadline of each API call").argParser(durationFlag)
        .default(10_000, "10s"),
    )
    .option("--allow-exec-auth", "accept target kubeconfigs that use exec plugins / auth-providers")
    .addOption(
      new Option("--log-level <level>", "log level").choices(["debug", "info", "warn", "error"] as const)
        .default("info" as const),
    )
    .addOption(
      new Option("--mode <mode>", "how workload clusters are followed").choices(["watch", "poll"] as const),
    )
    .option("--identity <id>", "this replica's identity (default: hostname + random suffix)")
    .addOption(
      new Option(
        "--sharding <mode>",
        "share the targets among replicas: off (the leader judges all), dynamic (Leases per replica), fixed " +
          "(--shard/--shards); dynamic and fixed need --leader-elect",
      ).choices(["off", "dynamic", "fixed"] as const).default("off" as const),
    )
    .option("--shard <i>", "with --sharding=fixed: this replica's shard, 0 … shards-1", nonNegativeInt)
    .option("--shards <n>", "with --sharding=fixed: the number of shards", positiveInt)
    .option(
      "--allowed-servers <list>",
      "only contact workload API servers at these addresses: CIDRs, host names, *.domain (comma-separated)",
      serverList,
    )
    .option(
      "--denied-servers <list>",
      "never contact these (link-local always, loopback in a pod, unless allowed)",
      serverList,
    )
    .option(
      "--secret-selector <selector>",
      "only read kubeconfig Secrets with these labels (e.g. ksit.io/kubeconfig=true, set by target add)",
    )
    .option(
      "--inventory <source=namespaces>",
      "maintain an IntegrationTarget per cluster of an inventory: capi, argocd or clusterprofile, and the " +
        "namespaces of its objects (e.g. argocd=argocd; * = all; repeatable)",
      sourceNamespaces,
    )
    .option(
      "--credentials-from <source=namespaces>",
      "read credentials in place from an inventory's namespaces for imported targets, without maintaining " +
        "targets (same form as --inventory)",
      sourceNamespaces,
    )
    .option(
      "--ui-addr <addr>",
      "serve the dashboard (/ui/) on this address, e.g. 127.0.0.1:8081 (default: off)",
    )
    .action((opts, cmd) => run(serve(globalsOf(cmd), opts)));
};
