// Switchboard's producer SDK (docs/sdk.md): contact events, validated with ingest's rules,
// sent straight to Kafka (Avro, idempotent, batched, keyed per contact) or over HTTP to
// POST /v1/events (API key, retries with backoff on 429/503).

// the event, its vocabularies and codec (from @switchboard/events)
export {
  AGENT_STATES, BUSINESS_KINDS, CHANNELS, CONTENT_TYPES, EVENT_TYPES, SURVEY_KINDS, ContactEventCodec,
  type ContactEvent, type EventType, type Channel, type FieldError, type SchemaRegistryConfig,
} from '@switchboard/events';

// validation
export { EventValidationError, validateEvents, type EventInput, type ValidateOptions } from './validation.js';

// to Kafka
export { KafkaEventProducer, type KafkaProducerOptions } from './kafka.js';

// over HTTP
export { HttpEventClient, IngestHttpError, type HttpClientOptions, type SendResult } from './http.js';
