// Amazon Connect: contact records (CTR) and the agent event stream, from Firehose or from files.
import type { RecordFormat, VendorEndpoint } from '../common';
import { firehoseEndpoint } from './endpoint';
import { agentEventFormat, anyFormat, ctrFormat } from './formats';

export const amazonConnectFormats: RecordFormat[] = [ctrFormat, agentEventFormat, anyFormat];
export const amazonConnectEndpoint: VendorEndpoint = firehoseEndpoint;
