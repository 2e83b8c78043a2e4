/**
 * `kubectl ksit status --watch`: a real watch on Integrations (client-node's Watch protocol through
 * `DenoWatch` of kube/transport.ts, loaded only here) from the
 * list's resourceVersion; every change redraws the view (on a terminal: clears and redraws in place; otherwise
 * prints the new table after a blank line). `410 Gone` relists; a dropped watch is resumed with backoff.
 * Ends on SIGINT/SIGTERM (exit 0) or when `signal` aborts.
 */
import type { Integration } from "../api/types.ts";
import { parseKubeconfig } from "../kube/kubeconfig.ts";
import { listKsit, type ListResult, resourcePath } from "./control_plane.ts";
import { EXIT, toCliError } from "./errors.ts";
import type { GlobalOptions, Io } from "./io.ts";
import type { RestClient } from "./rest_client.ts";
import { type StatusOptions, statusText } from "./status.ts";
import { noResources } from "./status_render.ts";

const key = (i: Integration) => `${i.metadata.namespace}/${i.metadata.name}`;

export async function watchStatus(
  g: GlobalOptions,
  o: StatusOptions,
  io: Io,
  client: RestClient,
  namespace: string | undefined,
  first: ListResult<Integration>,
  signal?: AbortSignal,
): Promise<number> {
  const { DenoWatch } = await import("../kube/transport.ts");
  const kc = parseKubeconfig(client.kubeconfig.toYaml(client.contextName), {
    source: `context ${client.contextName}`,
    allowExecAuth: true,
    context: client.contextName,
    allowFileReferences: true,
  });
  // kube/transport.ts: client-node's Watch on Deno's fetch (`done` is reliable there)
  const watch = new DenoWatch(kc);
  // a watch without any byte (bookmarks come about once a minute) for this long is restarted
  watch.requestTimeoutMs = 5 * 60_000;

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  signal?.addEventListener("abort", onSignal, { once: true });

  const items = new Map<string, Integration>();
  let resourceVersion = first.metadata?.resourceVersion ?? "";
  const reset = (list: ListResult<Integration>) => {
    items.clear();
    for (const i of list.items) items.set(key(i), i);
    resourceVersion = list.metadata?.resourceVersion ?? "";
  };
  reset(first);

  let last = "";
  let drawn = 0;
  const draw = () => {
    const text = statusText(g, o, io, [...items.values()]) || noResources(namespace) + "\n";
    if (text === last) return;
    last = text;
    if (io.isTTY) io.out("\x1b[H\x1b[2J" + text);
    else io.out((drawn > 0 ? "\n" : "") + text);
    drawn++;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const scheduleDraw = () => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      draw();
    }, 50);
  };
  draw();

  const path = resourcePath("integrations", namespace);
  let backoffMs = 500;
  try {
    while (!stop.signal.aborted) {
      let gone = false;
      let ended!: () => void;
      const done = new Promise<void>((r) => (ended = r));
      let failure: unknown;
      const ctl = await watch.watch(
        path,
        { resourceVersion, allowWatchBookmarks: true },
        (type: string, obj: Integration & { code?: number }) => {
          backoffMs = 500;
          if (type === "ERROR") {
            gone = obj.code === 410;
            return;
          }
          if (obj.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
          if (type === "BOOKMARK") return;
          if (type === "DELETED") items.delete(key(obj));
          else items.set(key(obj), obj);
          scheduleDraw();
        },
        (err: unknown) => {
          failure = err;
          ended();
        },
      );
      // on shutdown, do not wait for `done` (client-node's own Watch never calls it after an abort)
      const stopped = new Promise<void>((r) => {
        if (stop.signal.aborted) r();
        else stop.signal.addEventListener("abort", () => r(), { once: true });
      });
      await Promise.race([done, stopped]);
      if (stop.signal.aborted) {
        ctl.abort();
        break;
      }
      const code = (failure as { statusCode?: number } | undefined)?.statusCode;
      if (code === 401 || code === 403) throw toCliError({ code }, client.what);
      if (gone || code === 410) {
        reset(await listKsit<Integration>(client, "integrations", namespace));
        scheduleDraw();
        continue;
      }
      if (failure) {
        if (g.debug) io.err(`watch ended: ${(failure as Error).message ?? failure}; resuming\n`);
        await sleep(backoffMs, stop.signal);
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    signal?.removeEventListener("abort", onSignal);
  }
  return EXIT.Ok;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
