/**
 * `kubectl-ksit`: the kubectl plugin (and the controller, via `serve`). Runs the command the arguments name
 * (the command tree: cli/program.ts; each command beside its handler in cli/) and exits with its code.
 *
 * Start-up: a plain `status` line (the command users run most, often in loops and prompts) is read without
 * commander (cli/flags.ts) and runs on a module graph without commander, the yaml package (cli/yaml_lazy.ts)
 * or @kubernetes/client-node; anything else loads the command tree. @kubernetes/client-node, Hono and the
 * controller are imported only by the commands that use them.
 */
import { EXIT, reportCliError } from "./cli/errors.ts";
import { type Io, processIo } from "./cli/io.ts";
import { status, statusCommandLine } from "./cli/status.ts";
import { loadYaml } from "./cli/yaml_lazy.ts";

let quietRejections = false;

export async function main(args: string[], io: Io = processIo()): Promise<number> {
  const debug = args.includes("--debug");
  // client-node starts some promises nobody awaits (exec credential plugins, transports); their failures
  // also reach the awaited call that needs them, which reports it. Do not let them kill the process.
  if (!quietRejections) {
    quietRejections = true;
    globalThis.addEventListener("unhandledrejection", (e) => {
      e.preventDefault();
      if (debug) io.err(`(background) ${e.reason instanceof Error ? e.reason.stack : String(e.reason)}\n`);
    });
  }
  const plainStatus = statusCommandLine(args);
  if (plainStatus) {
    try {
      if (plainStatus.globals.output === "yaml") await loadYaml();
      return await status(plainStatus.globals, plainStatus.opts, io);
    } catch (e) {
      return reportCliError(e, io, debug);
    }
  }
  const [{ buildProgram, reportError }] = await Promise.all([import("./cli/program.ts"), loadYaml()]);
  if (args[0] === "__complete" || args[0] === "__completeNoDesc") {
    const { complete } = await import("./cli/complete.ts");
    return await complete(args.slice(1), io, () => buildProgram(io, async () => {}));
  }
  let code: number = EXIT.Ok;
  const program = buildProgram(io, async (p) => {
    code = await p;
  });
  if (args.length === 0) {
    program.outputHelp();
    return EXIT.Ok;
  }
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    return reportError(e, io, debug);
  }
  return code;
}

if (import.meta.main) {
  // exit once the command is done, even if a library left a timer or pooled connection behind: `serve`
  // resolves after its orderly shutdown (watches stopped, Lease released) and must then end with 0
  Deno.exit(await main(Deno.args));
}
