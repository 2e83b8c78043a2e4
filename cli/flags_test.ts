/**
 * The fast reading of a `status` line (cli/flags.ts, used by main.ts) against commander's: on thousands of
 * generated command lines, whatever readCommandLine accepts, commander accepts too, with the same values.
 */
import { CommanderError, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { assert, assertEquals } from "../tests/support/assert.ts";
import { memoryIo } from "./io.ts";
import { buildProgram } from "./program.ts";
import { statusCommandLine } from "./status.ts";

type Parsed = { globals: Record<string, unknown>; opts: Record<string, unknown> };

/** What commander gives the status action for `args`, or undefined when it refuses the line. */
async function commanderReads(args: string[]): Promise<Parsed | undefined> {
  const program = buildProgram(memoryIo(), async () => {});
  let parsed: Parsed | undefined;
  program.commands.find((c) => c.name() === "status")!.action((...args) => {
    const cmd = args.at(-1) as CommandUnknownOpts;
    parsed = { globals: cmd.optsWithGlobals(), opts: { ...cmd.opts() } };
  });
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return undefined;
    throw e;
  }
  return parsed;
}

const GLOBAL_TOKENS = [
  ["-n", "bench"],
  ["--namespace", "team-a"],
  ["--namespace=x"],
  ["--namespace="],
  ["-A"],
  ["--all-namespaces"],
  ["-o", "json"],
  ["-o", "yaml"],
  ["--output", "wide"],
  ["--output=table"],
  ["-o", "xml"],
  ["--kubeconfig", "/k"],
  ["--kubeconfig=/k2"],
  ["--context", "prod"],
  ["--context=dev"],
  ["--debug"],
];
const STATUS_TOKENS = [
  ["--type", "argocd"],
  ["--type", "flux,istio"],
  ["--type", "argocd,,prometheus"],
  ["--type", "bogus"],
  ["--type=prometheus"],
  ["--cluster", "c1"],
  ["--cluster=c2"],
  ["--cluster=-x"],
  ["--view", "matrix"],
  ["--view=list"],
  ["--view", "grid"],
  ["-w"],
  ["--watch"],
  ["--exit-code"],
  ["--exit-code=true"],
];
const ODD_TOKENS = [
  ["-Aw"],
  ["-nbench"],
  ["-n=bench"],
  ["--"],
  ["-"],
  ["extra"],
  ["status"],
  ["-h"],
  ["--help"],
  ["--unknown"],
  ["-n", "-x"],
  ["--cluster", "-A"],
  ["--type", "--debug"],
  ["-n"],
  ["--cluster"],
];

// a small deterministic generator (mulberry32), so a failure can be replayed
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("flags: readCommandLine reads a status line as commander does, or leaves it to commander", async () => {
  const next = random(19);
  const pick = (pool: string[][]) => pool[Math.floor(next() * pool.length)]!;
  let accepted = 0;
  const runs = 3000;
  for (let n = 0; n < runs; n++) {
    const args: string[] = [];
    const before = Math.floor(next() * 3);
    for (let i = 0; i < before; i++) args.push(...pick(next() < 0.9 ? GLOBAL_TOKENS : STATUS_TOKENS));
    args.push("status");
    const after = Math.floor(next() * 5);
    for (let i = 0; i < after; i++) {
      const r = next();
      args.push(...pick(r < 0.45 ? GLOBAL_TOKENS : r < 0.9 ? STATUS_TOKENS : ODD_TOKENS));
    }
    const fast = statusCommandLine(args);
    if (!fast) continue;
    accepted++;
    const slow = await commanderReads(args);
    assert(slow, `commander refuses what the fast path accepted: ${JSON.stringify(args)}`);
    assertEquals({ globals: fast.globals, opts: fast.opts }, slow, JSON.stringify(args));
  }
  assert(accepted > runs / 4, `only ${accepted} of ${runs} lines were read without commander`);
});

Deno.test("flags: the usual status lines are read without commander", async () => {
  const lines = [
    ["status"],
    ["status", "-n", "ksit-system"],
    ["status", "-A", "-o", "wide"],
    ["-n", "bench", "status", "--kubeconfig", "/k", "--context", "cp"],
    ["status", "--type", "argocd,flux", "--cluster", "prod-1", "--exit-code"],
    ["status", "--watch", "--view", "matrix"],
  ];
  for (const args of lines) {
    const fast = statusCommandLine(args);
    assert(fast, JSON.stringify(args));
    assertEquals(
      { globals: fast.globals, opts: fast.opts },
      await commanderReads(args),
      JSON.stringify(args),
    );
  }
  assertEquals(statusCommandLine(["status"])?.globals, { output: "table", view: "auto" });
  for (const args of [[], ["describe", "x"], ["status", "--help"], ["--type", "argocd", "status"]]) {
    assertEquals(statusCommandLine(args), undefined, JSON.stringify(args));
  }
});
