// The sample day (fixtures/zendesk/sample-day.jsonl + sample-day-ratings.jsonl) the lead's
// end-to-end test feeds through Kafka and ClickHouse: it must map without rejections, with
// unique event ids, to these counts.
import { describe, expect, it } from 'vitest';
import type { ContactEvent } from '@switchboard/events';
import { ctx, lines, mapAll, SAMPLE_DAY_OPTIONS } from './zendesk-helpers';

function sampleDay() {
  const c = ctx(SAMPLE_DAY_OPTIONS);
  const audits = mapAll('zendesk-ticket-audit', lines('sample-day.jsonl'), c);
  const ratings = mapAll('zendesk-satisfaction-rating', lines('sample-day-ratings.jsonl'), c);
  return { audits, ratings, events: [...audits.events, ...ratings.events] };
}

const countBy = (events: ContactEvent[], key: (e: ContactEvent) => string) => {
  const out: Record<string, number> = {};
  for (const e of events) out[key(e)] = (out[key(e)] ?? 0) + 1;
  return out;
};

describe('zendesk sample day', () => {
  it('72 audits and 14 ratings map without rejections to 87 events with unique ids', () => {
    const { audits, ratings, events } = sampleDay();
    expect(lines('sample-day.jsonl')).toHaveLength(72);
    expect(lines('sample-day-ratings.jsonl')).toHaveLength(14);
    expect(audits.rejected).toEqual([]);
    expect(ratings.rejected).toEqual([]);
    // internal notes, customer replies and status-only updates; offered / unoffered surveys
    expect(audits.ignored).toBe(16);
    expect(ratings.ignored).toBe(2);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    expect(countBy(events, (e) => e.type)).toEqual({ contact_created: 18, agent_message: 31, resolved: 19, reopened: 3, transferred: 4, survey_response: 12 });
  });

  it('spreads over queues, channels and hours, with first replies, responses, resolutions and CSAT to aggregate', () => {
    const { events } = sampleDay();
    expect(countBy(events.filter((e) => e.type === 'contact_created'), (e) => `${e.queue_id}`)).toEqual({ billing: 7, technical: 6, sales: 5 });
    // web_form: four web tickets and one created through the API
    expect(countBy(events.filter((e) => e.type === 'contact_created'), (e) => e.channel)).toEqual({ email: 6, web_form: 5, chat: 3, voice: 2, messaging: 2 });
    const messages = events.filter((e) => e.type === 'agent_message');
    const first = messages.filter((e) => e.first_response === true);
    expect(first).toHaveLength(16);
    expect(first.reduce((s, e) => s + e.response_ms!, 0)).toBe(20_905_000);
    const answered = messages.filter((e) => e.response_ms !== null);
    expect(answered).toHaveLength(28);
    expect(answered.reduce((s, e) => s + e.response_ms!, 0)).toBe(29_775_000);
    const resolved = events.filter((e) => e.type === 'resolved');
    expect(resolved.every((e) => e.resolution_ms !== null)).toBe(true);
    const csat = events.filter((e) => e.type === 'survey_response');
    expect(countBy(csat, (e) => String(e.score))).toEqual({ '1': 9, '0': 3 });
    expect(events.filter((e) => e.direction === 'outbound').map((e) => e.contact_id)).toEqual(['3008', '3008', '3008', '3008']);
    const hours = new Set(events.map((e) => new Date(e.occurred_at).getUTCHours()));
    expect(Math.min(...hours)).toBe(8);
    expect(Math.max(...hours)).toBe(15);
    expect(events.every((e) => e.customer_id !== null && e.topic !== null)).toBe(true);
  });
});
