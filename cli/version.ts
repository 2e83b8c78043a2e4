/** `kubectl ksit version`: the plugin's version, and (unless `--client`) the control plane's server version
 * and whether the KSIT API is served there. */
import { type CommandDefinition, globalsOf } from "./command.ts";
import pkg from "../deno.json" with { type: "json" };
import { API_VERSION } from "../api/schema.ts";
import { connect } from "./control_plane.ts";
import { EXIT, toCliError } from "./errors.ts";
import { errorCode } from "../kube/errors.ts";
import type { GlobalOptions, Io } from "./io.ts";
import { document } from "./render.ts";

export const CLIENT_VERSION = `v${pkg.version}`;

export interface VersionInfo {
  clientVersion: { version: string; deno: string; platform: string };
  serverVersion?: { gitVersion: string; platform?: string; context: string };
  ksitApi?: { groupVersion: string; served: boolean };
}

export function renderVersion(v: VersionInfo, output: string): string {
  if (output === "json" || output === "yaml") return document(v, output);
  let s =
    `Client Version: ${v.clientVersion.version} (deno ${v.clientVersion.deno}, ${v.clientVersion.platform})\n`;
  if (v.serverVersion) {
    s += `Server Version: ${v.serverVersion.gitVersion} (context ${v.serverVersion.context})\n`;
  }
  if (v.ksitApi) {
    s += `KSIT API: ${v.ksitApi.groupVersion} ${
      v.ksitApi.served
        ? "served"
        : "not installed (helm install ksit deploy/helm/ksit -n ksit-system --create-namespace)"
    }\n`;
  }
  return s;
}

export async function version(g: GlobalOptions, o: { client?: boolean }, io: Io): Promise<number> {
  const info: VersionInfo = {
    clientVersion: {
      version: CLIENT_VERSION,
      deno: Deno.version.deno,
      platform: `${Deno.build.os}/${Deno.build.arch}`,
    },
  };
  if (o.client) {
    io.out(renderVersion(info, g.output ?? "table"));
    return EXIT.Ok;
  }
  let client;
  try {
    client = await connect(g);
    const v = await client.get<{ gitVersion: string; platform?: string }>("/version", undefined, 5_000);
    info.serverVersion = { gitVersion: v.gitVersion, platform: v.platform, context: client.contextName };
    let served = true;
    try {
      await client.get(`/apis/${API_VERSION}`, undefined, 5_000);
    } catch (e) {
      if (errorCode(e) !== 404) throw e;
      served = false;
    }
    info.ksitApi = { groupVersion: API_VERSION, served };
  } catch (e) {
    io.out(renderVersion(info, g.output ?? "table"));
    throw toCliError(e, client?.what ?? "server version");
  } finally {
    client?.close();
  }
  io.out(renderVersion(info, g.output ?? "table"));
  return EXIT.Ok;
}

export const defineVersion: CommandDefinition = (parent, { io, run }) => {
  parent
    .command("version")
    .description("print the plugin version and the control plane's server version")
    .option("--client", "only the plugin version (no server call)")
    .action((opts, cmd) => run(version(globalsOf(cmd), opts, io)));
};
