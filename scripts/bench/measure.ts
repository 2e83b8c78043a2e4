/** Measuring helpers of the benchmark: Prometheus text, /proc of a process, percentiles. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (the subset kube-apiserver writes). */
export function parseProm(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    }
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}

/** `apiserver_request_total` summed by a key of its labels. */
export function requestTotals(
  samples: Sample[],
  key: (l: Record<string, string>) => string,
): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== "apiserver_request_total") continue;
    const k = key(s.labels);
    m.set(k, (m.get(k) ?? 0) + s.value);
  }
  return m;
}

export function sumMetric(samples: Sample[], name: string, filter: (l: Record<string, string>) => boolean) {
  return samples.filter((s) => s.name === name && filter(s.labels)).reduce((a, s) => a + s.value, 0);
}

/** `after - before` per key (keys of both). */
export function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const d = new Map<string, number>();
  for (const [k, v] of after) d.set(k, v - (before.get(k) ?? 0));
  return d;
}

export function addInto(into: Map<string, number>, from: Map<string, number>, scale = 1) {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v * scale);
}

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86_64

export interface ProcStat {
  /** Peak resident set (VmHWM), KiB. */
  hwmKiB: number;
  rssKiB: number;
  /** utime + stime, seconds. */
  cpuS: number;
  threads: number;
  fds: number;
}

export function procStat(pid: number): ProcStat | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // fields after the ")" of comm: state is field 3; utime 14, stime 15 (1-based)
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    let fds = 0;
    try {
      for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) fds++;
    } catch { /* gone */ }
    return {
      hwmKiB: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0),
      rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0),
      cpuS: (utime + stime) / CLK_TCK,
      threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0),
      fds,
    };
  } catch {
    return undefined;
  }
}

/** Nearest-rank percentile of `xs` (p in 0..100); undefined when empty. */
export function percentile(xs: number[], p: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1];
}

export function median(xs: number[]): number | undefined {
  return percentile(xs, 50);
}

/** "2m", "20s", "1500ms", "90" (seconds) → milliseconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`bad duration ${s}: use e.g. 20s, 2m`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return Math.round(n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[unit]!);
}
