/**
 * The kubeconfig reader without the yaml package (cli/kubeconfig_yaml.ts) against the yaml package's parse:
 * kubeconfigs as kubectl, the yaml package and people write them, and thousands of random mutations of
 * them. Whatever the reader returns must equal what parse returns; where parse fails, the reader must decline.
 */
import { parse } from "yaml";
import { assert, assertEquals } from "../tests/support/assert.ts";
import { kubeconfigYaml } from "../tests/support/kubeconfig.ts";
import { readKubeconfigYaml } from "./kubeconfig_yaml.ts";

const CERT =
  "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lCQURBS0JnZ3Foa2pPUFFRREFqQWpNU0V3SHdZRFZRUUREQmhyTTNNdGMyVnkK";

/** As kubectl (client-go) writes it: sequences not indented, keys sorted, `{}` for empty maps. */
const KUBECTL = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${CERT}
    server: https://127.0.0.1:6443
  name: kind-kind
- cluster:
    certificate-authority: /home/me/.minikube/ca.crt
    extensions:
    - extension:
        last-update: Mon, 01 Dec 2025 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.34.0
      name: cluster_info
    server: https://192.168.49.2:8443
  name: minikube
- cluster:
    insecure-skip-tls-verify: true
    server: https://10.0.0.1
    tls-server-name: api.internal
  name: lab
contexts:
- context:
    cluster: kind-kind
    user: kind-kind
  name: kind-kind
- context:
    cluster: minikube
    namespace: default
    user: minikube
  name: minikube
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: ${CERT}
    client-key-data: ${CERT}
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - eu-west-1
      - eks
      - get-token
      - --cluster-name
      - prod
      command: aws
      env:
      - name: AWS_PROFILE
        value: prod
      interactiveMode: IfAvailable
      provideClusterInfo: false
- name: oidc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      args:
      - oidc-login
      - get-token
      - --oidc-issuer-url=https://issuer.example
      command: kubectl
      env: null
      interactiveMode: Never
- name: basic
  user:
    password: "p@ss: word # not a comment"
    username: 'admin'
`;

/** Hand-written, with comments, blank lines, indented sequences and items that start on the dash line. */
const HAND = `# my clusters
apiVersion: v1
kind: Config

current-context: prod   # trailing comments are left to the yaml package? no: this line declines
`;

const HAND_SIMPLE = `# my clusters
apiVersion: v1
kind: Config

# the one I use most
current-context: prod
clusters:
  -   name: prod
      cluster:
        server: https://prod.example:6443
        certificate-authority-data: ${CERT}
  - name: empty-server
    cluster:
      server:
contexts:
  - name: prod
    context:
      cluster: prod
      user: prod
      namespace: ~
  -
    name: nested-dash
    context:
      cluster: prod
      user: prod
users:
  - name: prod
    user:
      token: "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl"
      extra: []
  - name: nothing
    user:
`;

const GKE = `apiVersion: v1
clusters: []
contexts: []
current-context: ""
kind: Config
users:
- name: gke
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      installHint: Install gke-gcloud-auth-plugin for use with kubectl by following
        https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin
      provideClusterInfo: true
`;

const fromYamlPackage = [
  kubeconfigYaml({
    name: "cp",
    server: "https://127.0.0.1:6443",
    caPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    user: { token: "abc.def" },
    namespace: "ksit-system",
  }),
  kubeconfigYaml({
    name: "c1",
    server: "https://127.0.0.1:7443",
    caPem: "ca",
    user: { certPem: "cert", keyPem: "key" },
    tlsServerName: "kubernetes",
  }),
  kubeconfigYaml({
    name: "c2",
    server: "https://127.0.0.1:8443",
    caPem: "ca",
    user: { exec: { command: "/usr/bin/get-token", args: ["--audience", "x y"] } },
  }),
];

const fixtures = ["a.yaml", "b.yaml", "refused.yaml", "empty.yaml"].map((f) =>
  Deno.readTextFileSync(new URL(`../tests/golden/kubeconfig/${f}`, import.meta.url))
);

/** yaml's parse, or "error" where it refuses the text. */
function yamlParse(text: string): unknown {
  try {
    return parse(text, { logLevel: "error" });
  } catch {
    return "error";
  }
}

function same(text: string) {
  const fast = readKubeconfigYaml(text);
  if (fast === undefined) return false;
  const slow = yamlParse(text);
  assert(slow !== "error", `the yaml package refuses what the reader read:\n${text}`);
  assertEquals(fast, slow, text);
  return true;
}

Deno.test("kubeconfig_yaml: kubeconfigs as kubectl and the yaml package write them are read as parse reads them", () => {
  for (const text of [KUBECTL, HAND_SIMPLE, ...fromYamlPackage, fixtures[2]!]) {
    assert(same(text), `declined:\n${text}`);
  }
  const kubectl = readKubeconfigYaml(KUBECTL) as { users: { user: { exec?: { args?: string[] } } }[] };
  assertEquals(kubectl.users[1]?.user.exec?.args?.[0], "--region");
});

Deno.test("kubeconfig_yaml: what it does not read is left to the yaml package", () => {
  // flow mappings (a.yaml, b.yaml), a comment after a value, a multi-line scalar, an empty file
  for (const text of [fixtures[0]!, fixtures[1]!, fixtures[3]!, HAND, GKE]) {
    assertEquals(readKubeconfigYaml(text), undefined, text);
  }
  const declined = [
    "a: 1\n",
    "a: 1.5\n",
    "a: -1\n",
    "a: .inf\n",
    "a: &x b\nc: *x\n",
    "a: !!str b\n",
    "a: |\n  b\n",
    "a: >\n  b\n",
    'a: "b\\nc"\n',
    "a: 'it''s'\n",
    "a: b\n  c\n",
    "a: b\na: c\n",
    "a:\tb\n",
    "a: b\r\n",
    "---\na: b\n",
    "- a\n",
    "b\n",
    "  a: b\n",
    "true: b\n",
    "__proto__: b\n",
    "a: [b]\n",
    "a: {b: c}\n",
    "a: b: c\n",
    "a: b #c\n",
    "a:\n- - b\n",
    "? a\n: b\n",
  ];
  for (const text of declined) assertEquals(readKubeconfigYaml(text), undefined, JSON.stringify(text));
});

const MUTATION_CHARS = [
  ":",
  " ",
  "  ",
  "#",
  " #",
  "-",
  "- ",
  "'",
  '"',
  "{",
  "}",
  "[",
  "]",
  "&",
  "*",
  "!",
  "|",
  ">",
  "\t",
  "0",
  "1.5",
  ".",
  "~",
  "\\",
  "?",
  ",",
  "%",
  "@",
  "`",
  "a",
  "\u00a0",
  "\r",
  "\n",
  "\x01",
  "\x7f",
  "\x85",
  "\u2028",
  "\ufeff",
  "\u{1f600}",
  "---",
  ": ",
];
const SCALARS = [
  "true",
  "False",
  "NULL",
  "~",
  "null",
  "123",
  "0x1f",
  "-1",
  "+1",
  ".5",
  "1e3",
  ".inf",
  "-.inf",
  ".nan",
  "yes",
  "no",
  "on",
  "--flag",
  "-flag",
  "---",
  "-",
  "{}",
  "[]",
  "''",
  '""',
  "'a b'",
  '"a: b"',
  "a:b",
  "http://x:1/y",
  "a b",
  "-- x",
  "0o17",
];

function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("kubeconfig_yaml: on mutated kubeconfigs it returns what parse returns, or declines", () => {
  const next = random(4);
  const int = (n: number) => Math.floor(next() * n);
  const corpus = [KUBECTL, HAND_SIMPLE, ...fromYamlPackage, ...fixtures, GKE];
  let read = 0;
  const runs = 6000;
  for (let n = 0; n < runs; n++) {
    let lines = corpus[int(corpus.length)]!.split("\n");
    const mutations = 1 + int(3);
    for (let m = 0; m < mutations; m++) {
      const i = int(lines.length);
      const line = lines[i]!;
      switch (int(6)) {
        case 0: // indentation
          lines[i] = next() < 0.5 ? " ".repeat(1 + int(2)) + line : line.replace(/^ {1,2}/, "");
          break;
        case 1: { // insert
          const at = int(line.length + 1);
          lines[i] = line.slice(0, at) + MUTATION_CHARS[int(MUTATION_CHARS.length)] + line.slice(at);
          break;
        }
        case 2: { // delete
          const at = int(line.length);
          lines[i] = line.slice(0, at) + line.slice(at + 1 + int(3));
          break;
        }
        case 3: // duplicate a line
          lines = [...lines.slice(0, i), line, ...lines.slice(i)];
          break;
        case 4: // drop a line
          lines = [...lines.slice(0, i), ...lines.slice(i + 1)];
          break;
        default: { // another value
          const m = /^(\s*(?:- )?[\w.-]+: )/.exec(line) ?? /^(\s*- )/.exec(line);
          if (m) lines[i] = m[1]! + SCALARS[int(SCALARS.length)]!;
        }
      }
    }
    if (same(lines.join("\n"))) read++;
  }
  assert(read > runs / 10, `only ${read} of ${runs} mutated texts were read`);
});
