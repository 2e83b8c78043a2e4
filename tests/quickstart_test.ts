/**
 * README's first command, end to end and non-interactively: `deno task quickstart` shows every sample
 * Integration Running on live workload clusters; the exact commands it prints to break a component (`kubectl
 * set image` to a tag that never pulls) and to repair it (`kubectl rollout undo`) show Degraded, then Failed at
 * the rollout's progress deadline, then Running; running it again is safe; `deno task quickstart:down` leaves
 * nothing running.
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

/** etcd, the API servers, the live clusters' controllers, serve (in that order). */
function statePids(dir: string): number[] {
  const pids: number[] = [];
  try {
    const state = JSON.parse(Deno.readTextFileSync(`${dir}/state.json`)) as {
      etcd: { pid: number };
      clusters: { pid: number; live?: { procs: { pid: number }[] } }[];
    };
    pids.push(state.etcd.pid, ...state.clusters.map((c) => c.pid));
    pids.push(...state.clusters.flatMap((c) => c.live?.procs.map((p) => p.pid) ?? []));
    pids.push(JSON.parse(Deno.readTextFileSync(`${dir}/serve.json`)).pid);
  } catch { /* partial state */ }
  return pids;
}

Deno.test("quickstart: all Integrations Running on live clusters; its printed break/repair commands show Degraded, Failed, Running; down stops everything", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ksit-quickstart-test-" });
  const env = { KSIT_QUICKSTART_DIR: `${dir}/state` };
  let pids: number[] = [];
  try {
    const first = await task("quickstart", env);
    assertEquals(first.code, 0, first.text);
    pids = statePids(`${dir}/state`);
    assertEquals(pids.length, 11, "etcd, 3 API servers, 2 × (controller-manager, scheduler, kwok) and serve");
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
    // the printed commands: one to break, one to repair, both real kubectl operations
    const breakCmd =
      /^\s*(kubectl --context cluster-1 -n argocd set image deployment\/argocd-repo-server \S+)$/m
        .exec(first.text)?.[1];
    assert(breakCmd, "the command that breaks a component is printed");
    assertStringIncludes(breakCmd, ":ksit-never-ready");
    const fixCmd = /^\s*(kubectl --context cluster-1 -n argocd rollout undo deployment\/argocd-repo-server)$/m
      .exec(first.text)?.[1];
    assert(fixCmd, "the command that repairs it is printed");
    assertMatch(first.text, /argocd-repo-server\s+2\/2\s+2\s+2/); // kubectl get deployments: real status
    // the printed dashboard URL (serve --ui-addr) answers with the fleet
    const uiUrl = /^\s*open (http:\/\/127\.0\.0\.1:\d+\/ui\/)/m.exec(first.text)?.[1];
    assert(uiUrl, "the dashboard URL is printed");
    const view = await (await fetch(`${uiUrl}api/view`)).json();
    assertEquals(view.integrations.map((i: { name: string }) => i.name), [
      "argocd",
      "flux",
      "istio",
      "prometheus",
    ]);
    assertEquals(view.totals.clusters, 2);

    // the user's shell: the printed export line, then the printed commands
    const userEnv = {
      KUBECONFIG: exportLine[1]!,
      PATH: `${exportLine[2]}:${Deno.env.get("PATH")}`,
      NO_COLOR: "1",
      HOME: dir,
    };
    const sh = (cmd: string) =>
      new Deno.Command("bash", { args: ["-c", cmd], env: userEnv, stdout: "piped", stderr: "piped" })
        .output();
    const status = async (phase: string, healthy: string, message: RegExp, timeoutMs: number) =>
      await eventually(async () => {
        const r = await sh("kubectl ksit status -n ksit-system --exit-code");
        const out = new TextDecoder().decode(r.stdout);
        const line = out.split("\n").find((l) => l.startsWith("argocd "));
        return r.code === (phase === "Running" ? 0 : 3) &&
          new RegExp(`^argocd\\s+argocd\\s+${phase}\\s+${healthy}\\s`).test(line ?? "") &&
          message.test(line ?? "") && out;
      }, { timeoutMs, intervalMs: 500, what: `argocd ${phase} in kubectl ksit status` });
    const broke = await sh(breakCmd);
    assert(broke.success, new TextDecoder().decode(broke.stderr));
    const t0 = performance.now();
    const degraded = await status(
      "Degraded",
      "1/2",
      /cluster-1: argocd-repo-server: rollout in progress/,
      15_000,
    );
    assertStringIncludes(degraded, "flux");
    await status("Failed", "1/2", /cluster-1: argocd-repo-server: rollout stuck/, 60_000);
    console.log(`quickstart: break → Failed after ${Math.round(performance.now() - t0)} ms (deadline 15 s)`);
    const fixed = await sh(fixCmd);
    assert(fixed.success, new TextDecoder().decode(fixed.stderr));
    await status("Running", "2/2", /all 2 clusters healthy/, 30_000);

    // safe to run twice: the clusters are reused, the tools' objects put back as installed, all Running
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
