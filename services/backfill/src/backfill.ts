import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import { ADAPTER_LETTER_HEADERS, MemoryState, RECORD_FORMATS, RecordError, validateAdapterEvents, type AdapterState } from '@switchboard/adapters';
import type { ContactEvent } from '@switchboard/events';
import type { RawDeadLetter } from '@switchboard/kafka';
import type { CheckpointStore } from './checkpoint';
import { csvRowToEvent, CsvRowError, type CsvMapping } from './csv-mapping';
import { RateLimiter } from './rate';
import { readJsonRecords, type SourceRecord } from './records';

/** Formats of our own besides the vendors': normalized events as NDJSON, and CSV with a column mapping. */
export const OWN_FORMATS = ['ndjson', 'csv'] as const;
export const FORMAT_NAMES: readonly string[] = [...OWN_FORMATS, ...RECORD_FORMATS.map((f) => f.name)];

/** Where the backfill writes: Kafka in the CLI (Avro producer + DLQ), something else in a test. */
export interface BackfillSink {
  publish(events: ContactEvent[]): Promise<void>;
  deadLetter(letters: RawDeadLetter[]): Promise<void>;
}

export interface BackfillOptions {
  /** files, or directories read recursively in name order */
  paths: string[];
  format: string;
  tenant: string;
  /** events per second; 0 for as fast as Kafka acknowledges */
  rate: number;
  csvMapping?: CsvMapping;
  /** vendor adapter options (survey attribute names, topic field, …) */
  adapterOptions?: Record<string, unknown>;
  /** null: no resume, every run starts at the first record */
  checkpoints: CheckpointStore | null;
  /** ignore existing checkpoints (still writes new ones) */
  restart?: boolean;
  batchSize?: number;
  now?: () => number;
  onProgress?: (p: BackfillProgress) => void;
}

export interface BackfillProgress {
  file: string;
  fileIndex: number;
  files: number;
  bytes: number;
  totalBytes: number;
  events: number;
  rejected: number;
}

export interface FileReport {
  file: string;
  records: number;
  /** records skipped because an earlier run had already sent them */
  resumedFrom: number;
  events: number;
  ignored: number;
  rejected: number;
  alreadyDone: boolean;
}

export interface BackfillReport {
  files: FileReport[];
  events: number;
  ignored: number;
  rejected: number;
  /** the first reasons of rejected records, `file#record: reason` */
  problems: string[];
}

export function listFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const name of readdirSync(p).sort()) {
      if (!name.startsWith('.')) walk(join(p, name));
    }
    else out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

async function* readCsvRecords(path: string, mapping: CsvMapping): AsyncGenerator<SourceRecord> {
  const parser = createReadStream(path).pipe(parseCsv({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, info: true, delimiter: mapping.delimiter ?? ',' }));
  let index = 0;
  for await (const item of parser as AsyncIterable<{ info: { bytes: number }; record: Record<string, string> }>) {
    yield { index: index++, value: item.record, bytes: item.info.bytes };
  }
}

/** What mapping one record needs besides the record: the run's tenant, options and memory. */
export interface RecordMapping {
  format: string;
  tenant: string;
  csvMapping?: CsvMapping;
  adapterOptions?: Record<string, unknown>;
  state: AdapterState;
  now?: () => number;
}

/**
 * One record of a format → validated events, through the same validation as the HTTP edge;
 * throws RecordError with the reason when it cannot be mapped. Shared by the backfill and
 * the dead-letter replay, so a record replayed after a fix goes the same way a new one would.
 */
export function mapRecord(m: RecordMapping, record: unknown, index = 0): { events: ContactEvent[]; ignored: number } {
  const now = m.now ?? Date.now;
  const validated = (raw: unknown[], defaultSource: string): ContactEvent[] => {
    const { valid, invalid } = validateAdapterEvents(raw, m.tenant, defaultSource, now());
    if (invalid[0]) throw new RecordError(invalid[0].errors.map((x) => `${x.field || 'event'} ${x.reason}`).join('; '));
    return valid;
  };
  const vendor = RECORD_FORMATS.find((f) => f.name === m.format);
  if (vendor) {
    const out = vendor.map(record, { tenant: m.tenant, state: m.state, ...(m.adapterOptions ? { options: m.adapterOptions } : {}) });
    return { events: validated(out.events, vendor.source), ignored: out.ignored };
  }
  if (m.format === 'csv') {
    if (!m.csvMapping) throw new Error('the csv format needs a column mapping (--mapping file.yaml)');
    try {
      return { events: validated([csvRowToEvent(record as Record<string, string>, m.csvMapping, m.tenant)], 'csv'), ignored: 0 };
    } catch (err) {
      if (err instanceof CsvRowError) throw new RecordError(err.message);
      throw err;
    }
  }
  if (m.format === 'ndjson') return { events: validated([record], 'api'), ignored: 0 };
  throw new Error(`unknown format "${m.format}"; known: ${FORMAT_NAMES.join(', ')}`);
}

/**
 * Loads files into Kafka through the same mapping and validation as the HTTP edge. Records
 * that cannot be mapped go to the dead-letter topic with the reason (and are reported), never
 * silently dropped; progress is checkpointed only after Kafka acknowledged, so an interrupted
 * run resumes where it stopped, and deterministic event ids make a second run, or a resumed
 * batch sent twice, count once downstream.
 */
export async function backfill(opts: BackfillOptions, sink: BackfillSink): Promise<BackfillReport> {
  if (!FORMAT_NAMES.includes(opts.format)) throw new Error(`unknown format "${opts.format}"; known: ${FORMAT_NAMES.join(', ')}`);
  if (opts.format === 'csv' && !opts.csvMapping) throw new Error('the csv format needs a column mapping (--mapping file.yaml)');
  const files = listFiles(opts.paths);
  const batchSize = opts.batchSize ?? 1000;
  const limiter = new RateLimiter(opts.rate);
  // one memory for the whole run: a CTR's versions or a task's lifecycle may span files
  const state = new MemoryState({ maxEntries: 1_000_000, ttlMs: Number.MAX_SAFE_INTEGER });
  const mapping: RecordMapping = {
    format: opts.format, tenant: opts.tenant, state,
    ...(opts.csvMapping ? { csvMapping: opts.csvMapping } : {}), ...(opts.adapterOptions ? { adapterOptions: opts.adapterOptions } : {}), ...(opts.now ? { now: opts.now } : {}),
  };
  const report: BackfillReport = { files: [], events: 0, ignored: 0, rejected: 0, problems: [] };

  for (const [fileIndex, file] of files.entries()) {
    const totalBytes = statSync(file).size;
    const cp = opts.restart ? null : opts.checkpoints?.load(file, opts.format, opts.tenant) ?? null;
    const fr: FileReport = { file, records: 0, resumedFrom: cp?.records ?? 0, events: 0, ignored: 0, rejected: 0, alreadyDone: cp?.done ?? false };
    report.files.push(fr);
    if (fr.alreadyDone) {
      opts.onProgress?.({ file, fileIndex, files: files.length, bytes: totalBytes, totalBytes, events: report.events, rejected: report.rejected });
      continue;
    }
    let events: ContactEvent[] = [];
    let letters: RawDeadLetter[] = [];
    let bytes = 0;
    const flush = async (recordsDone: number, done: boolean) => {
      if (events.length > 0) {
        await limiter.take(events.length);
        await sink.publish(events);
      }
      await sink.deadLetter(letters);
      fr.events += events.length;
      report.events += events.length;
      events = [];
      letters = [];
      opts.checkpoints?.save(file, opts.format, opts.tenant, recordsDone, done);
      opts.onProgress?.({ file, fileIndex, files: files.length, bytes, totalBytes, events: report.events, rejected: report.rejected });
    };
    const records = opts.format === 'csv' ? readCsvRecords(file, opts.csvMapping!) : readJsonRecords(file);
    for await (const rec of records) {
      fr.records = rec.index + 1;
      bytes = rec.bytes;
      if (rec.index < fr.resumedFrom) continue;
      let reason: string | null = rec.error ?? null;
      if (reason === null) {
        try {
          const m = mapRecord(mapping, rec.value, rec.index);
          events.push(...m.events);
          fr.ignored += m.ignored;
          report.ignored += m.ignored;
        } catch (err) {
          if (!(err instanceof RecordError)) throw err;
          reason = err.reason;
        }
      }
      if (reason !== null) {
        fr.rejected++;
        report.rejected++;
        if (report.problems.length < 50) report.problems.push(`${file} record ${rec.index + 1}: ${reason}`);
        letters.push({
          key: `${opts.tenant}/backfill`,
          value: rec.raw ?? JSON.stringify(rec.value),
          // text that did not parse is kept as it was; a parsed record (a CSV row too) as JSON
          contentType: rec.raw !== undefined ? 'text/plain; charset=utf-8' : 'application/json',
          reason: `backfill ${opts.format}: ${reason}`,
          headers: { [ADAPTER_LETTER_HEADERS.format]: opts.format, [ADAPTER_LETTER_HEADERS.tenant]: opts.tenant, 'dlq.backfill.file': file, 'dlq.backfill.record': String(rec.index) },
        });
      }
      if (events.length >= batchSize || letters.length >= batchSize) await flush(rec.index + 1, false);
    }
    await flush(fr.records, true);
  }
  return report;
}
