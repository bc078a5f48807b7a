import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { RecordError, mapRecords, type HttpDelivery } from '../src/common';
import { amazonConnectEndpoint, amazonConnectFormats } from '../src/amazon-connect/index';
import { NOW, clone, ctxOf, expectValid, fixture, type Json } from './amazon-connect-helpers';

const endpoint = amazonConnectEndpoint;
const any = amazonConnectFormats.find((f) => f.name === 'amazon-connect')!;
const SECRET = 'fh-access-key-0123456789';
const REQUEST_ID = 'ed4acda5-034f-9f42-bba1-f29aea6d7d8f';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const envelope = (datas: string[]) => JSON.stringify({ requestId: REQUEST_ID, timestamp: NOW - 2000, records: datas.map((data) => ({ data })) });

function delivery(body: string, headers: Record<string, string> = {}): HttpDelivery {
  return {
    url: 'https://switchboard.example.com/v1/adapters/amazon-connect',
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-amz-firehose-protocol-version': '1.0',
      'x-amz-firehose-request-id': REQUEST_ID,
      'x-amz-firehose-source-arn': 'arn:aws:firehose:eu-west-2:111122223333:deliverystream/connect-ctr',
      'x-amz-firehose-access-key': SECRET,
      ...headers,
    },
    rawBody: body,
    contentType: 'application/json',
    now: NOW,
  };
}

const answered: Json = fixture('ctr-answered-hold-acw.json');
const abandoned: Json = fixture('ctr-abandoned.json');
const login: Json = fixture('agent-login.json');
const heartbeat: Json = { ...clone(login), EventType: 'HEART_BEAT', EventId: '0b1f4c2a-8d3e-4e7f-9a10-000000000002', PreviousAgentSnapshot: clone(login.CurrentAgentSnapshot) };

describe('amazon-connect Firehose endpoint', () => {
  it('is the amazon-connect endpoint for Firehose JSON', () => {
    expect(endpoint.vendor).toBe('amazon-connect');
    expect(endpoint.source).toBe('amazon_connect');
    expect(endpoint.contentTypes).toEqual(['application/json']);
  });

  it('verifies the access key Firehose sends, in constant time', () => {
    expect(endpoint.verify(delivery('{}'), SECRET)).toBeNull();
    expect(endpoint.verify(delivery('{}', { 'x-amz-firehose-access-key': 'fh-access-key-0123456788' }), SECRET)).toBe(
      'X-Amz-Firehose-Access-Key does not match the configured access key',
    );
    expect(endpoint.verify(delivery('{}', { 'x-amz-firehose-access-key': 'short' }), SECRET)).toBe('X-Amz-Firehose-Access-Key does not match the configured access key');
    const none = delivery('{}');
    delete none.headers['x-amz-firehose-access-key'];
    expect(endpoint.verify(none, SECRET)).toBe('missing X-Amz-Firehose-Access-Key header');
    // headers as another server might pass them, not lower-cased
    const cased = delivery('{}');
    delete cased.headers['x-amz-firehose-access-key'];
    cased.headers['X-Amz-Firehose-Access-Key'] = SECRET;
    expect(endpoint.verify(cased, SECRET)).toBeNull();
  });

  it('decodes every record, CTRs and agent events mixed, and maps them as the formats do', () => {
    const body = envelope([b64(JSON.stringify(answered)), b64(JSON.stringify(login)), b64(JSON.stringify(heartbeat)), b64(JSON.stringify(abandoned))]);
    const out = endpoint.handle(delivery(body), ctxOf());
    const expected = mapRecords(any, [answered, login, heartbeat, abandoned], ctxOf());
    expect(out).toEqual(expected);
    expect(out.rejected).toEqual([]);
    expect(out.ignored).toBe(1);
    expect(out.events.map((e) => e.type)).toEqual([
      'contact_created', 'queued', 'answered', 'contact_ended', 'wrapup_completed', 'survey_response', 'agent_state_changed', 'contact_created', 'queued', 'abandoned',
    ]);
    expectValid(out.events);
  });

  it('splits a record holding several documents, newline-separated or concatenated', () => {
    const one = envelope([b64(`${JSON.stringify(answered)}\n${JSON.stringify(abandoned)}\n`)]);
    const two = envelope([b64(JSON.stringify(answered) + JSON.stringify(abandoned))]);
    const expected = mapRecords(any, [answered, abandoned], ctxOf()).events;
    expect(endpoint.handle(delivery(one), ctxOf()).events).toEqual(expected);
    expect(endpoint.handle(delivery(two), ctxOf()).events).toEqual(expected);
  });

  it('a Firehose retry of the same request maps to nothing new', () => {
    const body = envelope([b64(JSON.stringify(answered)), b64(JSON.stringify(abandoned))]);
    const ctx = ctxOf();
    const first = endpoint.handle(delivery(body), ctx);
    expect(first.events).toHaveLength(9);
    expect(endpoint.handle(delivery(body), ctx)).toEqual({ events: [], ignored: 2, rejected: [] });
  });

  it('rejects the records it cannot read, with their position, and maps the rest', () => {
    const noId = clone(answered);
    delete noId.ContactId;
    const body = JSON.stringify({
      requestId: REQUEST_ID,
      timestamp: NOW,
      records: [
        { data: b64(JSON.stringify(abandoned)) },
        { data: 'not base64!' },
        { data: b64('{"ContactId": "x", ') },
        { data: b64(JSON.stringify({ hello: 'world' })) },
        { nodata: true },
        { data: b64(`${JSON.stringify(noId)}\n${JSON.stringify(login)}`) },
      ],
    });
    const out = endpoint.handle(delivery(body), ctxOf());
    expect(out.rejected).toEqual([
      { index: 1, reason: 'records[1].data: not base64' },
      { index: 2, reason: 'records[2].data: truncated JSON document' },
      { index: 3, reason: 'records[3]: record is neither a contact record (ContactId) nor an agent event (EventType with AgentARN)' },
      { index: 4, reason: 'records[4].data: required (base64 string)' },
      { index: 5, reason: 'records[5] document 0: ContactId: required' },
    ]);
    expect(out.events.map((e) => e.type)).toEqual(['contact_created', 'queued', 'abandoned', 'agent_state_changed']);
  });

  it('refuses a body that is no Firehose envelope, and says so for GZIP', () => {
    const reason = (d: HttpDelivery) => {
      try {
        endpoint.handle(d, ctxOf());
      } catch (err) {
        if (err instanceof RecordError) return err.reason;
        throw err;
      }
      return 'no error';
    };
    expect(reason(delivery('[1,2'))).toBe('body is not JSON (expected the Firehose envelope {requestId, timestamp, records})');
    expect(reason(delivery('{"requestId":"x"}'))).toBe('records: required (the Firehose envelope {requestId, timestamp, records})');
    const gz = gzipSync(envelope([])).toString('latin1');
    expect(reason(delivery(gz, { 'content-encoding': 'gzip' }))).toMatch(/^body is GZIP-compressed/);
    expect(endpoint.handle(delivery(envelope([])), ctxOf())).toEqual({ events: [], ignored: 0, rejected: [] });
  });

  it('answers Firehose with its requestId and a timestamp, and errors in its error shape', () => {
    const d = delivery(envelope([]));
    expect(endpoint.reply(d, { events: [], ignored: 0, rejected: [] })).toEqual({
      status: 200, headers: { 'content-type': 'application/json' }, body: { requestId: REQUEST_ID, timestamp: NOW },
    });
    expect(endpoint.errorReply!(d, 401, 'X-Amz-Firehose-Access-Key does not match the configured access key')).toEqual({
      status: 401, headers: { 'content-type': 'application/json' },
      body: { requestId: REQUEST_ID, timestamp: NOW, errorMessage: 'X-Amz-Firehose-Access-Key does not match the configured access key' },
    });
    // without the header, the id comes from the body
    const bare = delivery(envelope([]));
    delete bare.headers['x-amz-firehose-request-id'];
    expect(endpoint.reply(bare, { events: [], ignored: 0, rejected: [] }).body).toEqual({ requestId: REQUEST_ID, timestamp: NOW });
  });
});
