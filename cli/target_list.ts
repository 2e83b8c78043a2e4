/**
 * `kubectl ksit target list`: the IntegrationTargets (workload clusters) of a namespace (default ksit-system)
 * or all (`-A`), with where each comes from (SOURCE: the inventory `serve` maintains it from, `imported:<source>`
 * for `target import`, `manual` for the rest). `-o wide` adds the origin, the serve
 * replica that judges each (`status.judgedBy`), its labels, credentials and message. RBAC: list
 * integrationtargets.ksit.io.
 */
import { type CommandDefinition, globalsOf } from "./command.ts";
import type { IntegrationTarget } from "../api/types.ts";
import { SOURCE_OBJECT_ANNOTATION } from "../api/labels.ts";
import { targetOrigin } from "../kube/inventory.ts";
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
    "SOURCE",
    "READY",
    "VERSION",
    "REASON",
    "AGE",
    ...(wide ? ["FROM", "JUDGED BY", "LABELS", "SECRET", "MESSAGE"] : []),
  ];
  const rows = sorted.map((t): Cell[] => {
    const ready = t.status?.conditions?.find((c) => c.type === "Ready");
    const labels = { ...(t.spec.labels ?? {}), ...(t.metadata.labels ?? {}) };
    return [
      ...(o.allNamespaces ? [t.metadata.namespace ?? ""] : []),
      t.metadata.name ?? "",
      t.spec.clusterName,
      sourceText(t),
      ready ? statusCell(ready.status) : "Unknown",
      t.status?.serverVersion ?? "",
      ready?.reason ?? "",
      age(t.metadata.creationTimestamp, o.now),
      ...(wide
        ? [
          t.metadata.annotations?.[SOURCE_OBJECT_ANNOTATION] ?? "-",
          t.status?.judgedBy || "<none>",
          Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",") || "<none>",
          credentialsText(t),
          ready?.message ?? "",
        ]
        : []),
    ];
  });
  return table(headers, rows, o.color);
}

/** `capi` / `argocd` / `clusterprofile` (maintained by serve), `imported:<source>`, or `manual`. */
export function sourceText(t: IntegrationTarget): string {
  const o = targetOrigin(t);
  return o.kind === "synced" ? o.source! : o.kind === "imported" ? `imported:${o.source}` : "manual";
}

/** Where the credentials are: `[namespace/]secret/key`, the format when not a kubeconfig, and the profile. */
export function credentialsText(t: IntegrationTarget): string {
  const ref = t.spec.kubeconfigSecretRef;
  const profile = t.spec.clusterProfileRef;
  const format = ref?.format ?? (profile && !ref ? "token" : "kubeconfig");
  const ns = ref?.namespace && ref.namespace !== t.metadata.namespace ? `${ref.namespace}/` : "";
  const name = ref?.name ?? (profile && !ref ? profile.name : `${t.spec.clusterName}-kubeconfig`);
  const key = ref?.key ?? (format === "token" ? "token" : "kubeconfig");
  const secret = format === "argocd"
    ? `${ns}${name} (argocd)`
    : `${ns}${name}/${key}${format === "token" ? " (token)" : ""}`;
  return profile
    ? `${secret} + ClusterProfile ${profile.namespace ?? t.metadata.namespace}/${profile.name}`
    : secret;
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
