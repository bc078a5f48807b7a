// The backfill service's public surface: loading history files into the pipeline, and the CSV
// mapping and dead-letter remapping that replaying dead letters reuses.

// backfilling files
export { backfill } from './backfill';

// CSV mapping and dead-letter remapping
export { loadCsvMapping } from './csv-mapping';
export { remapDeadLetter } from './remap';
