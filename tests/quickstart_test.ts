/**
 * README's first command, end to end and non-interactively: `deno task quickstart` shows every sample
 * Integration Running; breaking a component as the quickstart tells the user shows Failed; running it again is
 * safe; `deno task quickstart:down` leaves nothing running.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";
import { pidAlive } from "./support/harness.ts";
import { eventually } from "./support/poll.ts";

const root = new URL("../", import.meta.url).pathname;

async function task(name: string, env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", name],
    cwd: root,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

function statePids(dir: string): number[] {
  const pids: number[] = [];
  try {
    const state = JSON.parse(Deno.readTextFileSync(`${dir}/state.json`));
    pids.push(state.etcd.pid, ...state.clusters.map((c: { pid: number }) => c.pid));
    pids.push(JSON.parse(Deno.readTextFileSync(`${dir}/serve.json`)).pid);
  } catch { /* partial state */ }
  return pids;
}

Deno.test("quickstart: all Integrations Running, a broken component shows Failed, down stops everything", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ksit-quickstart-test-" });
  const env = { KSIT_QUICKSTART_DIR: `${dir}/state` };
  let pids: number[] = [];
  try {
    const first = await task("quickstart", env);
    assertEquals(first.code, 0, first.text);
    pids = statePids(`${dir}/state`);
    assertEquals(pids.length, 5, "etcd, 3 API servers and serve");
    for (const name of ["argocd", "flux", "istio", "prometheus"]) {
      assertMatch(
        first.text,
        new RegExp(`^integration\\.ksit\\.io/${name}\\s+${name}\\s+Running\\s+\\d/\\d`, "m"),
      );
    }
    assertMatch(first.text, /^integration\.ksit\.io\/argocd\s+argocd\s+Running\s+2\/2/m);
    assertMatch(
      first.text,
      /^integrationtarget\.ksit\.io\/cluster-1\s+cluster-1\s+True\s+v1\.\d+\.\d+\s+Connected/m,
    );
    assertMatch(
      first.text,
      /^integrationtarget\.ksit\.io\/cluster-2\s+cluster-2\s+True\s+v1\.\d+\.\d+\s+Connected/m,
    );
    const exportLine = /^\s*export KUBECONFIG=(\S+) PATH=(\S+):\$PATH$/m.exec(first.text);
    assert(exportLine, "the export line is printed");
    const breakCmd = /^\s*(kubectl --context cluster-1 .*availableReplicas":0.*)$/m.exec(first.text)?.[1];
    assert(breakCmd, "the command that breaks a component is printed");

    // the user's shell: the printed export line, then the printed command
    const userEnv = {
      KUBECONFIG: exportLine[1]!,
      PATH: `${exportLine[2]}:${Deno.env.get("PATH")}`,
      NO_COLOR: "1",
      HOME: dir,
    };
    const sh = (cmd: string) =>
      new Deno.Command("bash", { args: ["-c", cmd], env: userEnv, stdout: "piped", stderr: "piped" })
        .output();
    const broke = await sh(breakCmd);
    assert(broke.success, new TextDecoder().decode(broke.stderr));
    const seen = await eventually(async () => {
      const r = await sh("kubectl ksit status -n ksit-system --exit-code");
      const out = new TextDecoder().decode(r.stdout);
      return r.code === 3 &&
        /^argocd\s+argocd\s+Failed\s+1\/2\s+\S+\s+cluster-1: argocd-repo-server: 0\/\d available/m
          .test(out) &&
        out;
    }, { timeoutMs: 15_000, what: "argocd Failed in kubectl ksit status" });
    assertStringIncludes(seen, "flux");

    // safe to run twice: the clusters are reused and everything is Running again (the seed restores status)
    const second = await task("quickstart", env);
    assertEquals(second.code, 0, second.text);
    assertStringIncludes(second.text, "reusing the running clusters");
    assertEquals(statePids(`${dir}/state`).slice(0, 4), pids.slice(0, 4), "same API server processes");
    assertMatch(second.text, /^integration\.ksit\.io\/argocd\s+argocd\s+Running\s+2\/2/m);
  } finally {
    const down = await task("quickstart:down", env);
    assertEquals(down.code, 0, down.text);
    await eventually(() => pids.every((p) => !pidAlive(p)), {
      timeoutMs: 20_000,
      what: "every process gone",
    });
    assert(!(await Deno.stat(`${dir}/state`).catch(() => undefined)), "state directory removed");
    await Deno.remove(dir, { recursive: true });
  }
});
