import { describe, expect, it } from 'vitest';
import { ContactEventCodec, makeEvent, type ContactEventInit } from '@switchboard/events';
import type { KafkaMessage } from 'kafkajs';
import { screenMessage } from '../src/screen';

const T = Date.parse('2026-11-22T10:00:30Z');
let n = 0;
const ev = (type: ContactEventInit['type'], extra: Partial<ContactEventInit> = {}) =>
  makeEvent({ event_id: `e${n++}`, tenant_id: 't', contact_id: 'c', type, occurred_at: T, channel: 'voice', direction: 'inbound', source: 'api', queue_id: 'q', ...extra });

describe('screenMessage', () => {
  const codec = new ContactEventCodec();
  const policy = { lateHorizonMs: 7 * 24 * 3600_000, maxFutureSkewMs: 300_000 };
  const msg = (value: Buffer | null): KafkaMessage => ({ key: null, value, offset: '0', timestamp: '0', attributes: 0, size: 0, headers: {} }) as unknown as KafkaMessage;
  const now = T + 1000;

  it('passes a good event', () => {
    const s = screenMessage(codec, msg(codec.encode(ev('queued'))), policy, now);
    expect(s.ok).toBe(true);
  });
  it('dead-letters undecodable bytes, with the reason', () => {
    const s = screenMessage(codec, msg(Buffer.from('hello')), policy, now);
    expect(s).toEqual({ ok: false, reason: expect.stringMatching(/^undecodable: .*magic/) });
    expect(screenMessage(codec, msg(null), policy, now)).toEqual({ ok: false, reason: 'empty message value' });
  });
  it('dead-letters events that decode but make no sense (a producer that skipped validation)', () => {
    const s = screenMessage(codec, msg(codec.encode(ev('answered'))), policy, now);
    expect(s).toEqual({ ok: false, reason: expect.stringMatching(/^invalid: wait_ms required/) });
  });
  it('dead-letters events past the lateness horizon or too far in the future', () => {
    expect(screenMessage(codec, msg(codec.encode(ev('queued', { occurred_at: now - 8 * 24 * 3600_000 }))), policy, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/^late:/) });
    expect(screenMessage(codec, msg(codec.encode(ev('queued', { occurred_at: now + 3600_000 }))), policy, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/^future:/) });
    expect(screenMessage(codec, msg(codec.encode(ev('queued', { occurred_at: now - 6 * 24 * 3600_000 }))), policy, now).ok).toBe(true);
  });
});
