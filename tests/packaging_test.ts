/**
 * What the release ships, checked without building it: the licence (Apache-2.0, as the upstream KubeStellar
 * project) and where each distribution carries it — the LICENSE file, the Helm chart (Artifact Hub's
 * `artifacthub.io/license` annotation: Chart.yaml v2 has no licence field), the krew manifest (no licence field
 * either: krew wants LICENSE inside each archive, extracted by `files`), the release archives and the
 * container image — and that the image build copies every source directory.
 */
import { parse } from "yaml";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";

const root = new URL("../", import.meta.url).pathname;
const read = (path: string) => Deno.readTextFileSync(`${root}${path}`);

Deno.test("LICENSE: the Apache License 2.0, complete", () => {
  const text = read("LICENSE");
  assertMatch(
    text,
    /^\s*Apache License\n\s*Version 2\.0, January 2004\n\s*http:\/\/www\.apache\.org\/licenses\/\n/,
  );
  for (let section = 1; section <= 9; section++) {
    assertMatch(text, new RegExp(`^\\s*${section}\\. [A-Z]`, "m"), `section ${section}`);
  }
  assertStringIncludes(text, "END OF TERMS AND CONDITIONS");
  assertStringIncludes(text, "APPENDIX: How to apply the Apache License to your work.");
});

Deno.test("Helm chart: licence annotation read by Artifact Hub", () => {
  const chart = parse(read("deploy/helm/ksit/Chart.yaml")) as { annotations?: Record<string, string> };
  assertEquals(chart.annotations?.["artifacthub.io/license"], "Apache-2.0");
});

Deno.test("krew manifest: every platform extracts LICENSE next to the binary", () => {
  const manifest = parse(read("deploy/krew/ksit.yaml")) as {
    spec: { platforms: { bin: string; files?: { from: string; to: string }[] }[] };
  };
  assert(manifest.spec.platforms.length > 0);
  for (const p of manifest.spec.platforms) {
    // with `files` set krew extracts only what is listed: the binary must be there too
    assertEquals(p.files, [{ from: p.bin, to: "." }, { from: "LICENSE", to: "." }], p.bin);
  }
});

Deno.test("release workflow packs LICENSE into every archive; the image carries it", () => {
  const release = read(".github/workflows/release.yml");
  assertStringIncludes(release, "cp ../LICENSE LICENSE");
  assertMatch(release, /tar czf "kubectl-ksit-\$\{target\}\.tar\.gz" kubectl-ksit LICENSE/);
  assertMatch(release, /zip -q "kubectl-ksit-\$\{target\}\.zip" kubectl-ksit\.exe LICENSE/);
  const dockerfile = read("deploy/Dockerfile");
  assertStringIncludes(dockerfile, 'org.opencontainers.image.licenses="Apache-2.0"');
  assertStringIncludes(dockerfile, "COPY LICENSE ");
});

Deno.test("Dockerfile copies every source directory that `deno task check` checks", () => {
  const deno = JSON.parse(read("deno.json")) as { tasks: Record<string, string> };
  const dirs = deno.tasks.check!.split(/\s+/).slice(2).filter((d) =>
    !["tests", "scripts", "main.ts"].includes(d)
  );
  const dockerfile = read("deploy/Dockerfile");
  for (const d of dirs) assertStringIncludes(dockerfile, `COPY ${d} ./${d}\n`, d);
});
