// Shared by the amazon-connect tests: fixtures, a context, an event builder, and the check
// the ingest route runs on adapter output (every event a test produces goes through it).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
import { expectRouteAccepts } from './route-validation';
import { MemoryState, type MapContext, type MapResult, type RecordFormat } from '../src/common';

export const TENANT = 'acme';
/** the receiver's clock: the day after the fixtures' day */
export const NOW = Date.parse('2026-11-25T00:00:00Z');
export const FIXTURES = fileURLToPath(new URL('./fixtures/amazon-connect/', import.meta.url));

export type Json = any;

export function fixture(name: string): Json {
  return JSON.parse(readFileSync(FIXTURES + name, 'utf8'));
}

export function jsonLines(name: string): Json[] {
  return readFileSync(FIXTURES + name, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

export function clone<T>(x: T): T {
  return structuredClone(x);
}

export function ctxOf(options?: Record<string, unknown>, state = new MemoryState()): MapContext {
  return { tenant: TENANT, state, ...(options ? { options } : {}) };
}

/** The events as the ingest route would accept them: each must pass validateEvent unchanged. */
export function expectValid(events: ContactEvent[]): ContactEvent[] {
  // ingest fills default survey scales; ours are always explicit, so nothing may change
  return expectRouteAccepts(events, TENANT, 'amazon_connect', NOW);
}

/** format.map with the route's validation of every event applied */
export function mapValid(format: RecordFormat, record: unknown, ctx: MapContext): MapResult {
  const m = format.map(record, ctx);
  expectValid(m.events);
  return m;
}

/** an expected event: the CTR-wide fields of the tests' tenant, the rest null */
export function ev(init: Omit<ContactEventInit, 'tenant_id' | 'source'>): ContactEvent {
  return makeEvent({ tenant_id: TENANT, source: 'amazon_connect', ...init } as ContactEventInit);
}

export const t = (iso: string) => Date.parse(iso);
