/**
 * Golden files of `status`, `describe`, `check` and `target list` in table, wide, json and yaml (plus the
 * matrix views and a coloured rendering), from the tool fixtures judged by checks/ at a fixed clock.
 * Regenerate with `deno task golden:update` (UPDATE_GOLDEN=1) and review the diff.
 */
import { assertEquals } from "../tests/support/assert.ts";
import {
  goldenCheckResults,
  goldenEvents,
  goldenIntegrations,
  goldenTargets,
  NOW,
} from "../tests/golden/fixtures.ts";
import { renderCheck } from "./check_render.ts";
import { renderDescribe } from "./describe_render.ts";
import type { Output } from "./render.ts";
import { memoryIo } from "./io.ts";
import { statusText } from "./status_view.ts";
import { renderStatus } from "./status_render.ts";
import { loadYaml } from "./yaml_lazy.ts";
import { renderTargets } from "./target_list.ts";

await loadYaml(); // -o yaml (main.ts loads it before running a command)

const dir = new URL("../tests/golden/", import.meta.url);
const update = Deno.env.get("UPDATE_GOLDEN") === "1";

async function golden(name: string, actual: string) {
  const url = new URL(name, dir);
  if (update) {
    await Deno.writeTextFile(url, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(url);
  } catch {
    throw new Error(`golden file tests/golden/${name} is missing: run \`deno task golden:update\``);
  }
  assertEquals(
    actual,
    expected,
    `tests/golden/${name} differs (run \`deno task golden:update\` if intended)`,
  );
}

const outputs: Output[] = ["table", "wide", "json", "yaml"];
const ext = (o: Output) => (o === "json" ? "json" : o === "yaml" ? "yaml" : "txt");

Deno.test("golden: status list in every output format", async () => {
  const items = await goldenIntegrations();
  for (const output of outputs) {
    const text = renderStatus(items, { output, allNamespaces: false, view: "list", color: false, now: NOW });
    await golden(`status.${output}.${ext(output)}`, text);
  }
});

Deno.test("golden: status matrix, -A, --cluster, colour", async () => {
  const items = await goldenIntegrations();
  const base = { output: "table" as const, allNamespaces: false, color: false, now: NOW };
  await golden("status.matrix.txt", renderStatus(items, { ...base, view: "matrix" }));
  await golden(
    "status.all-namespaces.txt",
    renderStatus(items, { ...base, allNamespaces: true, view: "list" }),
  );
  const io = memoryIo({ now: () => NOW });
  await golden(
    "status.matrix.cluster-2.txt",
    statusText({ output: "table" }, { cluster: "cluster-2", view: "matrix" }, io, items),
  );
  await golden("status.color.txt", renderStatus(items, { ...base, view: "list", color: true }));
});

Deno.test("golden: describe in every output format", async () => {
  const items = await goldenIntegrations();
  const argo = items.find((i) => i.metadata.name === "argocd-prod")!;
  for (const output of outputs) {
    await golden(
      `describe.${output}.${ext(output)}`,
      renderDescribe(
        argo,
        goldenEvents(argo),
        { output, color: false, now: NOW, maxEvents: 20 },
        goldenTargets(),
      ),
    );
  }
  const prom = items.find((i) => i.metadata.name === "prometheus")!;
  await golden(
    "describe.unreachable.txt",
    renderDescribe(prom, [], { output: "table", color: false, now: NOW }, goldenTargets()),
  );
  const disabled = items.find((i) => i.metadata.name === "istio-canary")!;
  await golden(
    "describe.disabled.txt",
    renderDescribe(disabled, [], { output: "table", color: false, now: NOW }),
  );
});

Deno.test("golden: check in every output format, and the matrix", async () => {
  const results = await goldenCheckResults();
  for (const output of outputs) {
    await golden(
      `check.${output}.${ext(output)}`,
      renderCheck(results, { output, view: "list", color: false, now: NOW }),
    );
  }
  await golden(
    "check.matrix.txt",
    renderCheck(results, { output: "table", view: "matrix", color: false, now: NOW }),
  );
});

Deno.test("golden: target list in every output format, and -A", async () => {
  const targets = goldenTargets();
  for (const output of outputs) {
    await golden(
      `targets.${output}.${ext(output)}`,
      renderTargets(targets, { output, allNamespaces: false, color: false, now: NOW }),
    );
  }
  await golden(
    "targets.all-namespaces.txt",
    renderTargets(targets, { output: "table", allNamespaces: true, color: false, now: NOW }),
  );
});
