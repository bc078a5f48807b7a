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
  return fewestAgents(i, (n, a, b, handleS) => 1 - cFromB(n, a, b) * Math.exp((-(n - a) * i.slThresholdS) / handleS));
}

/**
 * The search both models share: n from 1 up, Erlang B(n, A) carried from n − 1, the first n > A
 * within the occupancy cap whose service level `sl(n, A, B(n, A), handle s)` meets the target.
 */
function fewestAgents(i: StaffingInput, sl: (n: number, a: number, b: number, handleS: number) => number): Staffing {
  const handleS = i.handleMs / 1000;
  const a = (i.offered / (i.intervalMs / 1000)) * handleS;
  const byOccupancy = Math.ceil(a / i.maxOccupancy - 1e-9);
  let b = 1;
  for (let n = 1; ; n++) {
    b = (a * b) / (n + a * b);
    if (n <= a || n < byOccupancy) continue;
    const level = sl(n, a, b, handleS);
    if (level >= i.slTarget) return { load: a, agents: n, serviceLevel: level, occupancy: a / n };
  }
}

/** Agents to schedule so that `agents` are on the phones after shrinkage (breaks, training, absence), whole agents. */
export function agentsScheduled(agents: number, shrinkage: number): number {
  return agents <= 0 ? 0 : Math.ceil(agents / (1 - shrinkage) - 1e-9);
}

// ---- Erlang A: customers who hang up ---------------------------------------------------------

/**
 * Erlang A's service level (M/M/n+M, docs/staffing.md "Erlang A"): the share of offered
 * contacts answered within `thresholdS`, when a waiting customer hangs up after an exponential
 * patience of mean `patienceS` (Infinity: nobody hangs up, Erlang C's service level). A
 * customer who hangs up is not answered, within T or after.
 *
 * With λ = a/h, μ = 1/h, θ = 1/patience, the state probabilities are Erlang's up to n busy
 * agents and π(n + j) = π(n)·∏ᵢ₌₁ʲ λ/(nμ + iθ) with j waiting; an arrival finding j ahead is
 * answered if it outlasts the j + 1 departures before its turn, each at rate nμ + iθ (services
 * and the hang-ups of those ahead): with probability nμ/(nμ + (j+1)θ) (the ratios telescope),
 * after a time S whose e^(−θS) is Beta(nμ/θ + 1, j + 1) distributed. So P(S ≤ T) = 1 − I_x(α, j+1)
 * with x = e^(−θT), α = nμ/θ + 1, and for a whole j + 1 the regularized incomplete beta is a
 * negative-binomial sum, I_x(α, m) = Σₖ₌₀^(m−1) C(α+k−1, k)·x^α·(1−x)^k, whose terms follow
 * from each other. Everything is a product of ratios or a sum of positive terms carried in
 * logarithms where they could underflow (x^α = e^(−(nμ+θ)T)): no factorial, no cancellation,
 * thousands of agents.
 */
export function erlangAServiceLevel(n: number, a: number, thresholdS: number, handleS: number, patienceS: number): number {
  if (a <= 0) return 1;
  if (!(patienceS < Infinity)) return erlangServiceLevel(n, a, thresholdS, handleS);
  return slErlangA(n, a, erlangB(n, a), thresholdS, handleS, patienceS);
}

/** The most queue states an Erlang A sum visits (a bound only a load within 1e-6 of n approaches). */
const MAX_QUEUE_TERMS = 2_000_000;

function slErlangA(n: number, a: number, b: number, thresholdS: number, handleS: number, patienceS: number): number {
  const mu = 1 / handleS;
  const lambda = a * mu;
  const theta = 1 / patienceS;
  const nmu = n * mu;
  const alpha = nmu / theta + 1;
  const logOneMinusX = Math.log(-Math.expm1(-theta * thresholdS));
  // states below n sum to 1 − B relative to Σ_{k ≤ n} π(k) = 1; π(n) = B
  let z = 1 - b;
  let answeredWithin = 1 - b; // answered at once
  let q = b; // π(n + j)
  let logTerm = -(nmu + theta) * thresholdS; // log of the j-th negative-binomial term
  let beta = 0; // I_x(α, j + 1) = P(S > T)
  for (let j = 0; j < MAX_QUEUE_TERMS; j++) {
    if (j > 0) {
      q *= lambda / (nmu + j * theta);
      logTerm += Math.log((alpha + j - 1) / j) + logOneMinusX;
    }
    beta += Math.exp(logTerm);
    z += q;
    answeredWithin += q * (nmu / (nmu + (j + 1) * theta)) * Math.max(0, 1 - beta);
    // past the peak the terms only shrink: stop once they no longer move the sums
    if (lambda < nmu + j * theta && q <= 1e-17 * z) break;
  }
  return answeredWithin / z;
}

/**
 * agentsRequired with Erlang A: the fewest whole agents n > A whose Erlang A service level
 * meets the target, with occupancy A ÷ n within the cap (offered load, as for Erlang C, so that
 * the two agree as patience grows). `patienceMs`: customers' mean patience (Infinity or
 * undefined: Erlang C).
 */
export function agentsRequiredErlangA(i: StaffingInput & { patienceMs?: number }): Staffing | null {
  const patienceS = (i.patienceMs ?? Infinity) / 1000;
  if (!(patienceS < Infinity)) return agentsRequired(i);
  if (i.offered <= 0) return { load: 0, agents: 0, serviceLevel: 1, occupancy: 0 };
  if (!(i.handleMs > 0) || !(i.intervalMs > 0) || !(patienceS > 0)) return null;
  return fewestAgents(i, (n, a, b, handleS) => slErlangA(n, a, b, i.slThresholdS, handleS, patienceS));
}
