/**
 * Keeps `deno task bench:cli` working: a few interleaved runs on a real API server, and the result line it
 * prints is well formed. Not a timed assertion: the numbers are the benchmark's business
 * (docs/cli-startup.md).
 */
import { assertEquals, assertMatch } from "./support/assert.ts";

const root = new URL("../", import.meta.url).pathname;

Deno.test("bench:cli prints the medians of kubectl ksit status and kubectl get integrations, and their ratio", async () => {
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "bench:cli", "--runs", "3"],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(res.stdout);
  const stderr = new TextDecoder().decode(res.stderr);
  assertEquals(res.code, 0, `bench:cli failed:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);
  assertMatch(
    stdout,
    /^cli-startup: kubectl ksit status \d+ ms \/ kubectl get integrations \d+ ms = \d+\.\d\d \(medians of 3 interleaved runs; 50 Integrations; load average \d+\.\d+ → \d+\.\d+\)$/m,
  );
  assertMatch(stdout, /^kubectl ksit status +median +\d+ ms .*\(51 lines\)$/m);
  assertMatch(stdout, /^kubectl get integrations +median +\d+ ms .*\(51 lines\)$/m);
});
