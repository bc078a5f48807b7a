// Genesys Cloud: analytics conversation detail records (file export / details jobs, and the
// route) and analytics detail events (EventBridge or notifications, and the route).
import type { RecordFormat, VendorEndpoint } from '../common';
import { mapConversation } from './conversation';
import { mapDetailEvent } from './detail-event';
import { makeGenesysEndpoint } from './endpoint';
import { SOURCE } from './enums';

export const genesysConversationFormat: RecordFormat = {
  name: 'genesys-conversation',
  vendor: 'genesys',
  source: SOURCE,
  description: 'Genesys Cloud analytics conversation detail record (participants, sessions, segments, metrics, surveys), one per line as a details job returns them',
  map: mapConversation,
};

export const genesysDetailEventFormat: RecordFormat = {
  name: 'genesys-detail-event',
  vendor: 'genesys',
  source: SOURCE,
  description: 'Genesys Cloud v2.detail.events.conversation.{id}.* event (acd.start, acd.end, user.end, acw, customer.start), as a notification {topicName, eventBody} or an EventBridge event',
  map: mapDetailEvent,
};

export const genesysFormats: RecordFormat[] = [genesysConversationFormat, genesysDetailEventFormat];
export const genesysEndpoint: VendorEndpoint = makeGenesysEndpoint(genesysConversationFormat, genesysDetailEventFormat);
