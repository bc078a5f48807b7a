// The two record formats, as the backfill CLI and the endpoint name them. Both read into the
// same TrEvent, so a task's lifecycle maps the same whichever feed (or mix of feeds) carried it.
import type { MapContext, MapResult, RecordFormat } from '../common';
import { asObject } from '../common';
import { mapTrEvent } from './lifecycle';
import { cloudEventType, fromCallback, fromCloudEvent } from './parse';
import { TWILIO_SOURCE } from './agent-state';

export const twilioTaskRouterFormat: RecordFormat = {
  name: 'twilio-taskrouter',
  vendor: 'twilio',
  source: TWILIO_SOURCE,
  description: 'TaskRouter workspace event callback: one event as its decoded form parameters (EventType, TaskSid, TimestampMs, …)',
  map: (record: unknown, ctx: MapContext): MapResult => mapTrEvent(fromCallback(record), ctx),
};

export const twilioEventStreamsFormat: RecordFormat = {
  name: 'twilio-event-streams',
  vendor: 'twilio',
  source: TWILIO_SOURCE,
  description: 'Twilio Event Streams CloudEvent of type com.twilio.taskrouter.* (data.payload snake_case); other products are ignored',
  map: (record: unknown, ctx: MapContext): MapResult => {
    // a sink subscribed to more than TaskRouter (or its test event) is not an error
    if (cloudEventType(asObject(record, 'cloudevent')) === null) return { events: [], ignored: 1 };
    return mapTrEvent(fromCloudEvent(record), ctx);
  },
};
