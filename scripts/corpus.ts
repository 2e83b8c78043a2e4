/**
 * Re-renders the corpus of real installs (tests/fixtures/corpus/<tool>/<name>.yaml) from the upstream sources
 * at the tags pinned in tests/fixtures/corpus/index.ts, with the project's own `helm` and `kubectl kustomize`
 * (scripts/testbin.sh), and keeps what judging needs: Deployments, StatefulSets, DaemonSets and Services of the
 * install's namespaces, verbatim. Workloads that prometheus-operator creates at run time are derived from the
 * rendered custom resources, following the operator's own naming and labelling code.
 *
 *   deno run -A scripts/corpus.ts                      # sparse git clones from github.com
 *   deno run -A scripts/corpus.ts --mirror DIR         # offline: git directories DIR/<owner>+<name>/repo
 *                                                      #   (or DIR/<owner>/<name>, a clone)
 *   deno run -A scripts/corpus.ts --only argocd/install-v3.5.1,flux/all-v2.9.4
 *   deno run -A scripts/corpus.ts --check              # render and compare with the committed files
 *                                                      #   (checksum/* annotations of generated secrets aside)
 *
 * Helm chart dependencies are taken from their own repositories' release tags (`<chart>-<version>`, the
 * chart-releaser convention those repositories use), not from Helm repositories, so the script needs nothing
 * but git. With --mirror, a Flux controller tag missing from the mirror falls back to the newest patch of the
 * same minor in it, and the file's header says so.
 */
import { parse as parseYaml, parseAllDocuments, stringify } from "yaml";
import {
  CORPUS,
  type CorpusInstall,
  type FilesSource,
  type FluxSource,
  type HelmSource,
  type KustomizeSource,
  type Source,
} from "../tests/fixtures/corpus/index.ts";

const root = new URL("../", import.meta.url).pathname;
const outDir = `${root}tests/fixtures/corpus`;
const KEEP = new Set(["Deployment", "StatefulSet", "DaemonSet", "Service"]);
/** prometheus-operator tag whose code the derived StatefulSets follow (the newest release in reach). */
const OPERATOR_REF = "v0.93.0";

interface Args {
  mirror?: string;
  only?: string[];
  check: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (!v) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--mirror") args.mirror = value();
    else if (a === "--only") args.only = value().split(",").map((s) => s.trim()).filter(Boolean);
    else if (a === "--check") args.check = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; stdin?: Uint8Array } = {},
): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    stdin: opts.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin) {
    const w = child.stdin.getWriter();
    await w.write(opts.stdin);
    await w.close();
  }
  const out = await child.output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

async function runBytes(cmd: string, args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

/** helm and kubectl of the project's test binaries (KSIT_TESTBIN, or built/found by scripts/testbin.sh). */
async function binaries(): Promise<
  { helm: string; kubectl: string; helmVersion: string; kubectlVersion: string }
> {
  let dir = Deno.env.get("KSIT_TESTBIN");
  if (!dir) {
    const out = await run("bash", [`${root}scripts/testbin.sh`]);
    dir = out.trim().split("\n").at(-1) ?? "";
  }
  const helm = `${dir}/helm`;
  const kubectl = `${dir}/kubectl`;
  const helmVersion = (await run(helm, ["version", "--template", "{{.Version}}"])).trim();
  const kubectlVersion = JSON.parse(await run(kubectl, ["version", "--client", "-o", "json"])).clientVersion
    .gitVersion as string;
  return { helm, kubectl, helmVersion, kubectlVersion };
}

// ------------------------------------------------------------------------------------------- git trees

/** Git trees of (repo, ref), extracted on demand into a work directory, from a mirror or GitHub. */
class Trees {
  private readonly made = new Map<string, string>();
  private readonly paths = new Map<string, Set<string>>();
  constructor(private readonly work: string, private readonly mirror?: string) {}

  gitDir(repo: string): string | undefined {
    if (!this.mirror) return undefined;
    const [owner, name] = repo.split("/");
    for (const d of [`${this.mirror}/${owner}+${name}/repo`, `${this.mirror}/${owner}/${name}/.git`]) {
      try {
        Deno.statSync(d);
        return d;
      } catch { /* next */ }
    }
    throw new Error(`--mirror ${this.mirror}: no git directory for ${repo}`);
  }

  /** Tags of `repo` (mirror: its refs; online: ls-remote). */
  async tags(repo: string): Promise<string[]> {
    const gitDir = this.gitDir(repo);
    const out = gitDir
      ? await run("git", ["--git-dir", gitDir, "tag"])
      : (await run("git", ["ls-remote", "--tags", "--refs", `https://github.com/${repo}`])).split("\n")
        .map((l) => l.split("refs/tags/")[1] ?? "").join("\n");
    return out.split("\n").map((s) => s.trim()).filter(Boolean);
  }

  /** A directory holding `paths` of `repo` at `ref`. */
  async tree(repo: string, ref: string, paths: string[]): Promise<string> {
    const key = `${repo}@${ref}`;
    let dir = this.made.get(key);
    const have = this.paths.get(key) ?? new Set<string>();
    const missing = paths.filter((p) => !have.has(p));
    if (dir && missing.length === 0) return dir;
    if (!dir) {
      dir = `${this.work}/src/${repo.replace("/", "+")}@${ref}`;
      await Deno.mkdir(dir, { recursive: true });
      this.made.set(key, dir);
      this.paths.set(key, have);
      if (!this.mirror) {
        await run("git", [
          "clone",
          "--quiet",
          "--depth=1",
          "--filter=blob:none",
          "--sparse",
          `--branch=${ref}`,
          `https://github.com/${repo}`,
          dir,
        ]);
      }
    }
    const gitDir = this.gitDir(repo);
    if (gitDir) {
      const tar = await runBytes("git", [
        "--git-dir",
        gitDir,
        "archive",
        "--format=tar",
        ref,
        "--",
        ...missing,
      ]);
      await run("tar", ["-x", "-C", dir], { stdin: tar });
    } else {
      await run("git", ["-C", dir, "sparse-checkout", "add", ...missing]);
    }
    for (const p of missing) have.add(p);
    return dir;
  }
}

// ------------------------------------------------------------------------------------------- rendering

interface Rendered {
  text: string;
  /** Provenance lines for the header. */
  notes: string[];
}

interface Bins {
  helm: string;
  kubectl: string;
  helmVersion: string;
  kubectlVersion: string;
}

async function renderKustomize(s: KustomizeSource, trees: Trees, bins: Bins): Promise<Rendered> {
  const top = s.path.split("/")[0] as string;
  const dir = await trees.tree(s.repo, s.ref, [top]);
  const text = await run(bins.kubectl, ["kustomize", `${dir}/${s.path}`]);
  return {
    text,
    notes: [
      `source: https://github.com/${s.repo} tag ${s.ref}, ${s.path}`,
      `render: kubectl kustomize ${s.path}   (kubectl ${bins.kubectlVersion})`,
    ],
  };
}

async function renderFlux(
  s: FluxSource,
  namespace: string,
  trees: Trees,
  bins: Bins,
  work: string,
): Promise<Rendered> {
  // a copy per install: the bases' kustomization.yaml files are rewritten below
  const dir = `${work}/flux-${crypto.randomUUID()}`;
  await Deno.mkdir(dir);
  await run("cp", ["-r", `${await trees.tree(s.repo, s.ref, ["manifests"])}/manifests`, `${dir}/manifests`]);
  const notes = [
    `source: https://github.com/${s.repo} tag ${s.ref}, manifests/bases/{${s.components.join(",")}} + ` +
    `manifests/install/labels.yaml (what \`flux install\` builds)`,
  ];
  for (const c of s.components) {
    const kfile = `${dir}/manifests/bases/${c}/kustomization.yaml`;
    const k = parseYaml(await Deno.readTextFile(kfile)) as { resources: string[] };
    const url = k.resources.find((r) => r.endsWith(`${c}.deployment.yaml`));
    const m = url && /github\.com\/([^/]+\/[^/]+)\/releases\/download\/([^/]+)\//.exec(url);
    if (!m) throw new Error(`${kfile}: no release deployment.yaml resource`);
    const [, repo = "", wanted = ""] = m;
    const tag = await pickTag(trees, repo, wanted);
    const src = await trees.tree(repo, tag, ["config"]);
    const deployment = await run(bins.kubectl, ["kustomize", `${src}/config/manager`]);
    await Deno.writeTextFile(`${dir}/manifests/bases/${c}/${c}.deployment.yaml`, deployment);
    k.resources = k.resources.filter((r) => !r.startsWith("https://")).concat(`${c}.deployment.yaml`);
    await Deno.writeTextFile(kfile, stringify(k));
    notes.push(
      `  ${c}: ${url.split("/").at(-1)} of ${repo} ${wanted} = kubectl kustomize config/manager at ${tag}` +
        (tag === wanted ? "" : ` (${wanted} is not in the mirror; newest patch of its minor used)`),
    );
  }
  const install = `${dir}/manifests/ksit-install-${namespace}`;
  await Deno.mkdir(install, { recursive: true });
  await Deno.copyFile(`${dir}/manifests/install/labels.yaml`, `${install}/labels.yaml`);
  await Deno.copyFile(`${dir}/manifests/install/namespace.yaml`, `${install}/namespace.yaml`);
  const upstream = parseYaml(await Deno.readTextFile(`${dir}/manifests/install/kustomization.yaml`)) as {
    images?: unknown[];
  };
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    namespace,
    resources: ["namespace.yaml", ...s.components.map((c) => `../bases/${c}`)],
    transformers: ["labels.yaml"],
    ...(upstream.images ? { images: upstream.images } : {}),
  };
  await Deno.writeTextFile(`${install}/kustomization.yaml`, stringify(kustomization));
  const text = await run(bins.kubectl, ["kustomize", install]);
  notes.push(
    `render: kubectl kustomize of {namespace: ${namespace}, resources: [namespace.yaml, ../bases/<component>…], ` +
      `transformers: [labels.yaml]}   (kubectl ${bins.kubectlVersion}); the CLI's container-arg patches ` +
      `(events address, log level) are not applied`,
  );
  return { text, notes };
}

/** `wanted`, or with --mirror the newest tag of the same minor that the mirror has. */
async function pickTag(trees: Trees, repo: string, wanted: string): Promise<string> {
  const tags = await trees.tags(repo);
  if (tags.includes(wanted)) return wanted;
  const minor = /^(v?\d+\.\d+)\./.exec(wanted)?.[1];
  const same = tags.filter((t) => minor && t.startsWith(`${minor}.`) && /^v?\d+\.\d+\.\d+$/.test(t))
    .sort(compareVersions);
  const best = same.filter((t) => compareVersions(t, wanted) <= 0).at(-1);
  if (!best) throw new Error(`${repo}: no tag ${wanted} and no other ${minor}.x`);
  return best;
}

function compareVersions(a: string, b: string): number {
  const n = (s: string) => s.replace(/^[^\d]*/, "").split(/[.-]/).map((x) => Number(x) || 0);
  const [x, y] = [n(a), n(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Helm repository URL → the GitHub repository that tags its charts `<chart>-<version>`. */
const CHART_REPOS: Record<string, string> = {
  "https://dandydeveloper.github.io/charts/": "DandyDeveloper/charts",
  "https://prometheus-community.github.io/helm-charts": "prometheus-community/helm-charts",
  "https://grafana-community.github.io/helm-charts": "grafana-community/helm-charts",
  "https://grafana.github.io/helm-charts": "grafana/helm-charts",
};

function chartRepo(url: string): string | undefined {
  const norm = (u: string) => u.replace(/\/+$/, "");
  return Object.entries(CHART_REPOS).find(([k]) => norm(k) === norm(url))?.[1];
}

interface ChartDependency {
  name: string;
  version: string;
  repository?: string;
}

async function renderHelm(s: HelmSource, namespace: string, trees: Trees, bins: Bins, work: string) {
  const dir = await trees.tree(s.repo, s.ref, [s.chart]);
  const chartDir = `${dir}/${s.chart}`;
  const chart = parseYaml(await Deno.readTextFile(`${chartDir}/Chart.yaml`)) as {
    version: string;
    appVersion?: string;
    dependencies?: ChartDependency[];
  };
  const notes = [
    `source: https://github.com/${s.repo} tag ${s.ref}, chart ${s.chart} (version ${chart.version}` +
    `${chart.appVersion ? `, appVersion ${chart.appVersion}` : ""})`,
  ];
  for (const dep of chart.dependencies ?? []) {
    if (!dep.repository) continue; // a subchart shipped in charts/
    const repo = chartRepo(dep.repository);
    if (!repo) throw new Error(`${s.chart}: no git source known for ${dep.repository}`);
    const tag = await depTag(trees, repo, dep);
    const src = await trees.tree(repo, tag, [`charts/${dep.name}`]);
    await Deno.mkdir(`${chartDir}/charts`, { recursive: true });
    await Deno.remove(`${chartDir}/charts/${dep.name}`, { recursive: true }).catch(() => {});
    await run("cp", ["-r", `${src}/charts/${dep.name}`, `${chartDir}/charts/${dep.name}`]);
    notes.push(`  dependency ${dep.name} ${dep.version}: https://github.com/${repo} tag ${tag}`);
  }
  const valuesFile = `${work}/values-${crypto.randomUUID()}.yaml`;
  await Deno.writeTextFile(valuesFile, stringify(s.values ?? {}));
  const text = await run(bins.helm, [
    "template",
    s.release,
    chartDir,
    "--namespace",
    namespace,
    "-f",
    valuesFile,
  ]);
  notes.push(
    `render: helm template ${s.release} ${s.chart} --namespace ${namespace} -f values.yaml   (helm ${bins.helmVersion})`,
    `values: ${JSON.stringify(s.values ?? {})}`,
  );
  return { text, notes };
}

/** The dependency's tag: `<name>-<version>`, or the newest matching a `x.y.*` range. */
async function depTag(trees: Trees, repo: string, dep: ChartDependency): Promise<string> {
  if (!dep.version.includes("*")) return `${dep.name}-${dep.version}`;
  const prefix = `${dep.name}-${dep.version.replace(/\*.*$/, "")}`;
  const tags = (await trees.tags(repo)).filter((t) => t.startsWith(prefix) && /\d$/.test(t))
    .sort(compareVersions);
  const best = tags.at(-1);
  if (!best) throw new Error(`${repo}: no tag for ${dep.name} ${dep.version}`);
  return best;
}

async function renderFiles(s: FilesSource, trees: Trees): Promise<Rendered> {
  const dir = await trees.tree(s.repo, s.ref, [s.dir]);
  const files: string[] = [];
  for await (const e of Deno.readDir(`${dir}/${s.dir}`)) {
    if (e.isFile && e.name.endsWith(".yaml")) files.push(e.name);
  }
  files.sort();
  const parts = await Promise.all(files.map((f) => Deno.readTextFile(`${dir}/${s.dir}/${f}`)));
  return {
    text: parts.map((p, i) => `# Source: ${s.dir}/${files[i]}\n${p}`).join("\n---\n"),
    notes: [
      `source: https://github.com/${s.repo} tag ${s.ref}, ${s.dir}/*.yaml (committed build output; ` +
      `${s.dir}/setup/ holds only CRDs and the namespace)`,
    ],
  };
}

async function render(
  source: Source,
  namespace: string,
  trees: Trees,
  bins: Bins,
  work: string,
): Promise<Rendered> {
  switch (source.kind) {
    case "kustomize":
      return await renderKustomize(source, trees, bins);
    case "flux":
      return await renderFlux(source, namespace, trees, bins, work);
    case "helm":
      return await renderHelm(source, namespace, trees, bins, work);
    case "files":
      return await renderFiles(source, trees);
  }
}

// ------------------------------------------------------------------------------------------- objects

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

interface Doc {
  obj: Obj;
  /** helm's `# Source: …` line. */
  source?: string;
  derived?: string;
}

function parseDocs(text: string, namespace: string): Doc[] {
  const out: Doc[] = [];
  // YAML 1.1, as kubectl and Helm read manifests: `defaultMode: 0755` is octal, `on` a boolean
  for (const d of parseAllDocuments(text, { version: "1.1" })) {
    if (d.errors.length) throw new Error(`YAML: ${d.errors[0]?.message}`);
    const obj = d.toJS() as Obj | null;
    if (!obj?.kind) continue;
    if (obj.kind.endsWith("List") && Array.isArray((obj as { items?: unknown[] }).items)) continue;
    obj.metadata.namespace ??= namespace;
    const source = /# Source: (.*)/.exec(d.commentBefore ?? "")?.[1]?.trim();
    out.push({ obj, ...(source ? { source } : {}) });
  }
  return out;
}

const MANAGED_BY = "app.kubernetes.io/managed-by";

/**
 * The StatefulSets (or DaemonSet) prometheus-operator makes from a Prometheus, PrometheusAgent or Alertmanager
 * object, as prometheus-operator v0.93.0 names and labels them:
 * - names: pkg/prometheus/common.go `PrefixedName` ("prometheus-" / "prom-agent-" + name) and
 *   `prometheusNameByShard` ("-shard-N" for shards > 0); pkg/alertmanager/statefulset.go `prefixedName`
 *   ("alertmanager-" + name).
 * - labels: pkg/operator/factory.go `UpdateObject` (managed-by, app.kubernetes.io/managed-by), then the
 *   object's own labels, then `operator.prometheus.io/mode`, then the selector labels (`WithSelectorLabels`),
 *   later ones winning (pkg/operator/config.go `Map.Merge`); selector labels from `makeSelectorLabels` in
 *   pkg/prometheus/server/operator.go, pkg/prometheus/agent/operator.go and pkg/alertmanager/operator.go plus
 *   `operator.prometheus.io/shard` (server/agent statefulset.go).
 * - spec: replicas (`ReplicasNumberPtr`, default 1), serviceName prometheus-operated / alertmanager-operated,
 *   podManagementPolicy Parallel, RollingUpdate; the pod template is abridged to its labels and containers.
 */
function deriveOperatorWorkloads(crs: Obj[]): Doc[] {
  const out: Doc[] = [];
  const base = { "managed-by": "prometheus-operator", [MANAGED_BY]: "prometheus-operator" };
  for (const cr of crs) {
    const name = cr.metadata.name;
    const namespace = cr.metadata.namespace;
    const spec = (cr.spec ?? {}) as {
      replicas?: number;
      shards?: number;
      mode?: string;
      image?: string;
      version?: string;
    };
    const replicas = spec.replicas !== undefined && spec.replicas >= 0 ? spec.replicas : 1;
    const crLabels = cr.metadata.labels ?? {};
    const where = `${cr.kind}/${name}`;
    if (cr.kind === "Alertmanager") {
      const selector = {
        "app.kubernetes.io/name": "alertmanager",
        [MANAGED_BY]: "prometheus-operator",
        "app.kubernetes.io/instance": name,
        alertmanager: name,
      };
      out.push(statefulSet(`alertmanager-${name}`, namespace, { ...base, ...crLabels, ...selector }, {
        replicas,
        selector,
        serviceName: "alertmanager-operated",
        container: "alertmanager",
        image: spec.image ?? `quay.io/prometheus/alertmanager:${spec.version ?? "latest"}`,
        derived: `${where} (prometheus-operator ${OPERATOR_REF} pkg/alertmanager/statefulset.go)`,
      }));
      continue;
    }
    const agent = cr.kind === "PrometheusAgent";
    const prefix = agent ? "prom-agent" : "prometheus";
    const mode = agent ? "agent" : "server";
    const selectorBase: Record<string, string> = {
      [MANAGED_BY]: "prometheus-operator",
      "app.kubernetes.io/name": agent ? "prometheus-agent" : "prometheus",
      "app.kubernetes.io/instance": name,
      "operator.prometheus.io/name": name,
      ...(agent ? {} : { prometheus: name }),
    };
    const image = spec.image ?? `quay.io/prometheus/prometheus:${spec.version ?? "latest"}`;
    const file = agent ? "pkg/prometheus/agent" : "pkg/prometheus/server";
    if (agent && spec.mode === "DaemonSet") {
      out.push({
        obj: {
          apiVersion: "apps/v1",
          kind: "DaemonSet",
          metadata: {
            name: `${prefix}-${name}`,
            namespace,
            labels: { ...base, ...crLabels, "operator.prometheus.io/mode": mode, ...selectorBase },
            annotations: { "corpus.ksit.io/derived-from": where },
          },
          spec: {
            selector: { matchLabels: selectorBase },
            template: podTemplate(selectorBase, "prometheus", image),
          },
        },
        derived: `${where} (prometheus-operator ${OPERATOR_REF} ${file}/daemonset.go)`,
      });
      continue;
    }
    const shards = spec.shards && spec.shards > 1 ? spec.shards : 1;
    for (let shard = 0; shard < shards; shard++) {
      const selector = { ...selectorBase, "operator.prometheus.io/shard": String(shard) };
      const stsName = shard === 0 ? `${prefix}-${name}` : `${prefix}-${name}-shard-${shard}`;
      out.push(statefulSet(
        stsName,
        namespace,
        { ...base, ...crLabels, "operator.prometheus.io/mode": mode, ...selector },
        {
          replicas,
          selector,
          serviceName: "prometheus-operated",
          container: "prometheus",
          image,
          derived: `${where} (prometheus-operator ${OPERATOR_REF} ${file}/statefulset.go)`,
        },
      ));
    }
  }
  return out;
}

function podTemplate(labels: Record<string, string>, container: string, image: string) {
  return {
    metadata: { labels },
    spec: {
      containers: [
        { name: container, image },
        { name: "config-reloader", image: "quay.io/prometheus-operator/prometheus-config-reloader" },
      ],
    },
  };
}

function statefulSet(
  name: string,
  namespace: string | undefined,
  labels: Record<string, string>,
  o: {
    replicas: number;
    selector: Record<string, string>;
    serviceName: string;
    container: string;
    image: string;
    derived: string;
  },
): Doc {
  return {
    obj: {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: {
        name,
        namespace,
        labels,
        annotations: { "corpus.ksit.io/derived-from": o.derived.split(" (")[0] as string },
      },
      spec: {
        replicas: o.replicas,
        serviceName: o.serviceName,
        podManagementPolicy: "Parallel",
        updateStrategy: { type: "RollingUpdate" },
        selector: { matchLabels: o.selector },
        template: podTemplate(o.selector, o.container, o.image),
      },
    },
    derived: o.derived,
  };
}

// ------------------------------------------------------------------------------------------- one install

async function renderInstall(
  install: CorpusInstall,
  trees: Trees,
  bins: Bins,
  work: string,
): Promise<string> {
  const notes: string[] = [];
  const all: Doc[] = [];
  for (const { source, namespace } of install.sources) {
    const r = await render(source, namespace, trees, bins, work);
    notes.push(`[${namespace}] ${r.notes[0]}`, ...r.notes.slice(1).map((n) => `  ${n}`));
    all.push(...parseDocs(r.text, namespace));
  }
  const namespaces = new Set(install.namespaces);
  const kept = all.filter((d) => KEEP.has(d.obj.kind) && namespaces.has(d.obj.metadata.namespace ?? ""));
  const dropped = new Map<string, number>();
  for (const d of all) {
    if (kept.includes(d)) continue;
    const what = KEEP.has(d.obj.kind) ? `${d.obj.kind} in ${d.obj.metadata.namespace}` : d.obj.kind;
    dropped.set(what, (dropped.get(what) ?? 0) + 1);
  }
  if (install.derive === "prometheus-operator") {
    const crs = all.filter((d) =>
      d.obj.apiVersion.startsWith("monitoring.coreos.com/") &&
      ["Prometheus", "PrometheusAgent", "Alertmanager"].includes(d.obj.kind)
    ).map((d) => d.obj);
    kept.push(...deriveOperatorWorkloads(crs));
  }
  const header = [
    `KSIT test corpus: ${install.id} — ${install.title}`,
    ...notes,
    `namespaces: ${
      install.namespaces.join(", ")
    } (objects without metadata.namespace get their source's, as ` +
    "`kubectl apply -n` and `helm install -n` do)",
    "kept: the Deployments, StatefulSets, DaemonSets and Services of those namespaces, verbatim; no status " +
    "(nothing ran them)",
    `dropped: ${[...dropped].map(([k, n]) => `${k} ×${n}`).join(", ") || "nothing"}`,
    ...(install.derive
      ? [
        "derived: the workloads prometheus-operator creates from the rendered Prometheus/PrometheusAgent/" +
        `Alertmanager objects, named and labelled as prometheus-operator ${OPERATOR_REF} does (see ` +
        "scripts/corpus.ts deriveOperatorWorkloads); marked with the annotation corpus.ksit.io/derived-from",
      ]
      : []),
    `regenerate: deno run -A scripts/corpus.ts --only ${install.id}   (recipe: tests/fixtures/corpus/index.ts)`,
  ];
  const body = kept.map((d) => {
    const comment = d.derived ? `# Derived from ${d.derived}\n` : d.source ? `# Source: ${d.source}\n` : "";
    // written as YAML 1.1 too, so that 1.1 and 1.2 readers agree (numbers decimal, ambiguous strings quoted)
    return `---\n${comment}${
      stringify(d.obj, { lineWidth: 0, aliasDuplicateObjects: false, version: "1.1" })
    }`;
  }).join("");
  return `${header.map((l) => `# ${l}`).join("\n")}\n${body}`;
}

async function main() {
  const args = parseArgs(Deno.args);
  const bins = await binaries();
  const work = await Deno.makeTempDir({ prefix: "ksit-corpus-" });
  const trees = new Trees(work, args.mirror);
  const installs = args.only ? CORPUS.filter((c) => args.only!.includes(c.id)) : CORPUS;
  if (args.only && installs.length !== args.only.length) {
    throw new Error(`unknown id in --only; known: ${CORPUS.map((c) => c.id).join(", ")}`);
  }
  let differ = 0;
  try {
    for (const install of installs) {
      const text = await renderInstall(install, trees, bins, work);
      const file = `${outDir}/${install.id}.yaml`;
      if (args.check) {
        const old = await Deno.readTextFile(file).catch(() => "");
        // charts with generated secrets (grafana's admin password) change their checksum/* annotations each run
        const stable = (t: string) => t.replace(/(checksum\/[\w.-]+: )[0-9a-f]{64}/g, "$1<sha256>");
        if (stable(old) !== stable(text)) {
          differ++;
          console.log(`differs: ${file}`);
        }
        continue;
      }
      await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(file, text);
      console.log(`${install.id}: ${(text.length / 1024).toFixed(0)} KiB`);
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  if (differ) Deno.exit(1);
}

if (import.meta.main) await main();
