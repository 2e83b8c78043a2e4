/**
 * `kubectl ksit serve`: the in-cluster controller, owned by controller/serve.ts. This file only maps the
 * flags; the controller (and @kubernetes/client-node, Hono) is imported when `serve` runs, so the other
 * subcommands start fast.
 */
import type { ServeOptions } from "../controller/serve.ts";
import { CliError } from "./errors.ts";
import type { GlobalOptions } from "./io.ts";

export interface ServeFlags {
  healthAddr: string;
  leaderElect?: boolean;
  leaseName?: string;
  leaseDurationMs?: number;
  concurrency: number;
  requestTimeoutMs: number;
  allowExecAuth?: boolean;
  logLevel: ServeOptions["logLevel"];
  mode?: "watch" | "poll";
  identity?: string;
  allowedServers?: string[];
  deniedServers?: string[];
  secretSelector?: string;
  uiAddr?: string;
}

export function serveOptions(g: GlobalOptions, f: ServeFlags): ServeOptions {
  return {
    ...(g.kubeconfig ? { kubeconfig: g.kubeconfig } : {}),
    ...(g.context ? { context: g.context } : {}),
    ...(g.namespace ? { namespace: g.namespace } : {}),
    ...(g.allNamespaces ? { allNamespaces: true } : {}),
    healthAddr: f.healthAddr,
    leaderElect: f.leaderElect === true,
    ...(f.leaseName ? { leaseName: f.leaseName } : {}),
    ...(f.leaseDurationMs !== undefined ? { leaseDurationMs: f.leaseDurationMs } : {}),
    concurrency: f.concurrency,
    requestTimeoutMs: f.requestTimeoutMs,
    allowExecAuth: f.allowExecAuth === true,
    logLevel: f.logLevel,
    ...(f.mode ? { mode: f.mode } : {}),
    ...(f.identity ? { identity: f.identity } : {}),
    ...(f.allowedServers?.length ? { allowedServers: f.allowedServers } : {}),
    ...(f.deniedServers?.length ? { deniedServers: f.deniedServers } : {}),
    ...(f.secretSelector ? { secretSelector: f.secretSelector } : {}),
    ...(f.uiAddr ? { uiAddr: f.uiAddr } : {}),
  };
}

export async function serve(g: GlobalOptions, f: ServeFlags, signal?: AbortSignal): Promise<number> {
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
