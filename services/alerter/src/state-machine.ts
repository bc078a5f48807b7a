import { breaches, type Comparison } from './rules';

/**
 * The rule state machine of one alert (one rule × one scope), pure: no clock, no I/O.
 *
 *   ok ──breach──▶ pending ──breach held N evaluations──▶ firing ──recovered M evaluations──▶ ok
 *                     └───── not breached ──▶ ok (cancelled)        └─ renotify every R while firing
 *
 * - breach: `value <comparison> threshold`;
 * - recovered: NOT `value <comparison> recovery_threshold` (hysteresis: with threshold 0.80 and
 *   recovery 0.85 on a `<` rule, a firing alert stays firing at 0.82 and resolves at 0.85);
 * - an evaluation with no value or a sample below min_sample neither breaches nor recovers: it
 *   holds the state (counters included), so a quiet night neither fires nor resolves;
 * - an evaluation at or before the last one applied is ignored, so evaluating the same window
 *   twice (a restart within the minute, two replicas) never counts twice.
 */

export interface Logic {
  comparison: Comparison;
  threshold: number;
  recoveryThreshold: number;
  pendingEvaluations: number;
  recoveryEvaluations: number;
  minSample: number;
  renotifyMs: number | null;
}

export type Phase = 'pending' | 'firing';
export type TransitionKind = 'pending' | 'firing' | 'renotify' | 'resolved' | 'cancelled';
/** Transitions that send a notification. */
export const NOTIFYING: ReadonlySet<TransitionKind> = new Set(['firing', 'renotify', 'resolved']);

/** The state of an active alert; "ok" is the absence of state. */
export interface AlertState {
  phase: Phase;
  alertId: string;
  /** sequence number of the last transition of this alert (1 = its first) */
  seq: number;
  /** evaluation time of the first breach */
  startedAt: number;
  firedAt: number | null;
  /** consecutive breached evaluations while pending */
  breaches: number;
  /** consecutive recovered evaluations while firing */
  recoveries: number;
  lastNotifiedAt: number | null;
  lastEvaluatedAt: number;
}

export interface Observation {
  /** the evaluation time: end of the window evaluated (exclusive), epoch ms */
  at: number;
  value: number | null;
  sample: number;
}

export interface Transition {
  kind: TransitionKind;
  alertId: string;
  seq: number;
  at: number;
  value: number | null;
  sample: number;
  startedAt: number;
  firedAt: number | null;
}

export interface StepResult {
  state: AlertState | null;
  transitions: Transition[];
}

export function step(logic: Logic, state: AlertState | null, obs: Observation, newAlertId: (startedAt: number) => string): StepResult {
  if (state && obs.at <= state.lastEvaluatedAt) return { state, transitions: [] };
  const usable = obs.value !== null && Number.isFinite(obs.value) && obs.sample >= logic.minSample;
  if (!usable) return { state: state && { ...state, lastEvaluatedAt: obs.at }, transitions: [] };
  const value = obs.value!;
  const breached = breaches(logic.comparison, value, logic.threshold);
  const recovered = !breaches(logic.comparison, value, logic.recoveryThreshold);
  const t = (s: AlertState, kind: TransitionKind): Transition => ({
    kind, alertId: s.alertId, seq: s.seq, at: obs.at, value, sample: obs.sample, startedAt: s.startedAt, firedAt: s.firedAt,
  });

  if (!state) {
    if (!breached) return { state: null, transitions: [] };
    const base: AlertState = {
      phase: 'pending', alertId: newAlertId(obs.at), seq: 1, startedAt: obs.at, firedAt: null,
      breaches: 1, recoveries: 0, lastNotifiedAt: null, lastEvaluatedAt: obs.at,
    };
    if (logic.pendingEvaluations > 1) return { state: base, transitions: [t(base, 'pending')] };
    const firing: AlertState = { ...base, phase: 'firing', firedAt: obs.at, lastNotifiedAt: obs.at };
    return { state: firing, transitions: [t(firing, 'firing')] };
  }

  if (state.phase === 'pending') {
    if (!breached) {
      const done = { ...state, seq: state.seq + 1 };
      return { state: null, transitions: [t(done, 'cancelled')] };
    }
    const held = { ...state, breaches: state.breaches + 1, lastEvaluatedAt: obs.at };
    if (held.breaches < logic.pendingEvaluations) return { state: held, transitions: [] };
    const firing: AlertState = { ...held, phase: 'firing', seq: held.seq + 1, firedAt: obs.at, lastNotifiedAt: obs.at };
    return { state: firing, transitions: [t(firing, 'firing')] };
  }

  // firing
  if (recovered) {
    const next = { ...state, recoveries: state.recoveries + 1, lastEvaluatedAt: obs.at };
    if (next.recoveries < logic.recoveryEvaluations) return { state: next, transitions: [] };
    return { state: null, transitions: [t({ ...next, seq: next.seq + 1 }, 'resolved')] };
  }
  const still = { ...state, recoveries: 0, lastEvaluatedAt: obs.at };
  if (logic.renotifyMs !== null && state.lastNotifiedAt !== null && obs.at - state.lastNotifiedAt >= logic.renotifyMs) {
    const again = { ...still, seq: still.seq + 1, lastNotifiedAt: obs.at };
    return { state: again, transitions: [t(again, 'renotify')] };
  }
  return { state: still, transitions: [] };
}

export function logicOf(rule: { spec: { comparison: Comparison; threshold: number; pending_evaluations: number; recovery_evaluations: number; min_sample: number }; recoveryThreshold: number; renotifyMs: number | null }): Logic {
  return {
    comparison: rule.spec.comparison,
    threshold: rule.spec.threshold,
    recoveryThreshold: rule.recoveryThreshold,
    pendingEvaluations: rule.spec.pending_evaluations,
    recoveryEvaluations: rule.spec.recovery_evaluations,
    minSample: rule.spec.min_sample,
    renotifyMs: rule.renotifyMs,
  };
}
