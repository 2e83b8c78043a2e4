import { assert, assertEquals } from "../tests/support/assert.ts";
import {
  ApiError,
  CliError,
  crdsNotInstalled,
  EXIT,
  EXIT_CODE_HELP,
  toCliError,
  UnreachableError,
} from "./errors.ts";

Deno.test("exit codes are distinct and all documented", () => {
  const codes = Object.values(EXIT);
  assertEquals(new Set(codes).size, codes.length);
  assertEquals(EXIT_CODE_HELP.map(([c]) => c).sort((a, b) => a - b), [...codes].sort((a, b) => a - b));
});

Deno.test("API and transport failures map to one line and the right code", () => {
  const what = "context cp (https://x)";
  assertEquals(toCliError(new ApiError(401, "Unauthorized"), what).reason, "Forbidden");
  const forbidden = toCliError(
    new ApiError(403, 'integrations.ksit.io is forbidden: User "x" cannot list'),
    what,
  );
  assertEquals(forbidden.exitCode, EXIT.Forbidden);
  assertEquals(
    forbidden.message,
    `${what}: forbidden (403): integrations.ksit.io is forbidden: User "x" cannot list`,
  );
  assertEquals(
    toCliError(new UnreachableError("https://x: Connection refused"), what).exitCode,
    EXIT.Unreachable,
  );
  assertEquals(toCliError(new TypeError("error sending request for url"), what).reason, "Unreachable");
  // client-node ApiException carries `code`
  assertEquals(toCliError(Object.assign(new Error("x"), { code: 403 }), what).reason, "Forbidden");
  assertEquals(toCliError(new ApiError(500, "boom"), what).exitCode, EXIT.Error);
  const cli = new CliError("UnknownContext", "no");
  assert(toCliError(cli, what) === cli);
});

Deno.test("the CRDs-not-installed message says what to run", () => {
  const e = crdsNotInstalled("kind-hub");
  assertEquals(e.exitCode, EXIT.CrdsNotInstalled);
  assertEquals(
    e.message,
    "KSIT CRDs are not installed on context kind-hub: run helm install ksit deploy/helm/ksit -n ksit-system --create-namespace",
  );
});
