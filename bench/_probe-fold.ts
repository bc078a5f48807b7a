import { aggregateMinuteRows } from '@switchboard/warehouse';
import { QUEUE_DIMENSIONS, AGGREGATE_COLUMNS } from '@switchboard/kpi';
import { eventStream, estimateEventsPerArrival } from '@switchboard/simulator';
import { queueRows } from '../packages/warehouse/src/kpi-writer';
const base = { seed: 'write-path', tenantId: 'bench', queueCount: 5, warmStart: true, intraday: new Array<number>(24).fill(1), priorities: true };
const arrivalsPerHour = (20000 * 3600) / estimateEventsPerArrival(base);
const start = Date.now() - 3_600_000;
const all = [];
for (const e of eventStream({ ...base, start, durationMs: Infinity, arrivalsPerHour })) { if (all.length >= 150000) break; all.push(e); }
const batches = [];
for (let i = 0; i < all.length; i += 18750) batches.push(all.slice(i, i + 18750));
const rows0 = aggregateMinuteRows(batches[3]!);
const stateOnly = rows0.filter((r) => { const m = r as any; return AGGREGATE_COLUMNS.every((c) => c.name.startsWith('state_') || c.name === 'staffed_ms_by_team' || m.measures[c.name] === 0 || (m.measures[c.name] instanceof Map && m.measures[c.name].size === 0)); }).length;
console.log('rows', rows0.length, 'state-only rows', stateOnly);
for (let round = 0; round < 3; round++) {
  let tf = 0, tm = 0, ta = 0;
  for (const b of batches) {
    let t0 = performance.now();
    const rows = aggregateMinuteRows(b);
    ta += performance.now() - t0;
    t0 = performance.now();
    const q1 = aggregateMinuteRows(b, QUEUE_DIMENSIONS);
    tf += performance.now() - t0;
    t0 = performance.now();
    const q2 = queueRows(rows);
    tm += performance.now() - t0;
    if (round === 0 && b === batches[0]) console.log('queue rows fold/merge', q1.length, q2.length);
  }
  console.log(`round ${round}: agent fold ${ta.toFixed(0)} ms, queue fold ${tf.toFixed(0)} ms, queue merge ${tm.toFixed(0)} ms`);
}
