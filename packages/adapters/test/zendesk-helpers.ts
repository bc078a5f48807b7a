// Shared by the Zendesk tests: fixtures, a mapping context, the expected-event builder, and
// the check the ingest route runs on every adapter event.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
import { expectRouteAccepts } from './route-validation';
import { mapRecords, MemoryState, pseudonymize, type DeliveryOutcome, type MapContext, type RecordFormat } from '../src/common';
import { zendeskFormats } from '../src/zendesk/index';

export const TENANT = 'acme';
/** the receiver's clock for the future-skew check: after every fixture day */
export const NOW = Date.parse('2026-12-02T12:00:00.000Z');
const DIR = join(import.meta.dirname, 'fixtures', 'zendesk');

export function fixtureText(name: string): string {
  return readFileSync(join(DIR, name), 'utf8');
}

/** a JSON-lines fixture, one record per line */
export function lines<T = Record<string, unknown>>(name: string): T[] {
  return fixtureText(name).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
}

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

/**
 * The options the sample day is mapped with, as a tenant would configure them on its zendesk
 * credential: group names, and the custom field holding the contact reason.
 */
export const SAMPLE_DAY_OPTIONS = { topicField: '360000111', groups: { '360001': 'billing', '360002': 'technical', '360003': 'sales', '360004': 'tier2' } };

export function ctx(options?: Record<string, unknown>): MapContext {
  return { tenant: TENANT, state: new MemoryState({ maxEntries: 10_000, ttlMs: 24 * 3600_000, now: () => NOW }), ...(options ? { options } : {}) };
}

export const at = (iso: string) => Date.parse(iso);
export const customer = (requesterId: string) => pseudonymize(TENANT, requesterId);

export function format(name: string): RecordFormat {
  const f = zendeskFormats.find((x) => x.name === name);
  if (!f) throw new Error(`no format ${name}`);
  return f;
}

/** An expected event: the tenant and source every Zendesk event carries, nulls for the rest. */
export function ev(init: Omit<ContactEventInit, 'tenant_id' | 'source'>): ContactEvent {
  return makeEvent({ tenant_id: TENANT, source: 'zendesk', ...init });
}

/** What the ingest route does to adapter output: every event must validate unchanged. */
export function expectValid(events: ContactEvent[]): void {
  expectRouteAccepts(events, TENANT, 'zendesk', NOW);
}

/** Maps records with one format the way the backfill CLI does, and validates every event. */
export function mapAll(formatName: string, records: unknown[], c: MapContext = ctx()): DeliveryOutcome {
  const out = mapRecords(format(formatName), records, c);
  expectValid(out.events);
  return out;
}
