// `npm run bench -- idle`: what `npm start` costs the machine when little or nothing happens.
// Runs single-node mode as `npm start` does (its own process, the built-in simulator, the live
// table rendered every 5 s into the void), on a state directory and topics of its own, and
// reads the process's CPU time from /proc (every thread: JavaScript, ClickHouse, GC, I/O):
//   A  the simulator at BENCH_IDLE_EPS events/s (300, npm start's default)
//   B  the simulator off: nothing arrives
// alternating A B A B (BENCH_IDLE_ROUNDS rounds of BENCH_IDLE_WINDOW_S seconds each, after a
// warm-up), each round a fresh process. Prints cores per round, the medians and the load.
// BENCH_IDLE_VARIANTS, a JSON array of { "flags": [...], "env": {...} }, compares node flags or
// settings side by side: every round runs each variant in turn (A only when BENCH_IDLE_REST=0).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_FLAGS, type NodeVariant, cpuByThread, variantsFromEnv, cpuSeconds, freePort, load, peakRssMiB, percentile, sleep, topThreads } from './proc';

const EPS = Number(process.env.BENCH_IDLE_EPS ?? 300);
const ROUNDS = Number(process.env.BENCH_IDLE_ROUNDS ?? 2);
const WINDOW_S = Number(process.env.BENCH_IDLE_WINDOW_S ?? 60);
const WARMUP_S = Number(process.env.BENCH_IDLE_WARMUP_S ?? 30);
const REST = process.env.BENCH_IDLE_REST !== '0';
const VARIANTS = variantsFromEnv('BENCH_IDLE_VARIANTS');

async function startNode(eps: number, tag: string, variant: NodeVariant): Promise<{ child: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-idle-'));
  const port = await freePort();
  // npm start's node, with npm start's V8 flags (scripts/run.mjs)
  const child = spawn(process.execPath, [...(variant.flags ?? NODE_FLAGS), '--import', 'tsx', 'services/single-node/src/main.ts'], {
    env: {
      ...process.env, SWITCHBOARD_STATE: dir, PORT: String(port), SIMULATOR_EPS: String(eps), LIVE_TABLE: '1',
      KAFKA_TOPIC_PREFIX: `bench-idle-${tag}-${Date.now()}-`, LOG_LEVEL: 'warn', ...variant.env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error('single-node did not become ready in 180 s');
    if (child.exitCode !== null) throw new Error(`single-node exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    await sleep(500);
  }
  return { child, dir };
}

async function round(eps: number, tag: string, variant: NodeVariant): Promise<{ cores: number; rss: number; threads: string }> {
  const { child, dir } = await startNode(eps, tag, variant);
  await sleep(WARMUP_S * 1000);
  const c0 = cpuSeconds(child.pid);
  const th0 = cpuByThread(child.pid);
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const cores = (cpuSeconds(child.pid) - c0) / ((performance.now() - t0) / 1000);
  const threads = topThreads(th0, cpuByThread(child.pid), 8);
  const rss = peakRssMiB(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return { cores, rss, threads };
}

export async function runIdle(): Promise<void> {
  console.log(`idle bench: ${ROUNDS} rounds of A (${EPS} events/s)${REST ? ' and B (nothing arrives)' : ''}, ${WINDOW_S} s measured after ${WARMUP_S} s; load ${load().join(' / ')}`);
  const a: number[][] = VARIANTS.map(() => []);
  const b: number[][] = VARIANTS.map(() => []);
  const name = (v: number) => (VARIANTS.length > 1 ? ` variant ${v + 1} ${JSON.stringify(VARIANTS[v])}` : '');
  for (let i = 0; i < ROUNDS; i++) {
    for (let v = 0; v < VARIANTS.length; v++) {
      const ra = await round(EPS, 'a', VARIANTS[v]!);
      a[v]!.push(ra.cores);
      console.log(`  A #${i + 1}${name(v)}  ${ra.cores.toFixed(3)} cores  peak RSS ${ra.rss.toFixed(0)} MiB  load ${load().join(' / ')}\n        cpu s by thread: ${ra.threads}`);
      if (!REST) continue;
      const rb = await round(0, 'b', VARIANTS[v]!);
      b[v]!.push(rb.cores);
      console.log(`  B #${i + 1}${name(v)}  ${rb.cores.toFixed(3)} cores  peak RSS ${rb.rss.toFixed(0)} MiB  load ${load().join(' / ')}\n        cpu s by thread: ${rb.threads}`);
    }
  }
  const med = (xs: number[]) => (xs.length ? +percentile(xs, 50).toFixed(3) : null);
  const report = VARIANTS.map((variant, v) => ({
    ...(VARIANTS.length > 1 ? { variant } : {}), events_per_s: EPS, cores_at_rate_median: med(a[v]!), cores_idle_median: med(b[v]!),
  }));
  console.log(JSON.stringify({ runs: report, load: load() }));
}
