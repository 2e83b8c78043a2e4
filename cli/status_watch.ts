/**
 * `kubectl ksit status --watch`: the Integrations through the same informer `serve` uses (kube/informer.ts:
 * list + watch on Deno's fetch, relist on `410 Gone`, restarts with backoff), redrawn on every change (on a
 * terminal: cleared and redrawn in place; otherwise the new table after a blank line). 401/403 end the command
 * with their exit code. Ends on SIGINT/SIGTERM (exit 0) or when `signal` aborts.
 */
import { CustomObjectsApi } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../api/schema.ts";
import type { Integration } from "../api/types.ts";
import { ClusterClient } from "../kube/client.ts";
import { errorCode } from "../kube/errors.ts";
import { Informer } from "../kube/informer.ts";
import { kubeConfigForContext } from "../kube/kubeconfig.ts";
import { closeTransport } from "../kube/transport.ts";
import { Semaphore } from "../util/semaphore.ts";
import { nullLogger } from "../util/log.ts";
import { resourcePath } from "./control_plane.ts";
import { EXIT, toCliError } from "./errors.ts";
import type { GlobalOptions, Io } from "./io.ts";
import type { RestClient } from "./rest_client.ts";
import { noResources } from "./status_render.ts";
import { type StatusOptions, statusText } from "./status_view.ts";

export async function watchStatus(
  g: GlobalOptions,
  o: StatusOptions,
  io: Io,
  rest: RestClient,
  namespace: string | undefined,
  first: Integration[],
  signal?: AbortSignal,
): Promise<number> {
  const kc = kubeConfigForContext(rest.context);
  const stop = new AbortController();
  let failure: unknown;
  const view = redrawing(g, o, io, namespace);
  const informer = integrationInformer(kc, rest.contextName, namespace, {
    changed: () => view.schedule(() => informer.list()),
    failed: (e) => {
      const code = errorCode(e);
      if (code === 401 || code === 403) {
        failure = e;
        stop.abort();
      } else if (g.debug) io.err(`watch ended: ${(e as Error).message ?? e}; resuming\n`);
    },
  });
  view.draw(first);

  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  signal?.addEventListener("abort", onSignal, { once: true });
  informer.start();
  try {
    if (!stop.signal.aborted) {
      await new Promise<void>((r) => stop.signal.addEventListener("abort", () => r(), { once: true }));
    }
  } finally {
    informer.stop();
    view.cancel();
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    signal?.removeEventListener("abort", onSignal);
    await closeTransport(kc);
  }
  if (failure !== undefined) throw toCliError({ code: errorCode(failure) }, rest.what);
  return EXIT.Ok;
}

/** The Integrations of `namespace` (all with -A) through kube/informer.ts. */
function integrationInformer(
  kc: ReturnType<typeof kubeConfigForContext>,
  contextName: string,
  namespace: string | undefined,
  on: { changed: () => void; failed: (e: unknown) => void },
): Informer<Integration> {
  const client = new ClusterClient(kc, {
    target: contextName,
    timeoutMs: 15_000,
    countRequest: () => {},
    global: new Semaphore(4),
  });
  const custom = client.api(CustomObjectsApi);
  const informer: Informer<Integration> = new Informer<Integration>({
    name: "integrations",
    client,
    path: resourcePath("integrations", namespace),
    list: () =>
      namespace
        ? custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: "integrations",
        })
        : custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: "integrations" }),
    onChange: on.changed,
    onState: () => {
      if (informer.lastError !== undefined && !informer.established) on.failed(informer.lastError);
    },
    log: nullLogger,
    maxBackoffMs: 30_000,
  });
  return informer;
}

/**
 * Draws the status view when it changed: on a terminal cleared and redrawn in place, otherwise the new table
 * after a blank line; changes within 50 ms are drawn once.
 */
function redrawing(g: GlobalOptions, o: StatusOptions, io: Io, namespace: string | undefined) {
  let last = "";
  let drawn = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const draw = (items: readonly Integration[]) => {
    const text = statusText(g, o, io, [...items]) || noResources(namespace) + "\n";
    if (text === last) return;
    last = text;
    if (io.isTTY) io.out("\x1b[H\x1b[2J" + text);
    else io.out((drawn > 0 ? "\n" : "") + text);
    drawn++;
  };
  return {
    draw,
    schedule(items: () => readonly Integration[]) {
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        draw(items());
      }, 50);
    },
    cancel() {
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
