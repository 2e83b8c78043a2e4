/** `kubectl ksit dashboard` in-process: registration, flags, how a browser is opened. (Served: tests/dashboard_e2e_test.ts.) */
import { assertEquals, assertMatch } from "../tests/support/assert.ts";
import { main } from "../main.ts";
import { openCommand } from "./dashboard.ts";
import { EXIT } from "./errors.ts";
import { memoryIo } from "./io.ts";

Deno.test("dashboard: listed in --help; bad flags are usage errors; a missing kubeconfig has its exit code", async () => {
  const help = memoryIo();
  assertEquals(await main(["--help"], help), EXIT.Ok);
  assertMatch(help.stdout, /^ {2}dashboard\b/m);
  for (const args of [["dashboard", "--port", "70000"], ["dashboard", "--port", "x"]]) {
    const io = memoryIo();
    assertEquals(await main(args, io), EXIT.Usage, io.stderr);
  }
  const io = memoryIo();
  assertEquals(await main(["dashboard", "--kubeconfig", "/nonexistent/kubeconfig"], io), EXIT.NoKubeconfig);
});

Deno.test("dashboard --open: the browser opener of each OS", () => {
  assertEquals(openCommand("http://127.0.0.1:8090/ui/", "linux"), ["xdg-open", [
    "http://127.0.0.1:8090/ui/",
  ]]);
  assertEquals(openCommand("http://127.0.0.1:8090/ui/", "darwin"), ["open", ["http://127.0.0.1:8090/ui/"]]);
  assertEquals(openCommand("http://x/", "windows"), ["cmd", ["/c", "start", "", "http://x/"]]);
});
