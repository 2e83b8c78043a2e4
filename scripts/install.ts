/**
 * `deno task install [--root DIR | --bin-dir DIR] [--bundle FILE]`: installs the `kubectl-ksit` plugin so
 * kubectl finds it on PATH (`kubectl ksit …`), plus `kubectl_complete-ksit` for `kubectl ksit <TAB>`.
 *
 * It bundles main.ts with code splitting (`deno bundle --code-splitting`) into <root>/lib/kubectl-ksit/ (or
 * copies the single-file bundle given with --bundle, e.g. dist/kubectl-ksit.js from `deno task bundle`), and
 * writes a launcher <bin>/kubectl-ksit that runs it with this Deno (`deno run -A --no-config`). Where: --bin-dir DIR; else --root DIR (DIR/bin); else $DENO_INSTALL_ROOT/bin;
 * else ~/.local/bin. A self-contained binary without Deno: `deno task compile`.
 */

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
}

const deno = Deno.execPath();
const runArgs = "run -A --no-config --no-lock --quiet";
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
