/**
 * A free TCP port on a loopback address for a server a test starts.
 *
 * The port is chosen below the kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range),
 * then checked by binding it. A port the kernel hands out for `port: 0` is an ephemeral one: between our
 * closing it and the server binding it, any outgoing connection on the machine (kwok, the controllers,
 * the API clients of a test running in parallel) may take it as its source port, and the server then fails
 * with "address already in use" (seen in CI: kube-controller-manager). Ports below the range are never
 * taken that way; only another test picking the same port at random could, which the per-process record
 * and the random start make unlikely.
 */
export function freePort(hostname = "127.0.0.1"): number {
  const [low, high] = portWindow();
  if (high > low) {
    const span = high - low;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < 200; i++) {
      const port = low + (start + i * 7919) % span;
      if (handedOut.has(port) || FETCH_BLOCKED.has(port)) continue;
      if (bindable(hostname, port)) {
        handedOut.add(port);
        return port;
      }
    }
  }
  // no room below the ephemeral range (a tuned machine): the kernel's choice
  const listener = Deno.listen({ hostname, port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

const handedOut = new Set<number>();
/**
 * Ports in the window that fetch refuses to connect to ("bad ports" of the Fetch standard; Deno: "Requests to
 * port 10080 are blocked"): a server there cannot be reached by the tests' own fetch (seen: a bench run's API
 * server never got ready).
 */
const FETCH_BLOCKED = new Set([10080]);
let window: [number, number] | undefined;

/** [low, high) of ports to choose from: 10000 up to the start of the ephemeral range. */
function portWindow(): [number, number] {
  if (window) return window;
  let ephemeralLow = 32768;
  try {
    const text = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range");
    const first = Number(text.trim().split(/\s+/)[0]);
    if (Number.isInteger(first) && first > 0) ephemeralLow = first;
  } catch {
    // not Linux, or /proc not readable: the IANA default start of the dynamic range
    ephemeralLow = 49152;
  }
  window = [10000, Math.max(10000, ephemeralLow)];
  return window;
}

function bindable(hostname: string, port: number): boolean {
  try {
    Deno.listen({ hostname, port }).close();
    return true;
  } catch {
    return false;
  }
}
