// Placeholder until the amazon-connect adapter lands: no formats, no endpoint.
import type { RecordFormat, VendorEndpoint } from '../common';

export const amazonConnectFormats: RecordFormat[] = [];
export const amazonConnectEndpoint: VendorEndpoint | null = null;
