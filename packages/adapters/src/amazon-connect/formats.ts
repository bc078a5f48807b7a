// The record formats the backfill CLI names with --format, and the per-record detection the
// Firehose endpoint uses: Connect can be set to write contact records and agent events to the
// same Kinesis stream, and a consumer that assumes one shape breaks on the other.
import { RecordError, asObject, type MapContext, type MapResult, type RecordFormat } from '../common';
import { isAgentEventShape, mapAgentEvent } from './agent-events';
import { isCtrShape } from './ctr';
import { mapCtr } from './ctr-versions';
import { SOURCE } from './dimensions';

export type RecordKind = 'ctr' | 'agent-event';

export function kindOf(record: unknown): RecordKind {
  const r = asObject(record, 'record');
  if (isAgentEventShape(r)) return 'agent-event';
  if (isCtrShape(r)) return 'ctr';
  throw new RecordError('record is neither a contact record (ContactId) nor an agent event (EventType with AgentARN)');
}

export function mapAny(record: unknown, ctx: MapContext): MapResult {
  return kindOf(record) === 'ctr' ? mapCtr(record, ctx) : mapAgentEvent(record, ctx);
}

export const ctrFormat: RecordFormat = {
  name: 'amazon-connect-ctr',
  vendor: 'amazon-connect',
  source: SOURCE,
  description: 'Amazon Connect contact records (CTR, format 2017-03-10), one JSON object per record as Kinesis / Firehose deliver them',
  map(record, ctx) {
    if (kindOf(record) !== 'ctr') throw new RecordError('an agent event, not a contact record: use --format amazon-connect-agent-event or amazon-connect');
    return mapCtr(record, ctx);
  },
};

export const agentEventFormat: RecordFormat = {
  name: 'amazon-connect-agent-event',
  vendor: 'amazon-connect',
  source: SOURCE,
  description: 'Amazon Connect agent event stream records (version 2019-05-25): LOGIN, LOGOUT, STATE_CHANGE; HEART_BEAT ignored',
  map(record, ctx) {
    if (kindOf(record) !== 'agent-event') throw new RecordError('a contact record, not an agent event: use --format amazon-connect-ctr or amazon-connect');
    return mapAgentEvent(record, ctx);
  },
};

export const anyFormat: RecordFormat = {
  name: 'amazon-connect',
  vendor: 'amazon-connect',
  source: SOURCE,
  description: 'Amazon Connect contact records and agent events mixed in one stream, told apart per record by their shape',
  map: mapAny,
};
