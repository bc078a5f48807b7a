// Staffing by Erlang C (docs/staffing.md): how many agents a queue needs for an arrival rate, a
// handle time and a service-level target, as workforce-management tools compute it.

/**
 * Erlang C: the probability that a contact waits, with `n` agents under an offered load of
 * `a` Erlangs (arrival rate × handle time). Computed through Erlang B's recurrence
 * B(0) = 1, B(k) = a·B(k−1) ÷ (k + a·B(k−1)), then C = n·B ÷ (n − a·(1 − B)): no factorial
 * or power is ever formed, so it stays exact to floating point for thousands of agents, where
 * the textbook formula overflows (171! is already Infinity). With n ≤ a the queue grows
 * without bound: every contact waits (1).
 */
export function erlangC(n: number, a: number): number {
  if (a <= 0) return 0;
  if (n <= a) return 1;
  return cFromB(n, a, erlangB(n, a));
}

/** Erlang B, the blocking probability of `n` servers under `a` Erlangs, by its recurrence. */
export function erlangB(n: number, a: number): number {
  let b = 1;
  for (let k = 1; k <= n; k++) b = (a * b) / (k + a * b);
  return b;
}

const cFromB = (n: number, a: number, b: number) => (n * b) / (n - a * (1 - b));

/** Erlang C's service level: the share of contacts answered within `thresholdS` seconds. */
export function erlangServiceLevel(n: number, a: number, thresholdS: number, handleS: number): number {
  if (a <= 0) return 1;
  if (n <= a) return 0;
  return 1 - erlangC(n, a) * Math.exp((-(n - a) * thresholdS) / handleS);
}

export interface StaffingInput {
  /** contacts offered in the interval */
  offered: number;
  /** the interval's length (15 minutes by default) */
  intervalMs: number;
  /** average handle time of those contacts */
  handleMs: number;
  /** T of the service-level target "target of contacts within T seconds" */
  slThresholdS: number;
  /** the share to answer within T, e.g. 0.8 */
  slTarget: number;
  /** the most a busy agent may be occupied, e.g. 0.85 */
  maxOccupancy: number;
}

export interface Staffing {
  /** offered load in Erlangs: arrival rate × handle time */
  load: number;
  /** the fewest agents meeting both the service level and the occupancy cap */
  agents: number;
  /** the service level those agents give */
  serviceLevel: number;
  /** load ÷ agents */
  occupancy: number;
}

/**
 * The fewest whole agents n > A with Erlang C service level ≥ the target and occupancy A ÷ n ≤
 * the cap. Erlang B is carried from n − 1 to n, so the search costs O(n) whatever the queue's
 * size. No contacts: 0 agents. A handle time of 0 or less with contacts: null (no load known).
 */
export function agentsRequired(i: StaffingInput): Staffing | null {
  if (i.offered <= 0) return { load: 0, agents: 0, serviceLevel: 1, occupancy: 0 };
  if (!(i.handleMs > 0) || !(i.intervalMs > 0)) return null;
  const handleS = i.handleMs / 1000;
  const a = (i.offered / (i.intervalMs / 1000)) * handleS;
  const byOccupancy = Math.ceil(a / i.maxOccupancy - 1e-9);
  let b = 1;
  for (let n = 1; ; n++) {
    b = (a * b) / (n + a * b);
    if (n <= a || n < byOccupancy) continue;
    const sl = 1 - cFromB(n, a, b) * Math.exp((-(n - a) * i.slThresholdS) / handleS);
    if (sl >= i.slTarget) return { load: a, agents: n, serviceLevel: sl, occupancy: a / n };
  }
}

/** Agents to schedule so that `agents` are on the phones after shrinkage (breaks, training, absence), whole agents. */
export function agentsScheduled(agents: number, shrinkage: number): number {
  return agents <= 0 ? 0 : Math.ceil(agents / (1 - shrinkage) - 1e-9);
}
