// Live mode: the simulation runs against the wall clock and its events go to a sink in
// batches as their occurred_at comes due. The volume is set so the stream averages the
// requested events/s: arrivals/hour = target × 3600 ÷ (events per arrival), the latter
// measured on a short simulation of the same center. A warm start puts the center in
// steady state at once, so the rate holds from the first second instead of ramping up
// over the ~10 minutes it takes calls to start finishing.

import type { ContactEvent } from '@switchboard/events';
import { Engine } from './generate';
import type { GeneratorOptions } from './model';
import { HOUR, MINUTE } from './model';

export type Sink = (events: ContactEvent[]) => Promise<void>;

export interface SimulatorConfig extends Omit<GeneratorOptions, 'seed' | 'start' | 'durationMs' | 'drain'> {
  /** default: the start time, so consecutive runs differ */
  seed?: number | string;
  /** target average output; ignored when arrivalsPerHour is given. Default 1000. */
  eventsPerSecond?: number;
  /** events per batch handed to the sink (a batch is also sent at every flush) */
  batchSize?: number;
  flushIntervalMs?: number;
  /** backpressure: at most this many sink calls pending; generation waits for a slot */
  maxInFlight?: number;
  /** a failed batch is retried this many times (with doubling delay), then dropped and counted */
  maxRetries?: number;
  retryDelayMs?: number;
  /** wall clock in epoch ms; default Date.now */
  clock?: () => number;
  onError?: (error: unknown, info: { attempt: number; events: number; dropped: boolean }) => void;
}

export interface SimulatorStats {
  state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';
  targetEventsPerSecond: number | null;
  arrivalsPerHour: number;
  /** measured on the calibration run; 0 when arrivalsPerHour was given */
  eventsPerArrival: number;
  startedAt: number | null;
  uptimeMs: number;
  /** events taken from the simulation (due, then batched) */
  eventsGenerated: number;
  eventsDelivered: number;
  eventsDropped: number;
  batchesDelivered: number;
  batchesInFlight: number;
  sinkErrors: number;
  lastError: string | null;
  /** delivered ÷ uptime */
  eventsPerSecond: number;
  /** how far the last completed pass over due events is behind the wall clock */
  lagMs: number;
  /** occurred_at of the latest event taken */
  lastOccurredAt: number | null;
  contactsInFlight: number;
  agents: number;
}

export interface Simulator {
  /** calibrates, builds the simulated center, and starts emitting; resolves once running */
  start(): Promise<void>;
  /** stops generating, hands every generated event to the sink and awaits it */
  stop(): Promise<void>;
  stats(): SimulatorStats;
}

const FLAT_DAY: readonly number[] = new Array<number>(24).fill(1);

/**
 * Mean events per arrival (contact or self-service session, agent state changes included)
 * in steady state, from a short warm-started run of the same center at moderate volume.
 */
export function estimateEventsPerArrival(opts: Omit<GeneratorOptions, 'start' | 'durationMs' | 'arrivalsPerHour'>): number {
  const queues = opts.queues?.length ?? opts.queueCount ?? 5;
  // enough arrivals for ±1%, few enough to take well under a second
  const arrivalsPerHour = Math.min(1_500 * queues, 24_000);
  const start = Date.UTC(2026, 0, 5);
  const settle = 30 * MINUTE;
  const measure = 90 * MINUTE;
  const engine = new Engine({
    ...opts, start, durationMs: settle + measure, arrivalsPerHour, intraday: FLAT_DAY, weekly: undefined,
    warmStart: true, drain: false, offline: undefined,
    // the rate of an open center: with a calendar, the hours it is closed block calls and so
    // send fewer events, as after-hours traffic does (calibrating on closed hours would
    // raise the arrival rate to make up for them)
    calendar: undefined,
    // a roster sized for the real volume would be wrong at this one
    agentsPerQueue: undefined, queues: opts.queues?.map((q) => ({ ...q, agents: undefined })),
  });
  let n = 0;
  for (let e = engine.next(); e !== undefined; e = engine.next()) if (e.occurred_at >= start + settle) n++;
  return n / ((arrivalsPerHour * measure) / HOUR);
}

function positive(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`${name} must be a positive number`);
  return x;
}

export function createSimulator(config: SimulatorConfig, sink: Sink): Simulator {
  const clock = config.clock ?? Date.now;
  const batchSize = Math.floor(positive('batchSize', config.batchSize, 1_000));
  const flushIntervalMs = positive('flushIntervalMs', config.flushIntervalMs, 50);
  const maxInFlight = Math.floor(positive('maxInFlight', config.maxInFlight, 4));
  const maxRetries = Math.max(0, Math.floor(config.maxRetries ?? 3));
  const retryDelayMs = positive('retryDelayMs', config.retryDelayMs, 200);
  const target = config.arrivalsPerHour === undefined ? positive('eventsPerSecond', config.eventsPerSecond, 1_000) : null;

  let state: SimulatorStats['state'] = 'idle';
  let engine: Engine | null = null;
  let shift = 0;
  let lookahead: ContactEvent | undefined;
  let pending: ContactEvent[] = [];
  const inFlight = new Set<Promise<void>>();
  let startPromise: Promise<void> | null = null;
  let stopPromise: Promise<void> | null = null;
  let loopDone: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let wake: (() => void) | null = null;

  let arrivalsPerHour = config.arrivalsPerHour ?? 0;
  let eventsPerArrival = 0;
  let startedAt: number | null = null;
  let stoppedAt: number | null = null;
  let generated = 0;
  let delivered = 0;
  let dropped = 0;
  let batches = 0;
  let sinkErrors = 0;
  let lastError: string | null = null;
  let pumpedAt = 0;
  let lastOccurredAt: number | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  async function deliver(batch: ContactEvent[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await sink(batch);
        delivered += batch.length;
        batches++;
        return;
      } catch (err) {
        sinkErrors++;
        lastError = err instanceof Error ? err.message : String(err);
        const drop = attempt >= maxRetries;
        config.onError?.(err, { attempt, events: batch.length, dropped: drop });
        if (drop) {
          dropped += batch.length;
          return;
        }
        // not `sleep`: that one is the pump's and stop() cuts it short
        await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** attempt));
      }
    }
  }

  async function dispatch(): Promise<void> {
    const batch = pending;
    pending = [];
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const p: Promise<void> = deliver(batch).then(() => {
      inFlight.delete(p);
    });
    inFlight.add(p);
  }

  /** Takes every event due by `now` into batches. */
  async function pump(now: number): Promise<void> {
    const eng = engine as Engine;
    const limit = now - shift;
    for (;;) {
      if (lookahead === undefined) {
        lookahead = eng.next();
        if (lookahead === undefined) break;
      }
      if (lookahead.occurred_at > limit) break;
      const e = lookahead;
      lookahead = undefined;
      e.occurred_at += shift;
      lastOccurredAt = e.occurred_at;
      pending.push(e);
      generated++;
      if (pending.length >= batchSize) await dispatch();
    }
    if (pending.length > 0) await dispatch();
  }

  async function loop(): Promise<void> {
    while (state === 'running') {
      const now = clock();
      await pump(now);
      pumpedAt = now;
      const wait = flushIntervalMs - (clock() - now);
      if (wait > 0 && state === 'running') await sleep(wait);
    }
  }

  async function doStart(): Promise<void> {
    // the build below is synchronous and can take seconds: let start()'s caller go on first
    await new Promise<void>((r) => setImmediate(r));
    const t0 = Math.round(clock());
    const seed = config.seed ?? t0;
    const { eventsPerSecond: _eps, batchSize: _b, flushIntervalMs: _f, maxInFlight: _m, maxRetries: _r, retryDelayMs: _d, clock: _c, onError: _o, ...genOpts } = config;
    if (target !== null) {
      eventsPerArrival = estimateEventsPerArrival({ ...genOpts, seed });
      arrivalsPerHour = (target * 3600) / eventsPerArrival;
    }
    engine = new Engine({
      ...genOpts, seed, start: t0, durationMs: Infinity, arrivalsPerHour,
      intraday: config.intraday ?? FLAT_DAY, warmStart: config.warmStart ?? true,
      runId: config.runId ?? `${String(seed)}-${t0.toString(36)}`,
    });
    // Building a large center takes seconds; anchor the simulated start at the moment
    // emission begins so that time doesn't come out as an initial burst.
    const anchor = clock();
    shift = Math.round(anchor) - t0;
    startedAt = anchor;
    pumpedAt = anchor;
    state = 'running';
    loopDone = loop();
  }

  async function doStop(): Promise<void> {
    if (startPromise) await startPromise.catch(() => undefined);
    if (state !== 'running') {
      state = 'stopped';
      return;
    }
    state = 'stopping';
    if (timer) clearTimeout(timer);
    wake?.();
    await loopDone;
    if (pending.length > 0) await dispatch();
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    stoppedAt = clock();
    state = 'stopped';
  }

  return {
    start() {
      if (state !== 'idle') return Promise.reject(new Error(`simulator is ${state}; create a new one to run again`));
      state = 'starting';
      startPromise = doStart().catch((err: unknown) => {
        state = 'stopped';
        throw err;
      });
      return startPromise;
    },
    stop() {
      stopPromise ??= doStop();
      return stopPromise;
    },
    stats(): SimulatorStats {
      const now = clock();
      const uptimeMs = startedAt === null ? 0 : (stoppedAt ?? now) - startedAt;
      const es = engine?.stats();
      return {
        state, targetEventsPerSecond: target, arrivalsPerHour, eventsPerArrival, startedAt, uptimeMs,
        eventsGenerated: generated, eventsDelivered: delivered, eventsDropped: dropped, batchesDelivered: batches,
        batchesInFlight: inFlight.size, sinkErrors, lastError,
        eventsPerSecond: uptimeMs > 0 ? (delivered * 1000) / uptimeMs : 0,
        lagMs: state === 'running' ? Math.max(0, now - pumpedAt) : 0,
        lastOccurredAt, contactsInFlight: es?.inFlight ?? 0, agents: es?.agents ?? 0,
      };
    },
  };
}
