/**
 * Which API server addresses `serve` may connect to on behalf of a kubeconfig Secret (server-side request
 * forgery guard). A Secret's author chooses `server:`; without a policy the controller would send requests
 * from inside the cluster to any address, such as the cloud metadata service or its own pod's ports.
 *
 * - `--denied-servers`: addresses never contacted (always wins).
 * - `--allowed-servers`: when given, only these are contacted.
 * - Denied by default: link-local addresses (169.254.0.0/16 — cloud metadata —, fe80::/10) everywhere,
 *   and, when `serve` runs in a pod, loopback (127.0.0.0/8, ::1) and unspecified (0.0.0.0, ::) addresses:
 *   there they can only mean the controller's own pod. An `--allowed-servers` entry that matches lifts a
 *   default denial (e.g. `--allowed-servers=127.0.0.0/8` for a test setup).
 *
 * Entries: an IPv4/IPv6 address or CIDR (`10.0.0.0/8`, `fd00::/8`), a host name (`api.example.com`) or a
 * wildcard (`*.example.com`). Host names are resolved (A and AAAA) and every address must pass; a name that
 * does not resolve is left to the connection to fail. DNS can change between this check and the connection;
 * the check is repeated at every probe of the target (README, "Security model").
 */

export interface ServerPolicyOptions {
  allowed?: readonly string[];
  denied?: readonly string[];
  /** `serve` runs in a pod (loopback and unspecified addresses are denied by default). */
  inCluster: boolean;
}

type Entry =
  | { kind: "cidr"; text: string; bytes: Uint8Array; bits: number }
  | { kind: "name"; text: string; name: string }
  | { kind: "wildcard"; text: string; suffix: string };

export interface ServerPolicy {
  allowed: Entry[];
  denied: Entry[];
  defaults: Entry[];
}

const ALWAYS_DENIED = ["169.254.0.0/16", "fe80::/10"];
const IN_CLUSTER_DENIED = ["127.0.0.0/8", "::1/128", "0.0.0.0/32", "::/128"];

/** Parses the flag values (comma-separated lists); throws on a malformed entry. */
export function serverPolicy(opts: ServerPolicyOptions): ServerPolicy {
  const list = (values: readonly string[] = []) =>
    values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean).map(parseEntry);
  return {
    allowed: list(opts.allowed),
    denied: list(opts.denied),
    defaults: [...ALWAYS_DENIED, ...(opts.inCluster ? IN_CLUSTER_DENIED : [])].map(parseEntry),
  };
}

/** The policy when nothing is configured out of a pod: only link-local addresses are refused. */
export const DEFAULT_POLICY: ServerPolicy = serverPolicy({ inCluster: false });

function parseEntry(text: string): Entry {
  const [addr = "", bitsText] = text.split("/");
  const bytes = parseIp(addr);
  if (bytes) {
    const max = bytes.length * 8;
    const bits = bitsText === undefined ? max : Number(bitsText);
    if (!Number.isInteger(bits) || bits < 0 || bits > max) throw new Error(`bad CIDR "${text}"`);
    return { kind: "cidr", text, bytes, bits };
  }
  if (bitsText !== undefined) throw new Error(`bad CIDR "${text}"`);
  const name = text.toLowerCase().replace(/\.$/, "");
  if (name.startsWith("*.") && isHostName(name.slice(2))) {
    return { kind: "wildcard", text, suffix: name.slice(1) };
  }
  if (isHostName(name)) return { kind: "name", text, name };
  throw new Error(`"${text}" is neither an address, a CIDR nor a host name`);
}

function isHostName(s: string): boolean {
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s) && s.length <= 253;
}

/** IPv4 or IPv6 text → bytes (IPv4-mapped IPv6 → its IPv4 bytes), or undefined. */
export function parseIp(text: string): Uint8Array | undefined {
  const s = text.replace(/^\[|\]$/g, "");
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((n) => n <= 255) ? Uint8Array.from(b) : undefined;
  }
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let head = s;
  let tail4: number[] = [];
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    const v = parseIp(s.slice(lastColon + 1));
    if (!v || v.length !== 4) return undefined;
    tail4 = [...v];
    head = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const left = groups(halves[0] ?? "");
  const right = halves.length === 2 ? groups(halves[1] ?? "") : [];
  const fill = halves.length === 2 ? 8 - left.length - right.length : 0;
  if (fill < 0 || (halves.length === 1 && left.length !== 8)) return undefined;
  const all = [...left, ...Array(fill).fill("0"), ...right];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  if (tail4.length) out.set(tail4, 12);
  // ::ffff:a.b.c.d is IPv4 as far as the network is concerned
  if (out.slice(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff) return out.slice(12);
  return out;
}

function inCidr(ip: Uint8Array, e: Extract<Entry, { kind: "cidr" }>): boolean {
  if (ip.length !== e.bytes.length) return false;
  for (let bit = 0; bit < e.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if (((ip[bit >> 3] ?? 0) & mask) !== ((e.bytes[bit >> 3] ?? 0) & mask)) return false;
  }
  return true;
}

function matches(e: Entry, host: string, ips: readonly Uint8Array[]): boolean {
  if (e.kind === "name") return host === e.name;
  if (e.kind === "wildcard") return host.endsWith(e.suffix) && host.length > e.suffix.length;
  return ips.length > 0 && ips.some((ip) => inCidr(ip, e));
}

/** Resolves a host name to its addresses (A and AAAA); [] when it does not resolve. */
export type Resolver = (host: string) => Promise<string[]>;

export const dnsResolver: Resolver = async (host) => {
  const signal = AbortSignal.timeout(2_000);
  const [a, aaaa] = await Promise.all([
    Deno.resolveDns(host, "A", { signal }).catch(() => [] as string[]),
    Deno.resolveDns(host, "AAAA", { signal }).catch(() => [] as string[]),
  ]);
  return [...a, ...aaaa];
};

/**
 * Why `url` may not be contacted under `policy`, in words for the target's status (flag names included), or
 * undefined when it may. `what` names the URL's role ("server", "proxy-url").
 */
export async function refusal(
  policy: ServerPolicy,
  url: URL,
  resolve: Resolver,
  what = "server",
): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase().replace(/\.$/, "");
  const literal = parseIp(host);
  const texts = literal ? [host] : await resolve(host);
  const ips = texts.map(parseIp).filter((b): b is Uint8Array => b !== undefined);
  const one = (ip: Uint8Array) => [ip];
  const label = literal ? host : `${host} (${texts.join(", ") || "does not resolve"})`;
  for (const e of policy.denied) {
    if (matches(e, host, ips)) return `${what} ${label} is denied by --denied-servers (${e.text})`;
  }
  if (policy.allowed.length > 0) {
    // a name entry allows the name; address entries must cover every address it resolves to
    const byName = policy.allowed.some((e) => e.kind !== "cidr" && matches(e, host, ips));
    const byAddress = ips.length > 0 &&
      ips.every((ip) => policy.allowed.some((e) => matches(e, host, one(ip))));
    if (!byName && !byAddress) {
      return `${what} ${label} is not in --allowed-servers (${policy.allowed.map((e) => e.text).join(", ")})`;
    }
    if (byName) return undefined;
  }
  for (const ip of ips) {
    const d = policy.defaults.find((e) => matches(e, host, one(ip)));
    if (!d) continue;
    if (policy.allowed.some((e) => matches(e, host, one(ip)))) continue;
    const kind = d.text.startsWith("169.254") || d.text.startsWith("fe80")
      ? "a link-local address (such as the cloud metadata service)"
      : "a loopback or unspecified address (in a pod: the controller's own pod)";
    return `${what} ${label} is ${kind}, denied by default; allow it with --allowed-servers=${d.text}`;
  }
  return undefined;
}
