// Twilio TaskRouter: the workspace event callback and Event Streams, one lifecycle mapping.
import type { RecordFormat } from '../common';
import { twilioEventStreamsFormat, twilioTaskRouterFormat } from './formats';

export { twilioEndpoint } from './endpoint';

export const twilioFormats: RecordFormat[] = [twilioTaskRouterFormat, twilioEventStreamsFormat];
