// The backfill service's public surface: the operator's tools that put records into the
// pipeline — loading history files, and reading and replaying the dead-letter topic.

// backfilling files
export { backfill } from './backfill';

// CSV mapping and dead-letter remapping
export { loadCsvMapping } from './csv-mapping';
export { remapDeadLetter } from './remap';

// reading and replaying the dead-letter topic (npm run dlq)
export { readDlq, replayDlq, type DeadLetterRecord } from './dlq-tools';
