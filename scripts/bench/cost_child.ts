/**
 * One ladder of `deno task bench:cost` (scripts/bench_cost.ts), in a process of its own so that its memory is
 * only what the ladder builds. Each step adds to the one before; after each, two full GCs and a pause, then
 * one JSON line on stdout: `{ step, per, rss, heap, external }` (bytes; `per`: what the step added one of —
 * `process`, `target` or `watch`).
 *
 *   raw:  the process → client-node and the controller's modules loaded → N kubeconfigs parsed → N Deno
 *         HTTP clients (CA, client certificate) → each connected (one GET /version) → W watch streams per
 *         target, each with a 2 KiB read pending (what a quiet watch is: kube/transport.ts)
 *   ksit: the same up to the kubeconfigs → a ClusterClient per target, connected → W informers per target
 *         (kube/informer.ts: list, watch, projected cache of Deployments), all established
 *
 * Arguments: <raw|ksit> <file with the kubeconfigs (JSON array)> <watches per target>. Needs --expose-gc.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { parallel } from "./api.ts";
import { decodeBase64Text } from "../../util/base64.ts";

const [ladder, file, watchesArg] = Deno.args;
const watches = Number(watchesArg);
const gc = (globalThis as unknown as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");

async function step(name: string, per: "process" | "target" | "watch"): Promise<void> {
  gc!();
  await new Promise((r) => setTimeout(r, 500));
  gc!();
  const m = Deno.memoryUsage();
  console.log(JSON.stringify({ step: name, per, rss: m.rss, heap: m.heapUsed, external: m.external }));
}

async function raw(kcs: KubeConfig[]): Promise<void> {
  const targets = kcs.map((kc) => {
    const c = kc.getCurrentCluster()!;
    const u = kc.getCurrentUser()!;
    const [ca, cert, key] = [c.caData, u.certData, u.keyData].map((d) => decodeBase64Text(d ?? ""));
    return { server: c.server, ca: ca!, cert: cert!, key: key! };
  });
  const clients = targets.map((t) => Deno.createHttpClient({ caCerts: [t.ca], cert: t.cert, key: t.key }));
  await step("an HTTP client per target", "target");
  await parallel(targets, 32, async (t, i) => {
    await (await fetch(`${t.server}/version`, { client: clients[i] })).arrayBuffer();
  });
  await step("each connected (GET /version)", "target");
  const held: unknown[] = [];
  await parallel(targets, 32, async (t, i) => {
    for (let w = 0; w < watches; w++) {
      const res = await fetch(
        `${t.server}/apis/apps/v1/namespaces/cost-${w}/deployments?watch=true&timeoutSeconds=1800`,
        { client: clients[i], headers: { "accept-encoding": "identity" } },
      );
      const reader = res.body!.getReader({ mode: "byob" });
      held.push(res, reader, reader.read(new Uint8Array(2048)));
    }
  });
  await step(`${watches} watch streams per target, a 2 KiB read pending`, "watch");
}

async function ksit(kcs: KubeConfig[]): Promise<void> {
  const { AppsV1Api } = await import("@kubernetes/client-node");
  const { ClusterClient } = await import("../../kube/client.ts");
  const { Informer } = await import("../../kube/informer.ts");
  const { rawGet } = await import("../../kube/transport.ts");
  const { projectDeployment } = await import("../../checks/projection.ts");
  const { Semaphore } = await import("../../util/semaphore.ts");
  const { nullLogger } = await import("../../util/log.ts");
  const global = new Semaphore(32);
  const clients = kcs.map((kc, i) =>
    new ClusterClient(kc, { target: `t${i}`, timeoutMs: 60_000, countRequest: () => {}, global })
  );
  await parallel(kcs, 32, async (kc) => {
    await rawGet(kc, "/version");
  });
  await step("a ClusterClient per target, connected (GET /version)", "target");
  const informers: { established: boolean }[] = [];
  for (const client of clients) {
    const apps = client.api(AppsV1Api);
    for (let w = 0; w < watches; w++) {
      const namespace = `cost-${w}`;
      const inf = new Informer({
        name: `deployments ${client.target}/${namespace}`,
        client,
        path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
        list: () => apps.listNamespacedDeployment({ namespace }),
        project: projectDeployment,
        onChange: () => {},
        log: nullLogger,
      });
      inf.start();
      informers.push(inf);
    }
  }
  const deadline = Date.now() + 300_000;
  while (informers.some((i) => !i.established)) {
    if (Date.now() > deadline) throw new Error("informers not established within 300 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  await step(`${watches} informers per target (list, watch, projected cache), established`, "watch");
}

await step("the process", "process");
const { KubeConfig: Kc } = await import("@kubernetes/client-node");
await import("../../controller/mod.ts");
await step("client-node and the controller's modules loaded", "process");
const kcs = (JSON.parse(await Deno.readTextFile(file!)) as string[]).map((y) => {
  const kc = new Kc();
  kc.loadFromString(y);
  return kc;
});
await step("the targets' kubeconfigs parsed", "target");
await (ladder === "raw" ? raw(kcs) : ksit(kcs));
Deno.exit(0);
