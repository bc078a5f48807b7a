// The KPI model: dimensions and time windows, the aggregate columns every event folds into, the
// quantities and catalogue of KPIs computed from them, the tables they are stored in, and a
// reference implementation that computes KPIs straight from events (for tests and benches).

// dimensions and windows
export { DIMENSIONS, dimValue, type Dimension } from './dimensions';
export {
  GRANULARITIES,
  GRANULARITY_IDS,
  granularityMs,
  isTimeZone,
  isZonedGrain,
  parseInstant,
  windowStart,
  zonedWindowEnd,
  zonedWindowStart,
  zonedWindowStarts,
  type Granularity,
} from './windows';

// options
export { DEFAULT_OPTIONS, MAX_THRESHOLD_S, kpiOptionsSchema, type KpiOptions } from './options';

// aggregates: the measures each event folds into
export {
  AGGREGATE_COLUMNS,
  DURATION_BUCKET_BASE,
  TOPIC_CODE_SEPARATOR,
  emptyMeasures,
  STATE_TIME_COLUMNS,
  emptyStateTime,
  widenStateTime,
  mergeStateTime,
  addStateTime,
  staffedMs,
  feedsAggregates,
  foldEvent,
  foldEventByMinute,
  MAX_STATE_SPAN_MS,
  stateSpan,
  mergeMeasures,
  NO_BUSINESS_CONFIG,
  type AggregateKind,
  type FoldContext,
  type SlaTarget,
  type SlaTargets,
  type AggregateName,
  type Measures,
  type StateTimeMeasures,
} from './aggregates';

// quantities and the KPI catalogue
export { isHistoryQuantity, quantityKey, type Quantity, type StaffingMeasure } from './quantities';
export { KPIS, KPI_BY_ID, KPI_IDS, kpiIdsAt, requiredQuantities, staffingGrainProblem, type KpiDefinition, type KpiUnit } from './catalogue';
export { STAFFING_AHT_TRAILING_MS, STAFFING_GRAINS, STAFFING_INTERVAL_MS, patienceMs, windowStaffing, type IntervalSums, type StaffingTarget } from './staffing';
export { TOP_TOPICS_DEFINITION, TOP_TOPICS_ID, rankTopics, type TopTopic } from './top-topics';

// stored tables
export { QUEUE_DIMENSIONS, STORED_TABLES, historySources, needsAgent, physicalTables, storedSource, type StoredTable } from './storage';

// reference computation from events
export { referenceSeries, type Series } from './reference';

// staffing: Erlang C (docs/staffing.md)
export { agentsRequired, agentsRequiredErlangA, agentsScheduled, erlangAServiceLevel, erlangB, erlangC, erlangServiceLevel, type Staffing, type StaffingInput } from './erlang';

// business calendars and business time (docs/business-hours.md)
export { WEEKDAYS, businessMs, calendarSchema, calendarVersionSchema, isOpenAt, localToInstant, type Calendar, type CalendarVersion, type Weekday } from './calendar';
export { CALENDAR_ID_RE, CalendarIndex, mappingProblems, tenantCalendarSchema, zodProblems, type ConfigProblem, type TenantCalendar } from './calendar-config';

// SLA policies (docs/sla.md)
export {
  MAX_SLA_TARGET_MINUTES,
  SLA_METRICS,
  slaPolicyListSchema,
  parseSlaPolicyList,
  slaPolicySchema,
  slaTargetsFor,
  slaVersionAt,
  type SlaMetric,
  type SlaPolicy,
  type SlaPolicyList,
  type SlaPolicyVersion,
} from './sla';
