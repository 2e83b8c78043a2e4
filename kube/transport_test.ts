/**
 * `readBounded` on real fetch responses from a local server: bodies of declared length and chunked bodies come
 * back byte for byte; more than the bound fails with ResponseTooLargeError, and a chunked body is not read on.
 */
import { assert, assertEquals, assertRejects } from "../tests/support/assert.ts";
import { eventually } from "../tests/support/poll.ts";
import { ResponseTooLargeError } from "./errors.ts";
import { readBounded } from "./transport.ts";

/** `n` bytes of a pattern that shows a misplaced or missing chunk. */
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 10)) & 0xff);

interface Served {
  url: string;
  /** Paths whose body the server saw cancelled (the client went away), with the bytes it had sent by then. */
  cancelled: Map<string, number>;
  close(): Promise<void>;
}

/** `/declared/<n>`: n bytes with a Content-Length; `/chunked/<n>`: n bytes in 1,000-byte chunks, no length. */
function serve(): Served {
  const cancelled = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    const [, kind, n] = path.split("/");
    const body = bytes(Number(n));
    if (kind === "declared") {
      return new Response(body, { headers: { "content-length": String(body.length) } });
    }
    let at = 0;
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(ctl) {
          if (at >= body.length) return ctl.close();
          const part = body.subarray(at, at + 1000);
          at += part.length;
          ctl.enqueue(part);
        },
        cancel() {
          cancelled.set(path, at);
        },
      }, { highWaterMark: 0 }),
    );
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, cancelled, close: () => server.shutdown() };
}

Deno.test("readBounded: declared-length and chunked bodies come back byte for byte", async () => {
  const s = serve();
  try {
    for (const n of [0, 1, 15_000, 16_384, 100_003, 1_000_000]) {
      for (const kind of ["declared", "chunked"]) {
        const res = await fetch(`${s.url}/${kind}/${n}`);
        if (kind === "chunked") assertEquals(res.headers.get("content-length"), null);
        const got = await readBounded(res, 1_000_000, "test");
        assertEquals(got.length, n, `${kind} ${n}`);
        assertEquals(got, bytes(n), `${kind} ${n}: bytes differ`);
      }
    }
  } finally {
    await s.close();
  }
});

Deno.test("readBounded: more than the bound fails, and a chunked body is not read on", async () => {
  const s = serve();
  try {
    const declared = await fetch(`${s.url}/declared/200000`);
    const e1 = await assertRejects(() => readBounded(declared, 100_000, "declared"), /larger than/);
    assert(e1 instanceof ResponseTooLargeError, String(e1));
    const chunked = await fetch(`${s.url}/chunked/50000000`);
    const e2 = await assertRejects(() => readBounded(chunked, 100_000, "chunked"), /larger than/);
    assert(e2 instanceof ResponseTooLargeError, String(e2));
    // the reader was cancelled at the bound, so the connection goes and the server's body is cancelled long
    // before its 50 MB (what the socket buffers took in between is all it sent)
    const at = await eventually(() => s.cancelled.get("/chunked/50000000"), {
      timeoutMs: 10_000,
      what: "the server's body cancelled",
    });
    assert(at < 20_000_000, `the server sent ${at} bytes before the client went`);
  } finally {
    await s.close();
  }
});
