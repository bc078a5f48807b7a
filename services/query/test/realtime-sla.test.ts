import { describe, expect, it } from 'vitest';
import { slaPolicyListSchema, tenantCalendarSchema } from '@switchboard/kpi';
import { BusinessConfigBook, type OpenTicket } from '@switchboard/warehouse';
import { slaNow, ticketSla, withSla } from '../src/realtime-sla';

// The SLA clocks of open tickets in /v1/realtime (docs/sla.md, "Open tickets now").

const MIN = 60_000;
const NOW = Date.parse('2026-11-23T12:00:00Z'); // a Monday, 12:00 UTC
const policies = slaPolicyListSchema.parse({
  policies: [
    { name: 'Calendar time', conditions: { queue_id: ['fast'] }, targets: { urgent: { first_reply: { minutes: 60 }, resolution: { minutes: 240 } } } },
    { name: 'Business time', targets: { urgent: { first_reply: { minutes: 60, business_hours: true } }, low: { resolution: { minutes: 30 } } } },
  ],
}).policies;
// queue `slow` is judged by a calendar open Mon–Fri 09:00–10:00 and 11:30–13:00 UTC
const calendar = tenantCalendarSchema.parse({ queues: ['slow'], versions: [{ effective_from: '2026-01-01', zone: 'UTC', weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '10:00'], ['11:30', '13:00']]])) }] });
const book = new BusinessConfigBook({
  client: null,
  files: { calendars: [{ tenant: 't', id: 'c', calendar, source: 'file', version: 0 }], sla: [{ tenant: 't', source: 'file', effective_from: -8.64e15, version: 0, policies }] },
});
const ticket = (o: Partial<OpenTicket>): OpenTicket => ({ contact_id: 'x', since: NOW, queue_id: 'fast', team_id: '', channel: 'email', priority: 'urgent', replied: false, ...o });

describe('ticketSla', () => {
  it('calendar time: breached once a running clock is past its target, at risk within 15 minutes of it', () => {
    expect(ticketSla(ticket({ since: NOW - 61 * MIN }), 't', book, NOW)).toBe('breached');
    expect(ticketSla(ticket({ since: NOW - 50 * MIN }), 't', book, NOW)).toBe('at_risk');
    expect(ticketSla(ticket({ since: NOW - 40 * MIN }), 't', book, NOW)).toBe('ok');
    // replied: the first-reply clock stopped; the resolution clock (4 h) still runs
    expect(ticketSla(ticket({ since: NOW - 61 * MIN, replied: true }), 't', book, NOW)).toBe('ok');
    expect(ticketSla(ticket({ since: NOW - 230 * MIN, replied: true }), 't', book, NOW)).toBe('at_risk');
    expect(ticketSla(ticket({ since: NOW - 241 * MIN, replied: true }), 't', book, NOW)).toBe('breached');
  });

  it('business time counts only the queue calendar\'s open hours', () => {
    // opened 09:00: 09:00–10:00 and 11:30–12:00 open = 90 business minutes > 60
    expect(ticketSla(ticket({ queue_id: 'slow', since: NOW - 3 * 60 * MIN }), 't', book, NOW)).toBe('breached');
    // opened 10:00: 30 business minutes so far; the 15 minutes ahead add 15 → 45, not yet 60
    expect(ticketSla(ticket({ queue_id: 'slow', since: NOW - 2 * 60 * MIN }), 't', book, NOW)).toBe('ok');
    // opened 09:40: 20 + 30 = 50 now, 65 in 15 minutes
    expect(ticketSla(ticket({ queue_id: 'slow', since: NOW - 140 * MIN }), 't', book, NOW)).toBe('at_risk');
  });

  it('no priority, no matching target, or no running clock: outside SLA', () => {
    expect(ticketSla(ticket({ priority: '', since: NOW - 600 * MIN }), 't', book, NOW)).toBe('none');
    expect(ticketSla(ticket({ priority: 'normal', since: NOW - 600 * MIN }), 't', book, NOW)).toBe('none');
    // urgent in `slow` has only a first-reply target: once replied, nothing runs
    expect(ticketSla(ticket({ queue_id: 'slow', replied: true, since: NOW - 600 * MIN }), 't', book, NOW)).toBe('none');
    expect(ticketSla(ticket({ since: NOW - 600 * MIN }), 'other-tenant', book, NOW)).toBe('none');
  });
});

describe('slaNow and withSla', () => {
  it('counts breached and at-risk tickets per group; groups without any get zeros', () => {
    const tickets = [
      ticket({ contact_id: 'a', since: NOW - 61 * MIN }),
      ticket({ contact_id: 'b', since: NOW - 50 * MIN }),
      ticket({ contact_id: 'c', since: NOW - 10 * MIN }),
      ticket({ contact_id: 'd', queue_id: 'other', priority: 'low', since: NOW - 31 * MIN }),
    ];
    const counts = slaNow(tickets, 't', book, NOW, ['queue_id']);
    expect(Object.fromEntries(counts)).toEqual({ '["fast"]': { sla_breached_open: 1, sla_at_risk: 1 }, '["other"]': { sla_breached_open: 1, sla_at_risk: 0 } });
    const group = (queue: string) => ({ group: { queue_id: queue }, contacts_in_queue: 0, longest_wait_ms: null, contacts_in_service: 0, agents: { available: 0, busy: 0, after_call_work: 0, away: 0, offline: 0 }, agents_logged_in: 0, open_backlog: 1, oldest_open_ticket_age_ms: 0 });
    expect(withSla([group('fast'), group('idle')], counts, ['queue_id']).map((g) => [g.group.queue_id, g.sla_breached_open, g.sla_at_risk])).toEqual([['fast', 1, 1], ['idle', 0, 0]]);
    // ungrouped: one total
    expect(Object.fromEntries(slaNow(tickets, 't', book, NOW, []))).toEqual({ '[]': { sla_breached_open: 2, sla_at_risk: 1 } });
  });
});
