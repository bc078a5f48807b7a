// Vendor adapters: pure mappings from each vendor's records and webhook deliveries to
// ContactEvents. Ingest serves the webhook endpoints and backfill reads the record formats; both
// share the adapter state, the validation of adapter output and the dead-letter headers.
import type { RecordFormat, Vendor, VendorEndpoint } from './common';
import { amazonConnectEndpoint, amazonConnectFormats } from './amazon-connect/index';
import { twilioEndpoint, twilioFormats } from './twilio/index';
import { genesysEndpoint, genesysFormats } from './genesys/index';
import { zendeskEndpoint, zendeskFormats } from './zendesk/index';

// vendors, record formats and mapping
export {
  MemoryState,
  RecordError,
  VENDORS,
  mapRecords,
  type AdapterState,
  type DeliveryOutcome,
  type HttpDelivery,
  type HttpReply,
  type Vendor,
  type VendorEndpoint,
} from './common';

// adapter output that fails validation, and its dead letters
export { describeInvalid, validateAdapterEvents } from './validation';
export { ADAPTER_LETTER_HEADERS } from './dead-letters';

/** Every record format the backfill CLI can read, by name. */
export const RECORD_FORMATS: readonly RecordFormat[] = [...amazonConnectFormats, ...twilioFormats, ...genesysFormats, ...zendeskFormats];

/** The webhook endpoints, by the vendor name in POST /v1/adapters/{vendor}. */
export const VENDOR_ENDPOINTS: ReadonlyMap<Vendor, VendorEndpoint> = new Map(
  [amazonConnectEndpoint, twilioEndpoint, genesysEndpoint, zendeskEndpoint].filter((e): e is VendorEndpoint => e !== null).map((e) => [e.vendor, e]),
);
