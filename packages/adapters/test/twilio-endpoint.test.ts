// POST /v1/adapters/twilio as the route drives it: verify the signature, handle the body, reply.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryState, RecordError, type HttpDelivery } from '../src/common';
import { twilioEndpoint } from '../src/twilio/index';
import { twilioSignature } from '../src/twilio/signature';
import { NOW, TENANT, expectValid, fixture } from './twilio-helpers';

const TOKEN = '12345678901234567890123456789012';
const URL_ = 'https://switchboard.example.com/v1/adapters/twilio';
const call = fixture<Record<string, string>[]>('callback-voice-call.json');
const chats = fixture<unknown[]>('es-chat.json');

function formDelivery(params: Record<string, string>, opts: { url?: string; signature?: string; token?: string } = {}): HttpDelivery {
  const rawBody = new URLSearchParams(params).toString();
  const url = opts.url ?? URL_;
  return {
    url, method: 'POST', rawBody, contentType: 'application/x-www-form-urlencoded', now: NOW,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': opts.signature ?? twilioSignature(opts.token ?? TOKEN, url, rawBody) },
  };
}

function jsonDelivery(body: unknown, opts: { hash?: string; token?: string; contentType?: string } = {}): HttpDelivery {
  const rawBody = JSON.stringify(body);
  const url = `${URL_}?bodySHA256=${opts.hash ?? createHash('sha256').update(rawBody).digest('hex')}`;
  const contentType = opts.contentType ?? 'application/json';
  return { url, method: 'POST', rawBody, contentType, now: NOW, headers: { 'content-type': contentType, 'x-twilio-signature': twilioSignature(opts.token ?? TOKEN, url, null) } };
}

const ctx = () => ({ tenant: TENANT, state: new MemoryState() });

describe('signature', () => {
  const accepted = call[4]!;

  it('accepts a form post signed with the auth token over URL + sorted parameters', () => {
    expect(twilioEndpoint.verify(formDelivery(accepted), TOKEN)).toBeNull();
  });

  it('matches the algorithm by hand: base64 HMAC-SHA1 of the URL then each name and value, sorted by name', () => {
    const params = { TaskSid: 'WT1', EventType: 'task.created', AccountSid: 'AC1' };
    const expected = createHmac('sha1', TOKEN).update(`${URL_}AccountSidAC1EventTypetask.createdTaskSidWT1`).digest('base64');
    expect(twilioEndpoint.verify(formDelivery(params, { signature: expected }), TOKEN)).toBeNull();
    // values are signed decoded: `+` is a space, %-escapes are their characters
    const raw = 'TaskAttributes=%7B%22from%22%3A%22%2B14155550101%22%7D&EventDescription=Task+WT1+created';
    const decoded = createHmac('sha1', TOKEN).update(`${URL_}EventDescriptionTask WT1 createdTaskAttributes{"from":"+14155550101"}`).digest('base64');
    const d = { ...formDelivery({}), rawBody: raw };
    expect(twilioEndpoint.verify({ ...d, headers: { ...d.headers, 'x-twilio-signature': decoded } }, TOKEN)).toBeNull();
  });

  it('refuses a bad signature, another account\'s token, a tampered body and a missing header', () => {
    expect(twilioEndpoint.verify(formDelivery(accepted, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }), TOKEN)).toMatch(/^X-Twilio-Signature does not match/);
    expect(twilioEndpoint.verify(formDelivery(accepted, { token: 'another-accounts-token-0000000000' }), TOKEN)).toMatch(/^X-Twilio-Signature does not match/);
    const signed = formDelivery(accepted);
    const tampered = { ...signed, rawBody: signed.rawBody.replace('TaskAge=42', 'TaskAge=2') };
    expect(tampered.rawBody).not.toBe(signed.rawBody);
    expect(twilioEndpoint.verify(tampered, TOKEN)).toMatch(/^X-Twilio-Signature does not match/);
    const { 'x-twilio-signature': _s, ...headers } = signed.headers;
    expect(twilioEndpoint.verify({ ...signed, headers }, TOKEN)).toBe('X-Twilio-Signature header missing');
  });

  it('accepts the URL with or without the default port, as Twilio signs either', () => {
    const body = new URLSearchParams(accepted).toString();
    const signedWithPort = twilioSignature(TOKEN, 'https://switchboard.example.com:443/v1/adapters/twilio', body);
    expect(twilioEndpoint.verify(formDelivery(accepted, { signature: signedWithPort }), TOKEN)).toBeNull();
    const signedWithout = twilioSignature(TOKEN, URL_, body);
    expect(twilioEndpoint.verify(formDelivery(accepted, { url: 'https://switchboard.example.com:443/v1/adapters/twilio', signature: signedWithout }), TOKEN)).toBeNull();
    // but not another scheme: a proxy that turns https into http breaks the signature
    const overHttp = twilioSignature(TOKEN, 'http://switchboard.example.com/v1/adapters/twilio', body);
    expect(twilioEndpoint.verify(formDelivery(accepted, { signature: overHttp }), TOKEN)).toMatch(/does not match/);
  });

  it('verifies an Event Streams JSON body through bodySHA256 in the signed URL', () => {
    expect(twilioEndpoint.verify(jsonDelivery(chats), TOKEN)).toBeNull();
    const signed = jsonDelivery(chats);
    expect(twilioEndpoint.verify({ ...signed, rawBody: signed.rawBody.replace('carol', 'mallory') }, TOKEN)).toBe('the body does not match its bodySHA256');
    expect(twilioEndpoint.verify(jsonDelivery(chats, { token: 'another-accounts-token-0000000000' }), TOKEN)).toMatch(/does not match/);
    const noHash = { ...signed, url: URL_, headers: { ...signed.headers, 'x-twilio-signature': twilioSignature(TOKEN, URL_, null) } };
    expect(twilioEndpoint.verify(noHash, TOKEN)).toMatch(/must carry bodySHA256/);
  });

  it('follows X-Twilio-Webhooks-Signature-Settings to HMAC-SHA256 with the rule\'s shared key', () => {
    const key = 'shared-key-of-the-webhooks-rule';
    const d = formDelivery(accepted);
    const sha256 = twilioSignature(key, URL_, d.rawBody, 'sha256');
    const headers = { ...d.headers, 'x-twilio-signature': sha256, 'x-twilio-webhooks-signature-settings': 'key=KS123,algorithm=HMAC_SHA256' };
    expect(twilioEndpoint.verify({ ...d, headers }, key)).toBeNull();
    expect(twilioEndpoint.verify({ ...d, headers: { ...headers, 'x-twilio-webhooks-signature-settings': 'algorithm=ROT13' } }, key)).toMatch(/unsupported algorithm/);
  });
});

describe('handle and reply', () => {
  it('maps one form-encoded callback and answers 204 with a JSON content type', () => {
    const c = ctx();
    const outs = call.map((r) => twilioEndpoint.handle(formDelivery(r), c));
    const events = outs.flatMap((o) => o.events);
    expectValid(events);
    expect(events.map((e) => e.type)).toEqual([
      'agent_state_changed', 'contact_created', 'queued', 'answered', 'agent_state_changed', 'contact_ended', 'agent_state_changed', 'wrapup_completed', 'agent_state_changed',
    ]);
    expect(outs.reduce((n, o) => n + o.ignored, 0)).toBe(2);
    const d = formDelivery(call[1]!);
    expect(twilioEndpoint.reply(d, outs[1]!)).toEqual({ status: 204, headers: { 'content-type': 'application/json' } });
  });

  it('maps an Event Streams batch, counting records it cannot map by their position', () => {
    const broken = { ...(chats[3] as Record<string, unknown>), data: 'nope' };
    const test = { specversion: '1.0', type: 'com.twilio.eventstreams.test-event', source: 'Sink', id: 'AC1', time: '2026-12-01T09:00:00Z', data: { test_id: 'x' } };
    const out = twilioEndpoint.handle(jsonDelivery([...chats.slice(0, 3), broken, test], { contentType: 'application/cloudevents-batch+json' }), ctx());
    expectValid(out.events);
    expect(out.events.map((e) => e.type)).toEqual(['agent_state_changed', 'contact_created', 'queued']);
    expect(out.ignored).toBe(1);
    expect(out.rejected).toEqual([{ index: 3, reason: 'data: must be an object' }]);
  });

  it('takes a single CloudEvent too', () => {
    const out = twilioEndpoint.handle(jsonDelivery(chats[1], { contentType: 'application/cloudevents+json' }), ctx());
    expect(out.events.map((e) => e.type)).toEqual(['contact_created']);
  });

  it('throws RecordError (400) for a body that cannot be read at all', () => {
    const d = jsonDelivery([]);
    expect(() => twilioEndpoint.handle({ ...d, rawBody: '{not json' }, ctx())).toThrow(RecordError);
    expect(() => twilioEndpoint.handle({ ...d, rawBody: '42' }, ctx())).toThrow(/neither a CloudEvent/);
    expect(() => twilioEndpoint.handle({ ...formDelivery({}), rawBody: '' }, ctx())).toThrow(/empty form body/);
  });

  it('declares the vendor, its source and the media types Twilio sends', () => {
    expect(twilioEndpoint.vendor).toBe('twilio');
    expect(twilioEndpoint.source).toBe('twilio');
    expect(twilioEndpoint.contentTypes).toEqual(['application/x-www-form-urlencoded', 'application/json', 'application/cloudevents-batch+json', 'application/cloudevents+json']);
  });
});
