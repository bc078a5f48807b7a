export * from './common';
export * from './dead-letters';
export * from './validation';
import type { RecordFormat, Vendor, VendorEndpoint } from './common';
import { amazonConnectEndpoint, amazonConnectFormats } from './amazon-connect/index';
import { twilioEndpoint, twilioFormats } from './twilio/index';
import { genesysEndpoint, genesysFormats } from './genesys/index';
import { zendeskEndpoint, zendeskFormats } from './zendesk/index';

export { amazonConnectEndpoint, amazonConnectFormats, twilioEndpoint, twilioFormats, genesysEndpoint, genesysFormats, zendeskEndpoint, zendeskFormats };

/** Every record format the backfill CLI can read, by name. */
export const RECORD_FORMATS: readonly RecordFormat[] = [...amazonConnectFormats, ...twilioFormats, ...genesysFormats, ...zendeskFormats];

/** The webhook endpoints, by the vendor name in POST /v1/adapters/{vendor}. */
export const VENDOR_ENDPOINTS: ReadonlyMap<Vendor, VendorEndpoint> = new Map(
  [amazonConnectEndpoint, twilioEndpoint, genesysEndpoint, zendeskEndpoint].filter((e): e is VendorEndpoint => e !== null).map((e) => [e.vendor, e]),
);
