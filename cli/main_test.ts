/** The command tree in-process: help, usage errors (exit 2), flag plumbing, completion scripts. */
import { assertEquals, assertMatch, assertStringIncludes } from "../tests/support/assert.ts";
import { main } from "../main.ts";
import { EXIT } from "./errors.ts";
import { memoryIo } from "./io.ts";

const kubeconfig = new URL("../tests/golden/kubeconfig/a.yaml", import.meta.url).pathname;

Deno.test("--help lists the subcommands and documents every exit code", async () => {
  const io = memoryIo();
  assertEquals(await main(["--help"], io), EXIT.Ok);
  for (const sub of ["status", "describe", "check", "target", "serve", "version", "completion"]) {
    assertMatch(io.stdout, new RegExp(`^  ${sub}\\b`, "m"));
  }
  assertStringIncludes(io.stdout, "Exit codes:");
  assertMatch(io.stdout, /^ +7 {2}KSIT CRDs not installed/m);
  const bare = memoryIo();
  assertEquals(await main([], bare), EXIT.Ok, "no subcommand: help, exit 0");
  assertStringIncludes(bare.stdout, "Usage: kubectl ksit");
});

Deno.test("usage errors exit 2 with one message", async () => {
  const cases = [
    ["frobnicate"],
    ["status", "--view", "grid"],
    ["status", "-o", "xml"],
    ["status", "--type", "argo"],
    ["describe"],
    ["check", "--timeout", "ten"],
    ["completion", "powershell"],
    ["target", "add", "x", "--token-duration", "1y"],
    ["serve", "--concurrency", "0"],
  ];
  for (const args of cases) {
    const io = memoryIo();
    assertEquals(await main(args, io), EXIT.Usage, `${args.join(" ")}: ${io.stderr}`);
    assertMatch(io.stderr, /^error: /, args.join(" "));
  }
  const io = memoryIo();
  assertEquals(await main(["describe", "x", "-A", "--kubeconfig", kubeconfig], io), EXIT.Usage);
  assertStringIncludes(io.stderr, "use -n <namespace>, not -A");
  const t = memoryIo();
  assertEquals(await main(["target", "add", "x", "--kubeconfig", kubeconfig], t), EXIT.Usage);
  assertStringIncludes(t.stderr, "target add needs --context");
});

Deno.test("kubeconfig problems have their own exit codes, without a stack", async () => {
  const io = memoryIo();
  assertEquals(await main(["status", "--kubeconfig", "/nonexistent/kubeconfig"], io), EXIT.NoKubeconfig);
  assertEquals(io.stderr, "error: kubeconfig /nonexistent/kubeconfig: no such file\n");
  const ctx = memoryIo();
  assertEquals(
    await main(["status", "--kubeconfig", kubeconfig, "--context", "zeta"], ctx),
    EXIT.UnknownContext,
  );
  assertEquals(ctx.stderr.split("\n").length, 2, ctx.stderr);
  const debug = memoryIo();
  await main(["status", "--kubeconfig", kubeconfig, "--context", "zeta", "--debug"], debug);
  assertMatch(debug.stderr, /\n\s+at /, "the stack with --debug");
});

Deno.test("version --client and completion scripts", async () => {
  const io = memoryIo();
  assertEquals(await main(["version", "--client"], io), EXIT.Ok);
  assertMatch(io.stdout, /^Client Version: v\d+\.\d+\.\d+ \(deno \d/);
  const json = memoryIo();
  await main(["version", "--client", "-o", "json"], json);
  assertEquals(typeof JSON.parse(json.stdout).clientVersion.version, "string");
  for (const shell of ["bash", "zsh", "fish"]) {
    const c = memoryIo();
    assertEquals(await main(["completion", shell], c), EXIT.Ok);
    assertStringIncludes(c.stdout, "kubectl-ksit __complete");
  }
  const bash = memoryIo();
  await main(["completion", "bash"], bash);
  assertStringIncludes(bash.stdout, "complete -o default -F _kubectl_ksit kubectl-ksit");
  assertStringIncludes(bash.stdout, '"${COMP_WORDS[@]:1:COMP_CWORD}"');
});

Deno.test("serve flags map onto the controller's ServeOptions", async () => {
  const { serveOptions } = await import("./serve.ts");
  assertEquals(
    serveOptions({ kubeconfig: "/k", namespace: "ksit-system", allNamespaces: true }, {
      healthAddr: ":8080",
      leaderElect: true,
      leaseName: "ksit",
      leaseDuration: 15_000,
      concurrency: 4,
      requestTimeout: 10_000,
      logLevel: "info",
      mode: "poll",
    }),
    {
      kubeconfig: "/k",
      namespace: "ksit-system",
      allNamespaces: true,
      healthAddr: ":8080",
      leaderElect: true,
      leaseName: "ksit",
      leaseDuration: 15_000,
      concurrency: 4,
      requestTimeout: 10_000,
      allowExecAuth: false,
      logLevel: "info",
      mode: "poll",
    },
  );
});
