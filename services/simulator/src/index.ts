// @switchboard/simulator: a deterministic contact-center traffic generator (pure) and a
// live, wall-clock-paced service around it that feeds a sink (HTTP ingest, Kafka, …).
export { Rng, WeightedTable, weightedChoice, hashString, logGamma } from './rng';
export {
  DEFAULT_INTRADAY, QUEUE_TEMPLATES, defaultQueues, erlangCAgents, modeOf, resolveQueue,
} from './model';
export type {
  Dist, GeneratorOptions, HandlingMode, OfflineWindow, QueueInput, QueueSpec, TopicSpec,
} from './model';
export { Engine, eventStream, generateEvents } from './generate';
export type { EngineStats } from './generate';
export { createSimulator, estimateEventsPerArrival } from './pace';
export type { Simulator, SimulatorConfig, SimulatorStats, Sink } from './pace';
