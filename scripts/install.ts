/**
 * `deno task install [--root DIR | --bin-dir DIR] [--bundle FILE]`: installs the `kubectl-ksit` plugin so
 * kubectl finds it on PATH (`kubectl ksit …`), plus `kubectl_complete-ksit` for `kubectl ksit <TAB>`.
 *
 * It bundles main.ts with code splitting (`deno bundle --code-splitting`) into <root>/lib/kubectl-ksit/ (or
 * copies the single-file bundle given with --bundle, e.g. dist/kubectl-ksit.js from `deno task bundle`), and
 * writes a launcher <bin>/kubectl-ksit that runs it with this Deno (`deno run -A --no-config`, and
 * `--unstable-lazy-dynamic-imports`: without it, every start reads and hashes all lazily imported chunks,
 * 7.5 MB of them @kubernetes/client-node). Where: --bin-dir DIR; else --root DIR (DIR/bin); else $DENO_INSTALL_ROOT/bin;
 * else ~/.local/bin. A self-contained binary without Deno: `deno task compile`.
 */
import { V8_FLAGS_ARG } from "./v8_flags.ts";

interface Args {
  root?: string;
  binDir?: string;
  bundle?: string;
}

function parseArgs(argv: string[]): Args {
  const out: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes("=")
      ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
      : [a, undefined];
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    if (flag === "--root") out.root = value();
    else if (flag === "--bin-dir") out.binDir = value();
    else if (flag === "--bundle") out.bundle = value();
    else if (flag === "-h" || flag === "--help") {
      console.log("usage: deno task install [--root DIR | --bin-dir DIR] [--bundle FILE]");
      Deno.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  return out;
}

function fail(msg: string): never {
  console.error(`install: ${msg}`);
  Deno.exit(2);
}

const repo = new URL("../", import.meta.url);

/**
 * esbuild puts its CommonJS helpers in a chunk of their own, whose first statement loads Deno's Node
 * compatibility layer (`node:module`, ~25 ms), and the entry imports that chunk for its side effects
 * although it uses none of its exports (every chunk that does imports it itself). Drop that import from the
 * entry, so a command without CommonJS packages (a plain `status`) starts without the Node layer.
 */
async function dropNodeHelperImport(libDir: string) {
  const entry = `${libDir}/main.js`;
  const text = await Deno.readTextFile(entry);
  let out = text;
  for (const m of text.matchAll(/^import "\.\/(chunk-[\w-]+\.js)";\n/gm)) {
    const chunk = await Deno.readTextFile(`${libDir}/${m[1]}`);
    const imports = [...chunk.matchAll(/^import .* from "([^"]+)";$/gm)].map((i) => i[1]);
    const exported = /^export \{([^}]*)\};?\s*$/m.exec(chunk)?.[1]?.split(",").map((e) => e.trim()) ?? [];
    const helpersOnly = imports.length === 1 && imports[0] === "node:module" && exported.length > 0 &&
      exported.every((e) => e.startsWith("__"));
    if (helpersOnly) out = out.replace(m[0], "");
  }
  if (out !== text) await Deno.writeTextFile(entry, out);
}
const abs = (p: string) => (p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p) ? p : `${Deno.cwd()}/${p}`);
const windows = Deno.build.os === "windows";

const args = parseArgs(Deno.args);
const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? fail("no HOME");
const binDir = abs(
  args.binDir ??
    (args.root
      ? `${args.root}/bin`
      : Deno.env.get("DENO_INSTALL_ROOT")
      ? `${Deno.env.get("DENO_INSTALL_ROOT")}/bin`
      : `${home}/.local/bin`),
);
const libDir = `${binDir.replace(/\/bin\/?$/, "")}/lib/kubectl-ksit`;
await Deno.mkdir(binDir, { recursive: true });

// The lib directory is ours: replace it, so chunks of an older install do not pile up.
await Deno.remove(libDir, { recursive: true }).catch(() => {});
await Deno.mkdir(libDir, { recursive: true });
let bundlePath: string;
if (args.bundle) {
  bundlePath = `${libDir}/kubectl-ksit.js`;
  await Deno.copyFile(abs(args.bundle), bundlePath);
} else {
  // Code splitting: main.js holds the command tree and the fast paths; @kubernetes/client-node (check,
  // --watch, serve) sits in chunks loaded only when needed. ~0.1 s to start instead of ~0.4 s for one file.
  bundlePath = `${libDir}/main.js`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "deno", "--code-splitting", "--outdir", libDir, "main.ts"],
    cwd: repo.pathname,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) fail("deno bundle failed");
  await dropNodeHelperImport(libDir);
}

const deno = Deno.execPath();
const runArgs = `run -A --no-config --no-lock --quiet --unstable-lazy-dynamic-imports ${V8_FLAGS_ARG}`;
if (windows) {
  await Deno.writeTextFile(`${binDir}/kubectl-ksit.cmd`, `@"${deno}" ${runArgs} "${bundlePath}" %*\r\n`);
} else {
  const launcher =
    `#!/bin/sh\n# kubectl-ksit launcher written by scripts/install.ts\nexec "${deno}" ${runArgs} "${bundlePath}" "$@"\n`;
  await Deno.writeTextFile(`${binDir}/kubectl-ksit`, launcher, { mode: 0o755 });
  await Deno.chmod(`${binDir}/kubectl-ksit`, 0o755);
  await Deno.copyFile(new URL("kubectl_complete-ksit", import.meta.url), `${binDir}/kubectl_complete-ksit`);
  await Deno.chmod(`${binDir}/kubectl_complete-ksit`, 0o755);
}

const onPath = (Deno.env.get("PATH") ?? "").split(windows ? ";" : ":").some((p) =>
  p.replace(/\/$/, "") === binDir
);
console.log(`installed ${binDir}/kubectl-ksit${windows ? ".cmd" : ""} (bundle ${bundlePath})`);
if (!onPath) console.log(`note: ${binDir} is not on PATH; add it so \`kubectl ksit\` finds the plugin`);
