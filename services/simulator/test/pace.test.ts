import { describe, expect, it } from 'vitest';
import type { ContactEvent } from '@switchboard/events';
import { createSimulator } from '../src/index';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const total = (batches: ContactEvent[][]) => batches.reduce((n, b) => n + b.length, 0);

describe('createSimulator (live pacing)', () => {
  it('delivers roughly the requested rate, anchored at the wall clock; stop() flushes everything', async () => {
    const batches: ContactEvent[][] = [];
    const target = 4_000;
    const sim = createSimulator({ eventsPerSecond: target, seed: 1, batchSize: 500, flushIntervalMs: 50 }, async (b) => {
      batches.push(b);
    });
    expect(sim.stats().state).toBe('idle');
    await sim.start();
    const t0 = Date.now();
    expect(sim.stats().state).toBe('running');
    await sleep(1_500);
    const during = sim.stats();
    expect(during.lagMs).toBeLessThan(500);
    await sim.stop();
    const t1 = Date.now();

    const stats = sim.stats();
    const n = total(batches);
    expect(stats.state).toBe('stopped');
    expect(stats.eventsGenerated).toBe(n);
    expect(stats.eventsDelivered).toBe(n);
    expect(stats.batchesInFlight).toBe(0);
    expect(stats.eventsDropped).toBe(0);
    // a loose band: this is a behaviour check, not a timing benchmark
    const rate = (n * 1000) / (t1 - t0);
    expect(rate).toBeGreaterThan(target * 0.6);
    expect(rate).toBeLessThan(target * 1.4);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(500);

    const all = batches.flat();
    const ids = new Set(all.map((e) => e.event_id));
    expect(ids.size).toBe(all.length);
    for (let i = 1; i < all.length; i++) expect((all[i] as ContactEvent).occurred_at).toBeGreaterThanOrEqual((all[i - 1] as ContactEvent).occurred_at);
    // occurred_at ≈ now: from the start to the stop, never in the future
    expect((all[0] as ContactEvent).occurred_at).toBeGreaterThanOrEqual(stats.startedAt as number);
    expect((all[all.length - 1] as ContactEvent).occurred_at).toBeLessThanOrEqual(t1);
    expect(t1 - (all[all.length - 1] as ContactEvent).occurred_at).toBeLessThan(500);
    expect(new Set(all.map((e) => e.type)).size).toBeGreaterThan(8);
  });

  it('applies backpressure: never more than maxInFlight sink calls pending', async () => {
    let inFlight = 0;
    let maxSeen = 0;
    let delivered = 0;
    const sim = createSimulator(
      { arrivalsPerHour: 200_000, seed: 2, batchSize: 50, flushIntervalMs: 20, maxInFlight: 2 },
      async (b) => {
        inFlight++;
        maxSeen = Math.max(maxSeen, inFlight);
        await sleep(60);
        inFlight--;
        delivered += b.length;
      },
    );
    await sim.start();
    await sleep(600);
    await sim.stop();
    expect(maxSeen).toBe(2);
    expect(inFlight).toBe(0);
    expect(delivered).toBe(sim.stats().eventsGenerated);
    expect(delivered).toBeGreaterThan(0);
  });

  it('retries a failing sink, then drops and counts what it cannot deliver', async () => {
    let calls = 0;
    const flaky = createSimulator({ eventsPerSecond: 1_000, seed: 3, retryDelayMs: 5 }, async () => {
      if (++calls <= 2) throw new Error('ingest down');
    });
    await flaky.start();
    await sleep(300);
    await flaky.stop();
    const s = flaky.stats();
    expect(s.sinkErrors).toBe(2);
    expect(s.lastError).toBe('ingest down');
    expect(s.eventsDropped).toBe(0);
    expect(s.eventsDelivered).toBe(s.eventsGenerated);

    const errors: boolean[] = [];
    const dead = createSimulator(
      { eventsPerSecond: 1_000, seed: 4, maxRetries: 1, retryDelayMs: 5, onError: (_e, info) => errors.push(info.dropped) },
      async () => {
        throw new Error('nope');
      },
    );
    await dead.start();
    await sleep(200);
    await dead.stop();
    const d = dead.stats();
    expect(d.eventsDelivered).toBe(0);
    expect(d.eventsDropped).toBe(d.eventsGenerated);
    expect(d.eventsGenerated).toBeGreaterThan(0);
    expect(errors).toContain(true);
    expect(errors).toContain(false);
  });

  it('has a simple lifecycle', async () => {
    const sim = createSimulator({ arrivalsPerHour: 1_000, seed: 5 }, async () => undefined);
    await sim.stop(); // before start: nothing to do
    expect(sim.stats().state).toBe('stopped');
    await expect(sim.start()).rejects.toThrow(/stopped/);

    const twice = createSimulator({ arrivalsPerHour: 1_000, seed: 6 }, async () => undefined);
    const started = twice.start();
    await expect(twice.start()).rejects.toThrow(/starting/);
    await started;
    await Promise.all([twice.stop(), twice.stop()]);
    expect(twice.stats().state).toBe('stopped');
    expect(() => createSimulator({ batchSize: 0 }, async () => undefined)).toThrow(/batchSize/);
  });
});
