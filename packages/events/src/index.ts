// The ContactEvent: its TypeScript shape and vocabularies, the Avro codec every Kafka message
// goes through, and the validation ingest and the adapters run on incoming events. Schema
// loading, fingerprints and compatibility checks stay internal to this package.

// the event and its vocabularies
export {
  AGENT_STATES,
  BUSINESS_KINDS,
  CHANNELS,
  EVENT_TYPES,
  PRIORITIES,
  SURVEY_KINDS,
  makeEvent,
  type AgentState,
  type BusinessKind,
  type Channel,
  type ContactEvent,
  type ContactEventInit,
  type Direction,
  type EventType,
  type Priority,
  type SurveyKind,
} from './types.js';

// the wire codec, its content types and the schema registry
export { CONTENT_TYPES, CONTENT_TYPE_HEADER, ContactEventCodec, DecodeError, sniffContentType, type WriterSchemaSource } from './codec.js';
export { SchemaRegistryClient, SchemaRegistryError, valueSubject, type SchemaRegistryConfig } from './registry.js';

// validation
export { DEFAULT_LATE_HORIZON_HOURS, JSON_EVENT_FIELDS, isRealDateTime, jsonEventSchema, semanticProblems, validateEvent, type FieldError, type JsonEventInput } from './validate.js';
