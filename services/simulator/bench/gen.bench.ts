// Pure generation throughput (no sink, no pacing). Not a test — run it by hand:
//   npx tsx services/simulator/bench/gen.bench.ts                      # the standard scenarios
//   npx tsx services/simulator/bench/gen.bench.ts <queues> <arrivals/h> [sim hours]
// Events are streamed and dropped, as in live mode. Setup (building the center, and for
// warm starts the in-flight contacts) is timed apart from generation.

import { Engine, generateEvents } from '../src/index';
import type { GeneratorOptions } from '../src/index';

const HOUR = 3_600_000;
const start = Date.UTC(2026, 0, 5);
const FLAT = new Array<number>(24).fill(1);

function run(label: string, opts: Omit<GeneratorOptions, 'seed' | 'start'>): void {
  const t0 = performance.now();
  const engine = new Engine({ seed: 1, start, ...opts });
  const t1 = performance.now();
  let n = 0;
  let chars = 0;
  for (let e = engine.next(); e !== undefined; e = engine.next()) {
    n++;
    chars += e.event_id.length; // touch every event
  }
  const t2 = performance.now();
  const { agents } = engine.stats();
  const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
  const perSec = Math.round((n / (t2 - t1)) * 1000).toLocaleString('en-US');
  console.log(
    `${label.padEnd(46)} setup ${((t1 - t0) / 1000).toFixed(2).padStart(5)} s  ${String(n).padStart(9)} events in ` +
      `${((t2 - t1) / 1000).toFixed(2).padStart(5)} s = ${perSec.padStart(9)} events/s  (${agents} agents, rss ${rss} MB${chars > 0 ? '' : '?'})`,
  );
}

const [qArg, aphArg, hArg] = process.argv.slice(2);
if (qArg) {
  const hours = Number(hArg ?? 1);
  run(`${qArg} queues, ${aphArg ?? 10_000}/h flat, ${hours} h, warm`, {
    durationMs: hours * HOUR, queueCount: Number(qArg), arrivalsPerHour: Number(aphArg ?? 10_000), intraday: FLAT, warmStart: true,
  });
} else {
  generateEvents({ seed: 0, start, durationMs: HOUR, arrivalsPerHour: 2_000 }); // JIT warm-up
  run('5 queues, 600/h, 1 simulated day', { durationMs: 24 * HOUR, arrivalsPerHour: 600 });
  run('5 queues, 20k/h, 1 simulated day', { durationMs: 24 * HOUR, arrivalsPerHour: 20_000 });
  run('50 queues, 100k/h, 2 simulated h, warm', { durationMs: 2 * HOUR, queueCount: 50, arrivalsPerHour: 100_000, warmStart: true });
  // the live-mode scale: about 20k events per simulated second
  run('50 queues, 7.4M/h flat (≈20k ev/s), 2 min, warm', {
    durationMs: 2 * 60_000, queueCount: 50, arrivalsPerHour: 7_400_000, intraday: FLAT, warmStart: true,
  });
}
