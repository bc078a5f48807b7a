// Shared by the twilio tests: fixtures, a runner that validates every event it maps the way
// the ingest route does, and a builder for expected events.
import { readFileSync } from 'node:fs';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
import { expectRouteAccepts } from './route-validation';
import { MemoryState, mapRecords, type AdapterState, type DeliveryOutcome, type RecordFormat } from '../src/common';
import { twilioFormats } from '../src/twilio/index';

export const TENANT = 'acme';
/** the receiver's clock: the day after the fixtures' day */
export const NOW = Date.parse('2026-12-02T00:00:00Z');

export const callbackFormat = twilioFormats.find((f) => f.name === 'twilio-taskrouter')!;
export const streamsFormat = twilioFormats.find((f) => f.name === 'twilio-event-streams')!;

const DIR = new URL('./fixtures/twilio/', import.meta.url);

export function fixture<T = Record<string, unknown>[]>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as T;
}

export function jsonLines(name: string): Record<string, unknown>[] {
  return readFileSync(new URL(name, DIR), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** every event an adapter emits must pass what POST /v1/adapters runs on it */
export function expectValid(events: ContactEvent[]): void {
  expectRouteAccepts(events, TENANT, 'twilio', NOW);
}

export function run(format: RecordFormat, records: unknown[], opts: { state?: AdapterState; options?: Record<string, unknown> } = {}): DeliveryOutcome {
  const out = mapRecords(format, records, { tenant: TENANT, state: opts.state ?? new MemoryState(), ...(opts.options ? { options: opts.options } : {}) });
  expectValid(out.events);
  return out;
}

/** an expected event: the fields a test names, the rest as the adapter leaves them */
export function ev(init: Partial<ContactEvent> & Pick<ContactEvent, 'event_id' | 'contact_id' | 'type' | 'occurred_at'>): ContactEvent {
  return makeEvent({ tenant_id: TENANT, channel: 'voice', direction: 'inbound', source: 'twilio', ...init } as ContactEventInit);
}

export const at = (iso: string) => Date.parse(iso);
