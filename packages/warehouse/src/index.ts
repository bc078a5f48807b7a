// The warehouse: everything that knows how Switchboard's data sits in ClickHouse — the
// client, the numbered migrations, the writers (one tokened insert for every table) and the
// readers (KPI tables, history, realtime state), with the part fingerprint the read caches
// share (docs/architecture.md, "The warehouse package"). Services reach ClickHouse only
// through what is exported here.

// connection and schema
export { openStore, storeTargetFromEnv, type Store, type StoreTarget } from './client';
export { StoreComponent } from './component';
export { loadMigrations, migrate, type Migration } from './migrate';
export {
  BusinessConfigBook,
  BusinessConfigStore,
  businessConfigEnvSchema,
  loadBusinessConfigFiles,
  rawMapping,
  type BusinessConfigBookOptions,
  type BusinessConfigEnv,
  type BusinessConfigFiles,
  type CalendarEntry,
  type SlaEntry,
} from './business-config';
export { BI_VIEWS, BI_VIEW_SOURCES, biUserName, biUserStatements, dropBiUserStatements, type BiUserSpec } from './bi-users';

// writing
export { InsertStats, RowBinary, tokenedInsert, tsvMap, tsvString, tsvTime64, type TokenedInsert } from './insert';
export { aggregateMinuteRows, toInsertRow, wideMeasures, type AggregateRow } from './rows';
export { KpiWriter } from './kpi-writer';
export { StateWriter } from './state-writer';
export { FcrFactWriter } from './fcr-facts';
export { EventLedger, type EventId } from './event-ledger';

// reading
export { MAX_WINDOWS, type KpiQuery } from './kpi-query';
export { windowSource, type WindowSource } from './window-source';
export { readKpiTable, readKpis, windowRowsQuery, type KpiTable, type Point, type ReadKpiOptions, type Series } from './kpi-reader';
export { DEFAULT_LOOKBACK_H, MAX_LOOKBACK_H, REALTIME_DIMENSIONS, type RealtimeDimension, type RealtimeQuery } from './realtime-query';
export { AGENT_STATES, RealtimeReader, readRealtime, type RealtimeGroup, type RealtimeReaderOptions } from './realtime-reader';
export { readOpenTickets, type OpenTicket } from './open-tickets';
export { activeParts, engineCounters, partKey, partsFingerprint, partsOverlapping, type ActivePart, type EngineCounters } from './parts';
