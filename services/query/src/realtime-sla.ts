import { businessMs, type FoldContext, type SlaTarget } from '@switchboard/kpi';
import type { OpenTicket, RealtimeDimension, RealtimeGroup } from '@switchboard/warehouse';

/** A ticket is at risk when a clock will pass its target within this long (docs/sla.md, "Open tickets now"). */
export const SLA_AT_RISK_MS = 15 * 60_000;

/** The SLA fields of one /v1/realtime group. */
export interface SlaNow {
  /** open tickets whose first-reply or resolution clock has passed its target */
  sla_breached_open: number;
  /** open tickets not breached whose clock will pass its target within 15 minutes */
  sla_at_risk: number;
}

type EventView = Parameters<FoldContext['slaTargetsFor']>[0];
const keyOf = (group: Partial<Record<string, string | null>>, dims: readonly RealtimeDimension[]) => JSON.stringify(dims.map((d) => group[d] ?? null));

/** One open ticket's standing: its running clocks (first reply until it is in, resolution) against the targets. */
export function ticketSla(t: OpenTicket, tenant: string, ctx: FoldContext, at: number): 'breached' | 'at_risk' | 'ok' | 'none' {
  const queue = t.queue_id === '' ? null : t.queue_id;
  // the policies in force now judge an open ticket; the event-like view is what matching reads
  const targets = ctx.slaTargetsFor({ tenant_id: tenant, channel: t.channel as EventView['channel'], queue_id: queue, priority: t.priority as EventView['priority'], occurred_at: at } as EventView);
  if (!targets) return 'none';
  const clocks: SlaTarget[] = [];
  if (!t.replied && targets.first_reply) clocks.push(targets.first_reply);
  if (targets.resolution) clocks.push(targets.resolution);
  if (clocks.length === 0) return 'none';
  const calendar = clocks.some((c) => c.business) ? ctx.calendarFor(tenant, queue, at) : undefined;
  const elapsed = (c: SlaTarget, until: number) => (c.business ? businessMs(calendar, t.since, until) : Math.max(0, until - t.since));
  if (clocks.some((c) => elapsed(c, at) > c.ms)) return 'breached';
  return clocks.some((c) => elapsed(c, at + SLA_AT_RISK_MS) > c.ms) ? 'at_risk' : 'ok';
}

/** Breached and at-risk open tickets per group of the realtime query (keyed by the group's dimension values). */
export function slaNow(tickets: readonly OpenTicket[], tenant: string, ctx: FoldContext, at: number, dims: readonly RealtimeDimension[]): Map<string, SlaNow> {
  const out = new Map<string, SlaNow>();
  for (const t of tickets) {
    const standing = ticketSla(t, tenant, ctx, at);
    if (standing !== 'breached' && standing !== 'at_risk') continue;
    const key = keyOf({ queue_id: t.queue_id || null, team_id: t.team_id || null, channel: t.channel || null }, dims);
    let s = out.get(key);
    if (!s) out.set(key, (s = { sla_breached_open: 0, sla_at_risk: 0 }));
    if (standing === 'breached') s.sla_breached_open++;
    else s.sla_at_risk++;
  }
  return out;
}

/** The realtime groups with their SLA fields (0 where nothing is breached or at risk). */
export function withSla<G extends RealtimeGroup>(groups: G[], sla: Map<string, SlaNow>, dims: readonly RealtimeDimension[]): (G & SlaNow)[] {
  return groups.map((g) => ({ ...g, ...(sla.get(keyOf(g.group, dims)) ?? { sla_breached_open: 0, sla_at_risk: 0 }) }));
}
