/**
 * README's first command, end to end and non-interactively: `deno task quickstart` shows every sample
 * Integration Running on live workload clusters; README's transcripts (blocks marked `run-on-quickstart`,
 * tests/support/readme.ts) replay as shown — among them the exact commands the quickstart prints to break a
 * component (`kubectl set image` to a tag that never pulls) and to repair it (`kubectl rollout undo`), which
 * show Degraded, then Failed at the rollout's progress deadline, then Running; the commands it prints to try
 * run; every command of docs/troubleshooting.md runs there (placeholders filled in); the docs' Integration
 * examples pass the API server's validation; running it again is safe; `deno task quickstart:down` leaves
 * nothing running.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";
import { pidAlive } from "./support/harness.ts";
import { eventually } from "./support/poll.ts";
import { codeBlocks } from "./support/markdown.ts";
import { mismatches, quickstartPrinted, transcripts } from "./support/readme.ts";
import { commandText, documentedCommands } from "../scripts/docs.ts";
import { QUICKSTART_VALUES } from "../scripts/docs/reasons.ts";

const root = new URL("../", import.meta.url).pathname;
const readme = Deno.readTextFileSync(`${root}README.md`);

/**
 * The printed `kubectl ksit dashboard … --open`, which serves until Ctrl-C: run with `--port 0` (8090 may be
 * taken here) and a stand-in `xdg-open` that records the URL; its page shows the fleet; SIGTERM ends it with 0.
 */
async function tryDashboard(cmd: string, env: Record<string, string>, dir: string) {
  const opener = `${dir}/opener`;
  await Deno.mkdir(opener, { recursive: true });
  await Deno.writeTextFile(`${opener}/xdg-open`, `#!/bin/sh\necho "$1" > ${opener}/opened\n`, {
    mode: 0o755,
  });
  const child = new Deno.Command("bash", {
    args: ["-c", `exec ${cmd.replace(/\s+#.*$/, "")} --port 0`], // without the printed comment
    cwd: dir,
    env: { ...env, PATH: `${opener}:${env.PATH}` },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const read = (async () => {
    for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) out += c;
  })();
  const err = new Response(child.stderr).text();
  try {
    const url = await eventually(() => /KSIT dashboard: (http:\/\/\S+)/.exec(out)?.[1], {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: `${cmd}: its URL`,
    });
    const view = await (await fetch(`${url}api/view`)).json();
    assertEquals(view.source.kind, "dashboard");
    assertEquals(view.integrations.length, 4, JSON.stringify(view.integrations));
    assertEquals(view.totals.clusters, 2);
    const opened = await eventually(async () => {
      try {
        return (await Deno.readTextFile(`${opener}/opened`)).trim();
      } catch {
        return undefined;
      }
    }, { timeoutMs: 10_000, intervalMs: 100, what: `${cmd}: the browser opened` });
    assertEquals(opened, url);
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 15_000);
  const status = await child.status;
  clearTimeout(timer);
  await read;
  assertEquals(status.code, 0, `${cmd}: ${out}${await err}`);
}

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

Deno.test("quickstart: all Integrations Running on live clusters; README's transcripts replay as shown (break: Degraded, Failed; repair: Running); the commands it prints and docs/troubleshooting.md's run; down stops everything", async () => {
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

    // the user's shell: the printed export line, then README's commands as a new user types them
    const userEnv = {
      KUBECONFIG: exportLine[1]!,
      PATH: `${exportLine[2]}:${Deno.env.get("PATH")}`,
      NO_COLOR: "1",
      HOME: dir,
    };
    const sh = async (cmd: string) => {
      const out = await new Deno.Command("bash", {
        args: ["-o", "pipefail", "-c", cmd],
        cwd: dir,
        env: userEnv,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
      };
    };

    // README shows the break and repair commands the quickstart prints
    const steps = transcripts(readme).flatMap((t) => t.steps.map((s) => ({ ...s, line: t.line })));
    for (const cmd of [breakCmd, fixCmd]) {
      assert(steps.some((s) => s.command === cmd), `README's transcript runs the printed \`${cmd}\``);
    }
    // every command README shows the quickstart printing is printed
    const printed = quickstartPrinted(readme);
    assert(printed.length >= 4, `${printed.length} printed commands in README`);
    for (const line of printed) {
      assertStringIncludes(first.text, line, "README shows what the quickstart prints");
    }

    // README's transcripts, replayed in order: each step until it shows README's exit code and tables
    const t0 = performance.now();
    for (const step of steps) {
      const started = performance.now();
      await eventually(async () => {
        const r = await sh(step.command);
        const wrong = [
          ...(r.code === step.exit ? [] : [`exit ${r.code}, README shows ${step.exit}`]),
          ...mismatches(step.output, r.text),
        ];
        if (wrong.length) throw new Error(`${wrong.join("; ")}\n${r.text}`);
        return true;
      }, { timeoutMs: 60_000, intervalMs: 500, what: `README:${step.line} \`${step.command}\`` });
      const ms = performance.now() - started;
      if (ms > 1_000) {
        console.log(`quickstart: README \`${step.command}\` as shown after ${Math.round(ms)} ms`);
      }
    }
    console.log(
      `quickstart: README's ${steps.length} commands replayed in ${Math.round(performance.now() - t0)} ms`,
    );

    // what the quickstart prints to try ("Use it:"), and its alternative
    const useIt = /^Use it:\n((?: {2}.*\n)+)/m.exec(first.text)?.[1] ?? "";
    const tries = useIt.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("kubectl "))
      .flatMap((l) => l.split(/\s+# or:\s+/));
    assert(tries.length >= 3, useIt);
    for (const cmd of tries) {
      if (/^kubectl ksit dashboard\b/.test(cmd)) {
        await tryDashboard(cmd, userEnv, dir);
        continue;
      }
      const r = await sh(cmd);
      assertEquals(r.code, 0, `${cmd}: ${r.text}`);
    }

    // docs/troubleshooting.md's commands, with the quickstart's names for its placeholders
    const failed: string[] = [];
    let ran = 0;
    for (const c of documentedCommands()) {
      if (typeof c !== "string" && c.skip) continue;
      const cmd = commandText(c).replace(/<[a-z-]+>/g, (p) => {
        const v = QUICKSTART_VALUES[p];
        if (!v) failed.push(`${commandText(c)}: no quickstart value for ${p}`);
        return v ?? p;
      });
      const r = await sh(cmd);
      ran++;
      const want = typeof c === "string" ? 0 : c.exit ?? 0;
      if (r.code !== want) failed.push(`${cmd}: exit ${r.code} (want ${want}): ${r.text.slice(0, 500)}`);
    }
    assertEquals(failed, [], "docs/troubleshooting.md commands that do not run on the quickstart");
    assert(ran >= 40, `${ran} troubleshooting commands ran`);

    // the docs' Integration examples are accepted by the API server (CRD schema and CEL rules)
    for (const page of ["README.md", "docs/tools.md", "docs/troubleshooting.md"]) {
      for (const b of codeBlocks(Deno.readTextFileSync(`${root}${page}`)).filter((b) => b.lang === "yaml")) {
        if (!/^kind: Integration$/m.test(b.text)) continue;
        const file = `${dir}/example.yaml`;
        await Deno.writeTextFile(file, b.text);
        const r = await sh(`kubectl apply --dry-run=server -n ksit-system -f ${file}`);
        assertEquals(r.code, 0, `${page}:${b.line}: ${r.text}`);
      }
    }

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
