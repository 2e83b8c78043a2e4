/**
 * `kubectl ksit target list`: the IntegrationTargets (workload clusters) of a namespace (default ksit-system)
 * or all (`-A`); `-o wide` adds the serve replica that judges each (`status.judgedBy`), its labels, Secret and
 * message. RBAC: list integrationtargets.ksit.io.
 */
import { type CommandDefinition, globalsOf } from "./command.ts";
import type { IntegrationTarget } from "../api/types.ts";
import { connect, listKsit, namespaceOf } from "./control_plane.ts";
import { EXIT } from "./errors.ts";
import type { GlobalOptions, Io } from "./io.ts";
import {
  age,
  type Cell,
  document,
  list,
  type Output,
  type RenderOptions,
  statusCell,
  table,
} from "./render.ts";

export function renderTargets(
  items: IntegrationTarget[],
  o: RenderOptions & { output: Output; allNamespaces: boolean },
): string {
  const sorted = [...items].sort((a, b) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`)
  );
  if (o.output === "json" || o.output === "yaml") return document(list(sorted), o.output);
  const wide = o.output === "wide";
  const headers = [
    ...(o.allNamespaces ? ["NAMESPACE"] : []),
    "NAME",
    "CLUSTER",
    "READY",
    "VERSION",
    "REASON",
    "AGE",
    ...(wide ? ["JUDGED BY", "LABELS", "SECRET", "MESSAGE"] : []),
  ];
  const rows = sorted.map((t): Cell[] => {
    const ready = t.status?.conditions?.find((c) => c.type === "Ready");
    const labels = { ...(t.spec.labels ?? {}), ...(t.metadata.labels ?? {}) };
    const ref = t.spec.kubeconfigSecretRef;
    return [
      ...(o.allNamespaces ? [t.metadata.namespace ?? ""] : []),
      t.metadata.name ?? "",
      t.spec.clusterName,
      ready ? statusCell(ready.status) : "Unknown",
      t.status?.serverVersion ?? "",
      ready?.reason ?? "",
      age(t.metadata.creationTimestamp, o.now),
      ...(wide
        ? [
          t.status?.judgedBy || "<none>",
          Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",") || "<none>",
          `${ref?.name ?? `${t.spec.clusterName}-kubeconfig`}/${ref?.key ?? "kubeconfig"}`,
          ready?.message ?? "",
        ]
        : []),
    ];
  });
  return table(headers, rows, o.color);
}

export async function targetList(g: GlobalOptions, io: Io): Promise<number> {
  const client = await connect(g);
  try {
    const namespace = namespaceOf(g, client);
    const { items } = await listKsit<IntegrationTarget>(client, "integrationtargets", namespace);
    const output = g.output ?? "table";
    if (items.length === 0 && (output === "table" || output === "wide")) {
      io.err(
        namespace
          ? `No integrationtargets found in ${namespace} namespace.\n`
          : "No integrationtargets found.\n",
      );
      return EXIT.Ok;
    }
    io.out(renderTargets(items, { output, allNamespaces: !namespace, color: io.color, now: io.now() }));
    return EXIT.Ok;
  } finally {
    client.close();
  }
}

export const defineTargetList: CommandDefinition = (parent, { io, run }) => {
  parent
    .command("list")
    .alias("ls")
    .description("list the IntegrationTargets and whether KSIT can reach them")
    .action((_opts, cmd) => run(targetList(globalsOf(cmd), io)));
};
