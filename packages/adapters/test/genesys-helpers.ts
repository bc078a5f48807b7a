// Shared by the Genesys tests: fixtures, a mapping context, the expected-event builder, and
// the check the ingest route runs on every adapter event.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
import { expectRouteAccepts } from './route-validation';
import { MemoryState, type MapContext } from '../src/common';

export const TENANT = 'acme';
/** the receiver's clock for the future-skew check: after every fixture day */
export const NOW = Date.parse('2026-12-02T12:00:00.000Z');
const DIR = join(import.meta.dirname, 'fixtures', 'genesys');

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(DIR, name), 'utf8')) as T;
}

export function fixtureText(name: string): string {
  return readFileSync(join(DIR, name), 'utf8');
}

export function ctx(options?: Record<string, unknown>): MapContext {
  return { tenant: TENANT, state: new MemoryState({ maxEntries: 1000, ttlMs: 24 * 3600_000, now: () => NOW }), ...(options ? { options } : {}) };
}

export const at = (iso: string) => Date.parse(iso);

/** An expected event: the tenant and source every Genesys event carries, nulls for the rest. */
export function ev(init: Omit<ContactEventInit, 'tenant_id' | 'source'>): ContactEvent {
  return makeEvent({ tenant_id: TENANT, source: 'genesys', ...init });
}

/** What the ingest route does to adapter output: every event must validate unchanged. */
export function expectValid(events: ContactEvent[]): void {
  expectRouteAccepts(events, TENANT, 'genesys', NOW);
}
