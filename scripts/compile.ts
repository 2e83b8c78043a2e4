/**
 * `deno task compile [--target T …] [--out DIR]`: self-contained `kubectl-ksit` binaries (no Deno needed) for
 * linux/darwin/windows × amd64/arm64 with `deno compile`, named dist/kubectl-ksit-<os>-<arch>[.exe] (krew's
 * and kubectl's naming). `deno compile` downloads the `denort` runtime of each target, so this needs network
 * access and is not run in CI; `deno task bundle` / `deno task install` cover the code path offline.
 */

import { V8_FLAGS_ARG } from "./v8_flags.ts";

export interface Target {
  /** deno compile --target */
  triple: string;
  os: "linux" | "darwin" | "windows";
  arch: "amd64" | "arm64";
}

export const TARGETS: readonly Target[] = [
  { triple: "x86_64-unknown-linux-gnu", os: "linux", arch: "amd64" },
  { triple: "aarch64-unknown-linux-gnu", os: "linux", arch: "arm64" },
  { triple: "x86_64-apple-darwin", os: "darwin", arch: "amd64" },
  { triple: "aarch64-apple-darwin", os: "darwin", arch: "arm64" },
  { triple: "x86_64-pc-windows-msvc", os: "windows", arch: "amd64" },
  { triple: "aarch64-pc-windows-msvc", os: "windows", arch: "arm64" },
];

export function outputName(t: Target): string {
  return `kubectl-ksit-${t.os}-${t.arch}${t.os === "windows" ? ".exe" : ""}`;
}

/** The `deno compile` arguments for one target (exported for a test). */
export function compileArgs(t: Target, outDir: string): string[] {
  return [
    "compile",
    "--allow-all",
    "--no-check",
    V8_FLAGS_ARG,
    "--target",
    t.triple,
    "--output",
    `${outDir}/${outputName(t)}`,
    "main.ts",
  ];
}

function parseArgs(argv: string[]): { targets: Target[]; outDir: string } {
  const wanted: string[] = [];
  let outDir = "dist";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--target") wanted.push(argv[++i] ?? "");
    else if (a.startsWith("--target=")) wanted.push(a.slice("--target=".length));
    else if (a === "--out") outDir = argv[++i] ?? outDir;
    else if (a.startsWith("--out=")) outDir = a.slice("--out=".length);
    else {
      console.error(
        `compile: unknown argument ${a}\nusage: deno task compile [--target <triple|os-arch>]… [--out DIR]`,
      );
      Deno.exit(2);
    }
  }
  const targets = wanted.length === 0 ? [...TARGETS] : wanted.map((w) => {
    const t = TARGETS.find((t) => t.triple === w || `${t.os}-${t.arch}` === w);
    if (!t) {
      console.error(
        `compile: unknown target ${w}; one of ${TARGETS.map((t) => `${t.os}-${t.arch}`).join(", ")}`,
      );
      Deno.exit(2);
    }
    return t;
  });
  return { targets, outDir };
}

if (import.meta.main) {
  const { targets, outDir } = parseArgs(Deno.args);
  const cwd = new URL("../", import.meta.url).pathname;
  await Deno.mkdir(/^([A-Za-z]:)?[\\/]/.test(outDir) ? outDir : `${cwd}${outDir}`, { recursive: true }).catch(
    () => {},
  );
  let failed = 0;
  for (const t of targets) {
    console.log(`compile ${t.triple} -> ${outDir}/${outputName(t)}`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: compileArgs(t, outDir),
      cwd,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!out.success) failed++;
  }
  if (failed) {
    console.error(`compile: ${failed} of ${targets.length} target(s) failed`);
    Deno.exit(1);
  }
}
