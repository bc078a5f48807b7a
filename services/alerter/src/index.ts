// The alerter service's public surface: the service single-node runs and its config, and the
// alert events it delivers with the headers and signature a webhook receiver checks.

// the service and its config
export { createAlerter } from './service';
export { Alerter } from './alerter';
export { alerterConfig, alerterEnvSchema } from './config';
export { alerterOpenApi } from './openapi';

// delivered alert events and their signature
export { type AlertEvent } from './events';
export { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign } from './notifier';
