/**
 * Child process for tests/kube_transport_test.ts: holds a watch (DenoWatch over a tuned KubeConfig), prints
 * "watching", and when the API server goes away (graceful shutdown = GOAWAY) prints how the watch ended and
 * exits 0. Through client-node's own undici transport, Deno aborted inside nghttp2 here (denoland/deno#36788),
 * or (HTTP/1.1) the watch never ended.
 * Usage: deno run -A goaway_probe.ts <kubeconfig>
 */
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { DenoWatch, tuneTransport } from "../../kube/transport.ts";

const kc = new KubeConfig();
kc.loadFromFile(Deno.args[0]!);
tuneTransport(kc);
await kc.makeApiClient(CoreV1Api).listNamespace();
const ended = Promise.withResolvers<string>();
await new DenoWatch(kc).watch(
  "/api/v1/namespaces",
  {},
  () => {},
  (e) => ended.resolve(String(e ?? "closed")),
);
console.log("watching");
const t0 = performance.now();
const how = await ended.promise;
console.log(`watch ended after ${Math.round(performance.now() - t0)} ms: ${how.slice(0, 100)}`);
console.log("survived");
