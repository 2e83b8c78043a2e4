/**
 * `kubectl ksit dashboard`: the live fleet dashboard (ui/) served locally from the user's kubeconfig — the
 * same page as `serve --ui-addr`, fed by list + watch of Integrations and IntegrationTargets
 * (cli/dashboard_source.ts). Binds 127.0.0.1 by default (and then answers only loopback Host headers, so a
 * web page cannot reach it through DNS rebinding), prints the URL, `--open` starts a browser. Read-only. Ends
 * on SIGINT/SIGTERM (exit 0) or when `signal` aborts. RBAC: list + watch integrations and
 * integrationtargets, list events.
 */
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { type CommandDefinition, globalsOf } from "./command.ts";
import { connect, namespaceOf } from "./control_plane.ts";
import { CliError, EXIT } from "./errors.ts";
import type { GlobalOptions, Io } from "./io.ts";

export interface DashboardOptions {
  address?: string;
  port?: number;
  open?: boolean;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** The command that opens a URL in the user's browser on this OS. */
export function openCommand(url: string, os: typeof Deno.build.os = Deno.build.os): [string, string[]] {
  if (os === "darwin") return ["open", [url]];
  if (os === "windows") return ["cmd", ["/c", "start", "", url]];
  return ["xdg-open", [url]];
}

/**
 * `kubectl ksit dashboard`: the local source on the user's kubeconfig, the server on loopback, the URL printed
 * (and opened with --open), then serve until Ctrl-C. Over 60 lines because it is the command's whole life,
 * top to bottom; each step is one call.
 */
export async function dashboard(
  g: GlobalOptions,
  o: DashboardOptions,
  io: Io,
  signal?: AbortSignal,
  onUrl?: (url: string) => void,
): Promise<number> {
  const address = o.address ?? "127.0.0.1";
  const port = o.port ?? 8090;
  const client = await connect(g);
  const [{ CliFleetSource }, { Fleet }, { createUiApp, loopbackHosts }] = await Promise.all([
    import("./dashboard_source.ts"),
    import("../ui/fleet.ts"),
    import("../ui/app.ts"),
  ]);
  const namespace = namespaceOf(g, client);
  const source = new CliFleetSource(client, namespace, g.debug ? (l) => io.err(l) : undefined);
  try {
    await source.start();
  } catch (e) {
    client.close();
    throw e;
  }
  const fleet = new Fleet(source).start();
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  signal?.addEventListener("abort", onSignal, { once: true });
  if (signal?.aborted) stop.abort();

  const loopback = LOOPBACK.has(address);
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    let app: ReturnType<typeof createUiApp> | undefined;
    server = Deno.serve({
      hostname: address,
      port,
      signal: stop.signal,
      onListen: (a) => {
        app = createUiApp(fleet, loopback ? { allowHost: loopbackHosts() } : {});
        const host = a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname;
        const url = `http://${host}:${a.port}/ui/`;
        const where = namespace ? `namespace ${namespace}` : "all namespaces";
        io.out(
          `KSIT dashboard: ${url}  (context ${client.contextName}, ${where}; read-only; Ctrl-C to stop)\n`,
        );
        if (!loopback) {
          io.err(
            `warning: listening on ${a.hostname}: anyone who can reach this address can read the dashboard\n`,
          );
        }
        onUrl?.(url);
        if (o.open) openBrowser(url, io);
      },
    }, (req, info) => app ? app.fetch(req, info) : new Response("starting\n", { status: 503 }));
  } catch (e) {
    fleet.stop();
    await source.close();
    client.close();
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    if (e instanceof Deno.errors.AddrInUse) {
      throw new CliError("Usage", `${address}:${port} is in use: choose another --port (0: any free port)`);
    }
    throw e;
  }
  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve();
    else stop.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  fleet.stop(); // ends the open streams, so the server can shut down
  await server.finished;
  await source.close();
  client.close();
  for (const s of signals) Deno.removeSignalListener(s, onSignal);
  signal?.removeEventListener("abort", onSignal);
  return EXIT.Ok;
}

/** `--port`: 0–65535 (0: any free port). */
function portFlag(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a port`);
  return n;
}

export const defineDashboard: CommandDefinition = (parent, { io, run }) => {
  parent
    .command("dashboard")
    .description("serve the live fleet dashboard locally from your kubeconfig (read-only) and print its URL")
    .option("--address <address>", "address to listen on (a non-loopback address exposes it)", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", portFlag, 8090)
    .option("--open", "open the dashboard in a browser")
    .action((opts, cmd) => run(dashboard(globalsOf(cmd), opts, io)));
};

function openBrowser(url: string, io: Io): void {
  const [cmd, args] = openCommand(url);
  try {
    const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" }).spawn();
    child.status.then((s) => {
      if (!s.success) io.err(`could not open a browser (${cmd} exited ${s.code}); open ${url} yourself\n`);
    });
  } catch (e) {
    io.err(`could not open a browser (${cmd}: ${(e as Error).message}); open ${url} yourself\n`);
  }
}
