import type { ClickHouseClient } from '@clickhouse/client';
import { DEFAULT_OPTIONS, KPI_BY_ID, agentsRequired, agentsScheduled } from '@switchboard/kpi';
import { AGENT_STATES, readKpis, type RealtimeDimension, type RealtimeGroup, type RealtimeQuery } from '@switchboard/warehouse';

/** How /v1/realtime sizes staffing (docs/staffing.md): the queue's service-level target and limits. */
export interface StaffingOptions {
  slThresholdS: number;
  slTarget: number;
  maxOccupancy: number;
  shrinkage: number;
}

/** The staffing fields of one /v1/realtime group. */
export interface StaffingNow {
  /** contacts offered over the trailing 15 minutes */
  offered_15m: number;
  /** their average handle time; over the trailing 2 hours when none ended in the 15 minutes */
  aht_ms: number | null;
  /** Erlang C agents for that load and the target; null when no handle time is known */
  agents_required: number | null;
  /** agents_required ÷ (1 − shrinkage), whole agents */
  agents_required_scheduled: number | null;
  /** agents logged in now − agents_required */
  staffing_gap: number | null;
}

export const STAFFING_WINDOW_MS = 15 * 60_000;
const AHT_FALLBACK_MS = 2 * 3_600_000;
const keyOf = (group: Partial<Record<string, string | null>>, dims: readonly RealtimeDimension[]) => JSON.stringify(dims.map((d) => group[d] ?? null));

/**
 * Agents required now per group (docs/staffing.md, "Now"): arrival rate and handle time over
 * the trailing 15 whole minutes, read merged from the 1-minute rollups with the realtime
 * query's grouping and filters; the handle time falls back to the trailing 2 hours when no
 * contact ended in the 15 minutes. Keyed by the group's dimension values.
 */
export async function staffingNow(client: ClickHouseClient, tenant: string, q: RealtimeQuery, o: StaffingOptions): Promise<Map<string, Omit<StaffingNow, 'staffing_gap'>>> {
  const to = Math.floor(q.at / 60_000) * 60_000;
  const read = async (from: number) => readKpis(client, tenant, {
    kpis: [KPI_BY_ID.get('offered')!, KPI_BY_ID.get('aht_ms')!], from, to, granularity: '1m', groupBy: [...q.groupBy], filters: { ...q.filters }, options: DEFAULT_OPTIONS,
  }, { merge: true });
  const recent = await read(to - STAFFING_WINDOW_MS);
  const needFallback = recent.some((s) => Number(s.points[0]?.offered ?? 0) > 0 && s.points[0]?.aht_ms == null);
  const longer = needFallback ? new Map((await read(to - AHT_FALLBACK_MS)).map((s) => [keyOf(s.group, q.groupBy), s.points[0]?.aht_ms ?? null])) : new Map<string, unknown>();
  const out = new Map<string, Omit<StaffingNow, 'staffing_gap'>>();
  for (const s of recent) {
    const key = keyOf(s.group, q.groupBy);
    const offered = Number(s.points[0]?.offered ?? 0);
    const aht = (s.points[0]?.aht_ms ?? longer.get(key) ?? null) as number | null;
    const r = agentsRequired({ offered, intervalMs: STAFFING_WINDOW_MS, handleMs: aht ?? 0, slThresholdS: o.slThresholdS, slTarget: o.slTarget, maxOccupancy: o.maxOccupancy });
    out.set(key, { offered_15m: offered, aht_ms: aht, agents_required: r?.agents ?? null, agents_required_scheduled: r ? agentsScheduled(r.agents, o.shrinkage) : null });
  }
  return out;
}

/** The group's staffing fields: none offered in the 15 minutes needs no one. */
export function staffingOf(found: Omit<StaffingNow, 'staffing_gap'> | undefined, loggedIn: number): StaffingNow {
  const s = found ?? { offered_15m: 0, aht_ms: null, agents_required: 0, agents_required_scheduled: 0 };
  return { ...s, staffing_gap: s.agents_required === null ? null : loggedIn - s.agents_required };
}

/**
 * The realtime groups with their staffing fields, plus the groups offered contacts in the
 * 15 minutes with nothing in progress now (a queue whose calls all ended still needs agents).
 */
export function withStaffing<G extends RealtimeGroup>(groups: G[], staffing: Map<string, Omit<StaffingNow, 'staffing_gap'>>, dims: readonly RealtimeDimension[]): (RealtimeGroup & StaffingNow)[] {
  const seen = new Set<string>();
  const out: (RealtimeGroup & StaffingNow)[] = groups.map((g) => {
    const key = keyOf(g.group, dims);
    seen.add(key);
    return { ...g, ...staffingOf(staffing.get(key), g.agents_logged_in) };
  });
  for (const [key, s] of staffing) {
    if (seen.has(key) || s.offered_15m === 0) continue;
    const values = JSON.parse(key) as (string | null)[];
    const idle: RealtimeGroup = {
      group: Object.fromEntries(dims.map((d, i) => [d, values[i] ?? null])), contacts_in_queue: 0, longest_wait_ms: null, contacts_in_service: 0,
      agents: Object.fromEntries(AGENT_STATES.map((st) => [st, 0])) as RealtimeGroup['agents'], agents_logged_in: 0, open_backlog: 0, oldest_open_ticket_age_ms: null,
    };
    out.push({ ...idle, ...staffingOf(s, 0) });
  }
  return out;
}
