// Helpers every bench shares: processes read from /proc, ports, percentiles, the load average.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';

/**
 * The V8 flags every service process runs with, as npm start (scripts/run.mjs) and the image
 * (deploy/docker/Dockerfile) run them (docs/operations.md, "Node's heap"): a 64 MiB young
 * generation, the collector on the main thread only, and old-space marking started by how full
 * old space is. test/node-flags.test.ts keeps the three in step.
 */
export const NODE_FLAGS = ['--max-semi-space-size=64', '--single-threaded-gc', '--incremental-marking-soft-trigger=80', '--incremental-marking-hard-trigger=95'] as const;

/** A service process's node flags (NODE_FLAGS when absent) and extra environment, to compare side by side. */
export type NodeVariant = { flags?: string[]; env?: Record<string, string> };

/** The variants a bench compares: the JSON array of NodeVariant in `name`, or the one default. */
export const variantsFromEnv = (name: string): NodeVariant[] => (process.env[name] ? (JSON.parse(process.env[name]!) as NodeVariant[]) : [{}]);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The p-th percentile (nearest rank) of some figures. */
export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};

/** A TCP port free on 127.0.0.1 right now. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

/** The machine's 1, 5 and 15-minute load averages, two decimals. */
export const load = () => loadavg().map((x) => +x.toFixed(2));

/** Peak resident set (VmHWM) of a live process, in MiB. */
export function peakRssMiB(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system) of each live thread of a process, with its id and name. */
export function threadCpuSeconds(pid: number | undefined): { tid: number; name: string; s: number }[] {
  const out: { tid: number; name: string; s: number }[] = [];
  if (!pid) return out;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // the process is gone
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out.push({ tid: Number(tid), name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), s: (Number(f[11]) + Number(f[12])) / 100 });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** CPU seconds by thread name (digits dropped: one entry per pool), live threads only. */
export function cpuByThread(pid: number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of threadCpuSeconds(pid)) {
    const name = t.name.replace(/[\d:/_-]+$/, '').replace(/\d+/g, '#');
    out[name] = (out[name] ?? 0) + t.s;
  }
  return out;
}

/** The threads that used the most CPU between two samples, e.g. "rdk:broker 3.1 s". */
export function topThreads(before: Record<string, number>, after: Record<string, number>, n = 6): string {
  return Object.entries(after)
    .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ');
}

/**
 * The q-quantile (0–1) of a Prometheus histogram's observations between two scrapes, as the
 * upper bound of the bucket it falls in (`le`; Infinity past the last bound), from the
 * cumulative `<name>_bucket{le="…"}` counts of each scrape. NaN when nothing was observed.
 */
export function histogramQuantile(before: Map<string, number>, after: Map<string, number>, name: string, q: number): number {
  const buckets: { le: number; n: number }[] = [];
  for (const [series, v] of after) {
    const m = series.startsWith(`${name}_bucket{`) ? /le="([^"]+)"/.exec(series) : null;
    if (m) buckets.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), n: v - (before.get(series) ?? 0) });
  }
  buckets.sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.n ?? 0;
  if (!(total > 0)) return NaN;
  return buckets.find((b) => b.n >= q * total)!.le;
}
