import { existsSync, mkdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { BAD_ARGUMENTS, QUERY_WAS_CANCELLED, clickHouseError, toClickHouseException } from './errors';

/**
 * One statement as an HTTP request carries it. Everything in it is per request, as on a
 * ClickHouse server: settings, parameters and the current database never outlive it.
 */
export interface Statement {
  /** the SQL; for an INSERT with data, the `INSERT … FORMAT X` the data follows */
  sql: string;
  /** INSERT data, handed to the engine's parser as it came */
  data?: Buffer;
  /** `param_<name>` values, verbatim: the engine binds them as the server would (Escaped text) */
  params: Record<string, string>;
  /** URL settings, in request order */
  settings: Array<[string, string]>;
  database?: string;
  /** output format of a statement without FORMAT (HTTP `default_format`, else TabSeparated) */
  format: string;
  /** GET requests run with readonly = 2, as on a server */
  readonly: boolean;
  /** settings the listener imposes, applied after the client's so they win (the BI listener's limits and readonly = 1) */
  enforced?: Array<[string, string]>;
}

export interface Outcome {
  body: Uint8Array;
  summary: { read_rows: string; read_bytes: string; written_rows: string; written_bytes: string; total_rows_to_read: string; result_rows: string; result_bytes: string; elapsed_ns: string };
}

// chDB's native binding, below its JS wrapper. The wrapper formats bound parameters from JS
// values itself (TSV-escaping strings); an HTTP request carries them already formatted by the
// client, and formatting them again would change them (`['it\'s']` → `['it\\'s']`). The native
// call takes the strings as the server's `param_` values, so they are bound by the engine's own
// parser, exactly as a server binds them.
interface NativeResult { bytes: Uint8Array; elapsed: number; rowsRead: number; bytesRead: number }
interface NativeInsertResult { elapsed: number; rowsWritten: number; bytesWritten: number }
interface Native {
  QueryAsyncConnection(connection: unknown, sql: string, format: string, params?: Record<string, string>): Promise<NativeResult>;
  InsertRawAsyncConnection(connection: unknown, prefix: string, data: Buffer, countLines: boolean): Promise<NativeInsertResult>;
}
interface ChdbSession { connection: unknown; close(): void }
interface Chdb { Session: new (path: string) => ChdbSession }

function loadChdb(): { chdb: Chdb; native: Native } {
  const require = createRequire(import.meta.url);
  const chdb = require('chdb') as Chdb;
  // dist/loader.js is not in chdb's exports map; by absolute path it is the very module chdb
  // loaded (same cache entry), so there is one engine in the process.
  const { loadNative } = require(join(dirname(require.resolve('chdb')), 'dist', 'loader.js')) as { loadNative(): Native };
  const native = loadNative();
  if (typeof native.QueryAsyncConnection !== 'function' || typeof native.InsertRawAsyncConnection !== 'function') {
    throw new Error('this chdb build lacks QueryAsyncConnection/InsertRawAsyncConnection; the store host needs chdb 3.4');
  }
  return { chdb, native };
}

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `INSERT … FORMAT <binary>` at the end of a statement whose data is binary */
const BINARY_INSERT = /\bFORMAT\s+(RowBinary\w*|Native)\s*$/i;
const quoteString = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const quoteIdentifier = (v: string) => `\`${v.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;

/**
 * The embedded engine (chDB) over one data directory, which this process then owns (chDB
 * locks it: a second process is refused).
 *
 * Each request runs on a connection of its own, opened for it and closed after (~1 ms):
 * settings and `USE` are state of a chDB connection, so a shared one would carry one
 * request's `insert_deduplication_token` into the next. Connections run in parallel, at most
 * `maxRunning` at once. Parameterized statements run one at a time: chDB sets the bound values
 * on process-wide state, and two at once on different connections clobber each other (chDB's
 * own wrapper serializes them the same way).
 */
export class Engine {
  private chdb: Chdb | null = null;
  private native: Native | null = null;
  /** held for the process's life: the engine stays up while no request runs */
  private anchor: ChdbSession | null = null;
  private paramTail: Promise<unknown> = Promise.resolve();
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private fatal: string | null = null;
  timezone = 'UTC';
  version = '';

  constructor(readonly dataDir: string, private readonly maxRunning: number) {}

  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async open(): Promise<void> {
    // chDB reads ./config.xml if one exists; a stray one would silently reconfigure the engine
    if (existsSync(join(process.cwd(), 'config.xml'))) {
      throw new Error(`refusing to start: ${join(process.cwd(), 'config.xml')} would be read as the engine's server config; run from another directory`);
    }
    mkdirSync(this.dataDir, { recursive: true });
    const { chdb, native } = loadChdb();
    this.chdb = chdb;
    this.native = native;
    try {
      this.anchor = new chdb.Session(resolve(this.dataDir));
    } catch (err) {
      // the engine's own reason (e.g. "Another server instance in same directory is already running") is on stderr
      throw new Error(`cannot open the engine on ${this.dataDir}; one data directory belongs to one process (npm start, an embedded service or another store host may hold it): ${(err as Error).message}`);
    }
    const r = await native.QueryAsyncConnection(this.anchor.connection, 'SELECT timezone(), version()', 'TabSeparated');
    const [tz, version] = Buffer.from(r.bytes).toString('utf8').trim().split('\t');
    this.timezone = tz ?? 'UTC';
    this.version = version ?? '';
  }

  /** null while the engine answers; else why not */
  async check(): Promise<string | null> {
    if (this.fatal) return this.fatal;
    if (!this.anchor || !this.native) return 'engine not open';
    try {
      await this.native.QueryAsyncConnection(this.anchor.connection, 'SELECT 1', 'TabSeparated');
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /**
   * Runs one statement. `gone()` is asked once the statement's turn comes: a client that has
   * disconnected while it waited (its request timed out, its process died) no longer wants it
   * run. Once running it completes (chDB cannot interrupt a statement).
   */
  async run(st: Statement, gone: () => boolean = () => false): Promise<Outcome> {
    if (!this.chdb || !this.native) throw new Error('engine not open');
    const { chdb, native } = this;
    await this.acquire();
    try {
      if (gone()) throw clickHouseError(QUERY_WAS_CANCELLED, 'the client disconnected before the statement ran; it was not run');
      const session = new chdb.Session(resolve(this.dataDir));
      try {
        const c = session.connection;
        if (st.database) await native.QueryAsyncConnection(c, `USE ${quoteIdentifier(st.database)}`, 'TabSeparated');
        const settings = [...st.settings, ...(st.readonly ? [['readonly', '2'] as [string, string]] : []), ...(st.enforced ?? [])];
        for (const [k] of settings) if (!SETTING_NAME.test(k)) throw clickHouseError(BAD_ARGUMENTS, `invalid setting name ${JSON.stringify(k)}`);
        if (settings.length) await native.QueryAsyncConnection(c, `SET ${settings.map(([k, v]) => `${k} = ${quoteString(v)}`).join(', ')}`, 'TabSeparated');
        const bound = Object.keys(st.params).length > 0;
        const binary = st.data && !bound ? BINARY_INSERT.exec(st.sql) : null;
        if (binary) {
          // Binary data is read from a file: chDB ends inline data at its first empty line,
          // which binary rows may hold (two 0x0a bytes), and FROM INFILE cuts blocks by
          // max_block_size, which the client sets with its other settings.
          const dir = join(this.dataDir, 'insert-files');
          mkdirSync(dir, { recursive: true });
          const file = join(resolve(dir), `${randomUUID()}.${binary[1]!.toLowerCase()}`);
          await writeFile(file, st.data!);
          try {
            const r = await native.QueryAsyncConnection(c, `${st.sql.slice(0, binary.index)} FROM INFILE ${quoteString(file)} FORMAT ${binary[1]}`, 'TabSeparated');
            return outcome(new Uint8Array(0), 0, 0, r.rowsRead, st.data!.length, r.elapsed);
          } finally {
            await rm(file, { force: true });
          }
        }
        if (st.data && !bound) {
          // the data stays a buffer: the engine's parallel parser reads it after the prefix
          const r = await native.InsertRawAsyncConnection(c, st.sql, st.data, false);
          return outcome(new Uint8Array(0), 0, 0, r.rowsWritten, r.bytesWritten, r.elapsed);
        }
        const sql = st.data ? `${st.sql}\n${st.data.toString('utf8')}` : st.sql;
        const r = bound
          ? await this.exclusive(() => native.QueryAsyncConnection(c, sql, st.format, st.params))
          : await native.QueryAsyncConnection(c, sql, st.format);
        const written = st.data ? r.rowsRead : 0;
        return outcome(r.bytes, r.rowsRead, r.bytesRead, written, st.data ? r.bytesRead : 0, r.elapsed);
      } finally {
        session.close();
      }
    } catch (err) {
      const e = toClickHouseException(err);
      // the engine aborted for the rest of the process: readiness says so, a supervisor restarts it
      if (e.type === 'ABORTED') this.fatal = e.text;
      throw e;
    } finally {
      this.release();
    }
  }

  close(): void {
    this.anchor?.close();
    this.anchor = null;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.paramTail.then(fn, fn);
    this.paramTail = run.catch(() => undefined);
    return run;
  }

  private async acquire(): Promise<void> {
    if (this.running < this.maxRunning) {
      this.running++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the slot passes straight to the next in line
    else this.running--;
  }
}

function outcome(body: Uint8Array, readRows: number, readBytes: number, writtenRows: number, writtenBytes: number, elapsedS: number): Outcome {
  return {
    body,
    summary: {
      read_rows: String(readRows), read_bytes: String(readBytes),
      written_rows: String(writtenRows), written_bytes: String(writtenBytes),
      total_rows_to_read: '0', result_rows: writtenRows ? '0' : String(readRows), result_bytes: writtenRows ? '0' : String(body.byteLength),
      elapsed_ns: String(Math.max(0, Math.round(elapsedS * 1e9))),
    },
  };
}
