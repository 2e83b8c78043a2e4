/**
 * The V8 flags kubectl-ksit runs with: baked into the binaries (`deno compile`, deploy/Dockerfile), passed by the
 * launcher (`deno task install`), and given to `serve` by the bench, the tests and the quickstart, so that what
 * is measured is what ships. `deno compile`d binaries take V8 flags only at compile time, and V8 freezes its flags
 * once it runs (node:v8 `setFlagsFromString` changes nothing in Deno), so this cannot be a `serve` flag.
 *
 * `--heap-growing-percent=25`: after a collection V8 lets the heap grow to 1.25× what is live instead of its own,
 * larger factor. `serve` with 10,000 watches judges in bursts, and the default left hundreds of MiB of garbage
 * between collections. N = 1000 watch, one run each (docs/benchmarks.md, "Memory"): steady RSS 753 → 619 MiB,
 * peak 1075 → 759 MiB, first judgement 21.2 → 22.1 s, detection p50 287 → 323 ms and max 1520 → 1475 ms,
 * steady CPU 6.4 → 5.7 s/min, CPU of the whole run +22 % (more collections while the caches fill). V8's
 * `--optimize-for-size` went lower (702 / 585 MiB) at 2.5× the CPU and twice the detection time: not taken.
 */
export const V8_FLAGS: readonly string[] = ["--heap-growing-percent=25"];

/** The `deno run` / `deno compile` argument. */
export const V8_FLAGS_ARG = `--v8-flags=${V8_FLAGS.join(",")}`;
