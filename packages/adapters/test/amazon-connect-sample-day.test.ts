import { describe, expect, it } from 'vitest';
import { mapRecords, type RecordFormat } from '../src/common';
import { amazonConnectEndpoint, amazonConnectFormats } from '../src/amazon-connect/index';
import { NOW, ctxOf, expectValid, jsonLines } from './amazon-connect-helpers';

const format = (name: string) => amazonConnectFormats.find((f) => f.name === name) as RecordFormat;
const ctrs = jsonLines('sample-day.jsonl');
const agentEvents = jsonLines('sample-day-agents.jsonl');

const countBy = <T>(xs: T[], key: (x: T) => string) => {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
};

describe('amazon-connect sample day', () => {
  it('maps every contact record without a rejection', () => {
    const out = mapRecords(format('amazon-connect-ctr'), ctrs, ctxOf());
    expect(out.rejected).toEqual([]);
    expectValid(out.events);
    expect(ctrs).toHaveLength(47);
    // the exact duplicate, the older copy after the newer, and nothing else, map to nothing
    expect(out.ignored).toBe(2);
    expect(countBy(out.events, (e) => e.type)).toEqual(EXPECTED_CTR);
    expect(new Set(out.events.map((e) => e.event_id)).size).toBe(out.events.length);
  });

  it('maps every agent event without a rejection', () => {
    const out = mapRecords(format('amazon-connect-agent-event'), agentEvents, ctxOf());
    expect(out.rejected).toEqual([]);
    expectValid(out.events);
    expect(countBy(out.events, (e) => `${e.previous_agent_state}→${e.agent_state}`)).toEqual(EXPECTED_AGENT);
    expect(agentEvents).toHaveLength(137);
    expect(out.events).toHaveLength(114);
    expect(out.ignored).toBe(23);
  });

  it('maps the same through the Firehose endpoint, both streams mixed in one delivery', () => {
    const lines = [...ctrs, ...agentEvents];
    const body = JSON.stringify({ requestId: 'r-1', timestamp: NOW, records: lines.map((r) => ({ data: Buffer.from(JSON.stringify(r)).toString('base64') })) });
    const via = amazonConnectEndpoint.handle({ url: 'https://x/v1/adapters/amazon-connect', method: 'POST', headers: {}, rawBody: body, contentType: 'application/json', now: NOW }, ctxOf());
    const direct = [...mapRecords(format('amazon-connect-ctr'), ctrs, ctxOf()).events, ...mapRecords(format('amazon-connect-agent-event'), agentEvents, ctxOf()).events];
    expect(via.rejected).toEqual([]);
    expect(new Set(via.events.map((e) => JSON.stringify(e)))).toEqual(new Set(direct.map((e) => JSON.stringify(e))));
  });
});

// 43 legs (47 lines less 4 extra copies): 18 answered calls, 6 abandons (3 under 5 s), 1 flow-out,
// 6 chats and 1 abandoned chat, 2 agent transfers (2 legs each), 1 queue transfer (2 legs),
// 2 outbound calls, 2 IVR-only calls (1 self-served), 1 task
const EXPECTED_CTR: Record<string, number> = {
  contact_created: 40, queued: 39, answered: 30, abandoned: 7, agent_message: 6, transferred: 3,
  contact_ended: 32, wrapup_completed: 32, survey_response: 20, resolved: 6, self_service_resolved: 1,
};
// 5 agents: log in, 32 handled legs (busy → after-contact work → available), 4 breaks, log out
const EXPECTED_AGENT: Record<string, number> = {
  'offline→available': 5, 'available→busy': 32, 'busy→after_call_work': 32, 'after_call_work→available': 32,
  'available→away': 4, 'away→available': 4, 'available→offline': 5,
};
