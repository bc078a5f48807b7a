// Placeholder until the twilio adapter lands: no formats, no endpoint.
import type { RecordFormat, VendorEndpoint } from '../common';

export const twilioFormats: RecordFormat[] = [];
export const twilioEndpoint: VendorEndpoint | null = null;
