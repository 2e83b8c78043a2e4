import { assert, assertEquals, assertMatch } from "../tests/support/assert.ts";
import { parseIp, refusal, type Resolver, serverPolicy } from "./server_policy.ts";

const dns: Record<string, string[]> = {
  "metadata.google.internal": ["169.254.169.254"],
  "api.prod.example.com": ["10.1.2.3"],
  "rebind.example.com": ["10.1.2.3", "127.0.0.1"],
  "v6.example.com": ["fd00::5"],
};
const resolve: Resolver = (host) => Promise.resolve(dns[host] ?? []);
const url = (host: string) => new URL(`https://${host}:6443`);

Deno.test("parseIp: IPv4, IPv6 (compressed, IPv4 tail), IPv4-mapped IPv6 is IPv4", () => {
  assertEquals([...parseIp("10.0.0.1")!], [10, 0, 0, 1]);
  assertEquals(parseIp("256.0.0.1"), undefined);
  assertEquals(parseIp("::1")?.length, 16);
  assertEquals(parseIp("::1")?.[15], 1);
  assertEquals([...parseIp("::ffff:169.254.169.254")!], [169, 254, 169, 254]);
  assertEquals([...parseIp("[::ffff:a9fe:a9fe]")!], [169, 254, 169, 254]);
  assertEquals(parseIp("fe80::1")?.[0], 0xfe);
  assertEquals(parseIp("example.com"), undefined);
  assertEquals(parseIp("1::2::3"), undefined);
});

Deno.test("server policy: link-local (cloud metadata) is refused by default, by address and by name", async () => {
  const p = serverPolicy({ inCluster: false });
  for (
    const host of ["169.254.169.254", "[fe80::1]", "[::ffff:169.254.169.254]", "metadata.google.internal"]
  ) {
    const why = await refusal(p, url(host), resolve);
    assert(why, host);
    assertMatch(why, /link-local address .* denied by default; allow it with --allowed-servers=/);
  }
  assertEquals(await refusal(p, url("10.0.0.1"), resolve), undefined);
  assertEquals(await refusal(p, url("127.0.0.1"), resolve), undefined, "loopback is fine outside a pod");
  assertEquals(await refusal(p, url("does-not-resolve.example"), resolve), undefined, "the connection fails");
});

Deno.test("server policy: in a pod, loopback and unspecified addresses are refused unless allowed", async () => {
  const p = serverPolicy({ inCluster: true });
  for (const host of ["127.0.0.1", "127.9.9.9", "[::1]", "0.0.0.0", "rebind.example.com"]) {
    const why = await refusal(p, url(host), resolve);
    assert(why, host);
    assertMatch(why, /loopback or unspecified address/);
  }
  const allowed = serverPolicy({ inCluster: true, allowed: ["127.0.0.0/8"] });
  assertEquals(await refusal(allowed, url("127.0.0.1"), resolve), undefined);
  // an allow-list now applies to everything
  assertMatch(
    (await refusal(allowed, url("10.0.0.1"), resolve))!,
    /not in --allowed-servers \(127\.0\.0\.0\/8\)/,
  );
});

Deno.test("server policy: --allowed-servers by CIDR, name and wildcard; --denied-servers always wins", async () => {
  const p = serverPolicy({
    inCluster: false,
    allowed: ["10.0.0.0/8,*.prod.example.com", "fd00::/8"],
    denied: ["10.9.0.0/16", "api.prod.example.com"],
  });
  assertEquals(await refusal(p, url("10.1.0.1"), resolve), undefined);
  assertEquals(await refusal(p, url("[fd00::7]"), resolve), undefined);
  assertEquals(await refusal(p, url("v6.example.com"), resolve), undefined, "resolves into fd00::/8");
  assertMatch(
    (await refusal(p, url("10.9.1.1"), resolve))!,
    /denied by --denied-servers \(10\.9\.0\.0\/16\)/,
  );
  assertMatch((await refusal(p, url("api.prod.example.com"), resolve))!, /denied by --denied-servers/);
  assertMatch((await refusal(p, url("192.168.1.1"), resolve))!, /not in --allowed-servers/);
  // every resolved address must be allowed
  assertMatch(
    (await refusal(p, url("rebind.example.com"), resolve))!,
    /rebind\.example\.com \(10\.1\.2\.3, 127\.0\.0\.1\)/,
  );
  // the default link-local denial holds unless an allow entry names it
  assertMatch((await refusal(p, url("metadata.google.internal"), resolve))!, /not in --allowed-servers/);
});

Deno.test("server policy: malformed entries are errors", () => {
  for (const bad of ["10.0.0.0/33", "not a host", "10.0.0.1/x", "*."]) {
    let err: unknown;
    try {
      serverPolicy({ inCluster: false, allowed: [bad] });
    } catch (e) {
      err = e;
    }
    assert(err instanceof Error, bad);
  }
});
