// POST /v1/adapters/zendesk: the signature check, the body, the reply; and the exports the
// backfill CLI and the route look the adapter up by.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RECORD_FORMATS, VENDOR_ENDPOINTS } from '../src/index';
import { RecordError, type HttpDelivery } from '../src/common';
import { zendeskEndpoint, zendeskFormats } from '../src/zendesk/index';
import { zendeskSignature } from '../src/zendesk/signature';
import { ctx, expectValid, fixture, fixtureText } from './zendesk-helpers';

const SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
const SIGNED_AT = '2026-11-24T14:30:01Z';
const RECEIVED = Date.parse('2026-11-24T14:30:02Z');

function delivery(body: string, opts: { secret?: string; timestamp?: string; now?: number; headers?: Record<string, string | undefined> } = {}): HttpDelivery {
  const timestamp = opts.timestamp ?? SIGNED_AT;
  return {
    url: 'https://switchboard.example.com/v1/adapters/zendesk',
    method: 'POST',
    contentType: 'application/json',
    rawBody: body,
    now: opts.now ?? RECEIVED,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Zendesk Webhook',
      'x-zendesk-account-id': '22129848',
      'x-zendesk-webhook-id': '01JDQWEBHOOK0000000000000',
      'x-zendesk-webhook-invocation-id': '8350205582',
      'x-zendesk-webhook-signature': zendeskSignature(opts.secret ?? SECRET, timestamp, body),
      'x-zendesk-webhook-signature-timestamp': timestamp,
      ...opts.headers,
    },
  };
}

const agentComment = () => JSON.stringify(fixture<Record<string, unknown>>('webhooks.json').agent_comment);

describe('zendesk endpoint: signature', () => {
  it('is base64(HMAC-SHA256(secret, timestamp + raw body))', () => {
    const body = agentComment();
    expect(zendeskSignature(SECRET, SIGNED_AT, body)).toBe(createHmac('sha256', SECRET).update(SIGNED_AT + body).digest('base64'));
    expect(zendeskEndpoint.verify(delivery(body), SECRET)).toBeNull();
  });

  it('refuses another secret, a changed body, a changed timestamp', () => {
    const body = agentComment();
    const wrong = 'X-Zendesk-Webhook-Signature does not match the body and the signing secret';
    expect(zendeskEndpoint.verify(delivery(body, { secret: 'another-signing-secret' }), SECRET)).toBe(wrong);
    expect(zendeskEndpoint.verify({ ...delivery(body), rawBody: body.replace('"is_public":true', '"is_public":false') }, SECRET)).toBe(wrong);
    const d = delivery(body);
    d.headers['x-zendesk-webhook-signature-timestamp'] = '2026-11-24T14:30:00Z';
    expect(zendeskEndpoint.verify(d, SECRET)).toBe(wrong);
  });

  it('refuses a signed timestamp more than 5 minutes from the receiver clock (replay protection)', () => {
    const body = agentComment();
    expect(zendeskEndpoint.verify(delivery(body, { now: Date.parse(SIGNED_AT) + 4 * 60_000 }), SECRET)).toBeNull();
    expect(zendeskEndpoint.verify(delivery(body, { now: Date.parse(SIGNED_AT) + 6 * 60_000 }), SECRET))
      .toBe('X-Zendesk-Webhook-Signature-Timestamp 2026-11-24T14:30:01Z is 360 s old (at most 300 s; a replayed request?)');
    expect(zendeskEndpoint.verify(delivery(body, { now: Date.parse(SIGNED_AT) - 6 * 60_000 }), SECRET))
      .toBe('X-Zendesk-Webhook-Signature-Timestamp 2026-11-24T14:30:01Z is 360 s in the future (at most 300 s; a replayed request?)');
    expect(zendeskEndpoint.verify(delivery(body, { timestamp: 'yesterday' }), SECRET)).toBe('X-Zendesk-Webhook-Signature-Timestamp: timestamp "yesterday" has no UTC offset');
  });

  it('names a missing header; header names are case-insensitive', () => {
    const body = agentComment();
    expect(zendeskEndpoint.verify(delivery(body, { headers: { 'x-zendesk-webhook-signature': undefined } }), SECRET)).toBe('missing X-Zendesk-Webhook-Signature header');
    expect(zendeskEndpoint.verify(delivery(body, { headers: { 'x-zendesk-webhook-signature-timestamp': undefined } }), SECRET)).toBe('missing X-Zendesk-Webhook-Signature-Timestamp header');
    const d = delivery(body);
    const headers = { 'X-Zendesk-Webhook-Signature': d.headers['x-zendesk-webhook-signature'], 'X-Zendesk-Webhook-Signature-Timestamp': SIGNED_AT };
    expect(zendeskEndpoint.verify({ ...d, headers }, SECRET)).toBeNull();
  });
});

describe('zendesk endpoint: delivery', () => {
  it('maps the one event of the body, and answers 200 with the counts', () => {
    const d = delivery(agentComment());
    const outcome = zendeskEndpoint.handle(d, ctx());
    expectValid(outcome.events);
    expect(outcome.events.map((e) => [e.event_id, e.type, e.agent_id])).toEqual([['zd:2002:comment:91003', 'agent_message', '502']]);
    expect(zendeskEndpoint.reply(d, outcome)).toEqual({ status: 200, body: { events: 1, ignored: 0, rejected: 0 } });
  });

  it('a body that is no JSON object is a 400 (RecordError); a payload it cannot map is a rejection, not an error', () => {
    expect(() => zendeskEndpoint.handle(delivery('{"type":'), ctx())).toThrow(new RecordError('body is not JSON'));
    expect(() => zendeskEndpoint.handle(delivery('"zen:event-type:ticket.created"'), ctx())).toThrow(new RecordError('body must be a Zendesk event payload object'));
    const outcome = zendeskEndpoint.handle(delivery('{"type":"zen:event-type:ticket.created","id":"x","time":"2026-11-24T14:00:00Z","detail":{}}'), ctx());
    expect(outcome.rejected).toEqual([{ index: 0, reason: 'detail.id: required (or subject "zen:ticket:<id>")' }]);
  });

  it('speaks application/json as Zendesk does', () => {
    expect(zendeskEndpoint.vendor).toBe('zendesk');
    expect(zendeskEndpoint.source).toBe('zendesk');
    expect(zendeskEndpoint.contentTypes).toEqual(['application/json']);
  });
});

describe('zendesk exports', () => {
  it('four record formats and the endpoint, registered with the adapter package', () => {
    expect(zendeskFormats.map((f) => f.name)).toEqual(['zendesk-ticket-audit', 'zendesk-ticket-metric-event', 'zendesk-satisfaction-rating', 'zendesk-webhook']);
    for (const f of zendeskFormats) {
      expect(f.vendor).toBe('zendesk');
      expect(f.source).toBe('zendesk');
      expect(RECORD_FORMATS).toContain(f);
    }
    expect(VENDOR_ENDPOINTS.get('zendesk')).toBe(zendeskEndpoint);
    expect(fixtureText('webhooks.json').length).toBeGreaterThan(0);
  });
});
