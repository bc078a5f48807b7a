import { describe, expect, it } from 'vitest';
import { step, type AlertState, type Logic, type Transition } from '../src/state-machine';

const MIN = 60_000;
const T0 = Date.parse('2026-11-22T10:00:00Z');
const base: Logic = {
  comparison: '<', threshold: 0.8, recoveryThreshold: 0.85,
  pendingEvaluations: 1, recoveryEvaluations: 1, minSample: 10, renotifyMs: null,
};

/** Feeds one value per minute (null = no data; [v, n] = value with its sample size) and collects the transitions. */
function run(logic: Logic, values: (number | null | [number, number])[], start: AlertState | null = null) {
  let state = start;
  const transitions: Transition[] = [];
  const phases: string[] = [];
  values.forEach((v, i) => {
    const [value, sample] = Array.isArray(v) ? v : [v, 100];
    const r = step(logic, state, { at: T0 + i * MIN, value, sample }, (at) => `alert@${at}`);
    state = r.state;
    transitions.push(...r.transitions);
    phases.push(state?.phase ?? 'ok');
  });
  return { state, transitions, kinds: transitions.map((t) => t.kind), phases };
}

describe('rule state machine', () => {
  it('fires at the first breach with pending_evaluations 1, and only once while the breach holds', () => {
    const r = run(base, [0.9, 0.7, 0.6, 0.7, 0.5]);
    expect(r.kinds).toEqual(['firing']);
    expect(r.transitions[0]).toMatchObject({ alertId: `alert@${T0 + MIN}`, seq: 1, at: T0 + MIN, value: 0.7, startedAt: T0 + MIN, firedAt: T0 + MIN });
  });

  it('pending: a breach must hold for N evaluations before firing', () => {
    const r = run({ ...base, pendingEvaluations: 3 }, [0.7, 0.7, 0.7, 0.7]);
    expect(r.phases).toEqual(['pending', 'pending', 'firing', 'firing']);
    expect(r.transitions.map((t) => [t.kind, t.seq, t.at])).toEqual([['pending', 1, T0], ['firing', 2, T0 + 2 * MIN]]);
    expect(new Set(r.transitions.map((t) => t.alertId)).size).toBe(1);
  });

  it('pending that does not hold is cancelled without firing', () => {
    const r = run({ ...base, pendingEvaluations: 3 }, [0.7, 0.7, 0.81, 0.7]);
    expect(r.kinds).toEqual(['pending', 'cancelled', 'pending']);
    // the second episode is a new alert
    expect(r.transitions[2]!.alertId).not.toBe(r.transitions[0]!.alertId);
    expect(r.phases.at(-1)).toBe('pending');
  });

  it('hysteresis: resolves only past the recovery threshold, not merely above the threshold', () => {
    const r = run(base, [0.7, 0.8, 0.84, 0.849, 0.85, 0.9]);
    expect(r.kinds).toEqual(['firing', 'resolved']);
    expect(r.transitions[1]).toMatchObject({ seq: 2, at: T0 + 4 * MIN, value: 0.85, firedAt: T0 });
    expect(r.phases).toEqual(['firing', 'firing', 'firing', 'firing', 'ok', 'ok']);
  });

  it('a ">" rule mirrors it: recovery below the threshold', () => {
    const r = run({ ...base, comparison: '>', threshold: 0.05, recoveryThreshold: 0.03 }, [0.02, 0.06, 0.04, 0.031, 0.03]);
    expect(r.kinds).toEqual(['firing', 'resolved']);
    expect(r.transitions[1]!.value).toBe(0.03);
  });

  it('flapping input around the threshold does not flap the alert', () => {
    // a service level wobbling 0.78 / 0.82 around an 80 % threshold, for an hour
    const wobble = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 0.78 : 0.82));
    const r = run({ ...base, pendingEvaluations: 2 }, wobble);
    // one breach at a time never holds for 2 evaluations: nothing fires
    expect(r.kinds.filter((k) => k === 'firing')).toHaveLength(0);
    // once firing, the same wobble neither resolves nor re-fires
    const firing = run({ ...base, pendingEvaluations: 2 }, [0.7, 0.7, ...wobble]);
    expect(firing.kinds).toEqual(['pending', 'firing']);
    expect(firing.phases.slice(2).every((p) => p === 'firing')).toBe(true);
  });

  it('flapping around the recovery threshold does not flap when recovery must hold', () => {
    const wobble = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0.86 : 0.84));
    const r = run({ ...base, recoveryEvaluations: 2 }, [0.7, ...wobble, 0.86, 0.86]);
    expect(r.kinds).toEqual(['firing', 'resolved']);
    expect(r.transitions[1]!.at).toBe(T0 + 42 * MIN);
  });

  it('minimum sample: no breach and no recovery on too few contacts; the state holds', () => {
    const r = run({ ...base, pendingEvaluations: 2 }, [[0.1, 3], [0.0, 9], [0.7, 10], [0.2, 2], [0.7, 50], [0.99, 4], null, [0.9, 12]]);
    // 0.1 and 0.0 on 3 and 9 contacts ignored; pending at 0.7/10; 0.2/2 ignored (still pending, count kept);
    // 0.7/50 completes the pending count; 0.99/4 and no data ignored; 0.9/12 resolves
    expect(r.phases).toEqual(['ok', 'ok', 'pending', 'pending', 'firing', 'firing', 'firing', 'ok']);
    expect(r.transitions.map((t) => [t.kind, t.sample])).toEqual([['pending', 10], ['firing', 50], ['resolved', 12]]);
  });

  it('re-notifies every interval while firing, not more often, and stops when resolved', () => {
    const r = run({ ...base, renotifyMs: 10 * MIN }, [...new Array(25).fill(0.5), 0.9, 0.5]);
    expect(r.transitions.map((t) => [t.kind, (t.at - T0) / MIN, t.seq])).toEqual([
      ['firing', 0, 1], ['renotify', 10, 2], ['renotify', 20, 3], ['resolved', 25, 4], ['firing', 26, 1],
    ]);
  });

  it('without a re-notify interval a long breach notifies once', () => {
    const r = run(base, new Array(200).fill(0.1));
    expect(r.kinds).toEqual(['firing']);
  });

  it('an evaluation at or before the last applied one is ignored (same window evaluated twice)', () => {
    const once = step(base, null, { at: T0, value: 0.5, sample: 100 }, () => 'a');
    const again = step(base, once.state, { at: T0, value: 0.95, sample: 100 }, () => 'b');
    expect(again.transitions).toEqual([]);
    expect(again.state).toEqual(once.state);
    const earlier = step(base, once.state, { at: T0 - MIN, value: 0.95, sample: 100 }, () => 'b');
    expect(earlier.transitions).toEqual([]);
  });

  it('continues from a restored state: a firing alert restored from its events does not fire again', () => {
    const restored: AlertState = {
      phase: 'firing', alertId: 'x', seq: 1, startedAt: T0, firedAt: T0, breaches: 1, recoveries: 0, lastNotifiedAt: T0, lastEvaluatedAt: T0,
    };
    const r = run(base, [0.5, 0.5, 0.9], restored);
    // the first observation is at T0 (same as lastEvaluatedAt): ignored; then held; then resolved as seq 2
    expect(r.transitions.map((t) => [t.kind, t.alertId, t.seq])).toEqual([['resolved', 'x', 2]]);
  });
});
