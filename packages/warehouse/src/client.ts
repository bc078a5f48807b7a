import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { rm, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { ROW_BINARY } from './insert';

/** Where ClickHouse is: in this process (chDB over a data directory) or a server over HTTP. */
export type StoreTarget =
  | { kind: 'embedded'; path: string }
  | { kind: 'server'; url: string; username?: string; password?: string; database?: string };

export interface Store {
  client: ClickHouseClient;
  target: StoreTarget;
  close(): Promise<void>;
  /**
   * Embedded only: runs `use` with a table expression that reads these RowBinary rows of
   * `structure` ('name Type, …'), so a query can take tens of thousands of values as a table
   * instead of as a parameter (a parameter is substituted into the statement as a literal and
   * parsed with it: measured, 43,000 event ids, ~130 ms of CPU for the parameter alone against
   * ~30 ms to read them as rows). The rows are a file in the data directory, removed after.
   */
  withRows?<T>(rows: Buffer, structure: string, use: (table: string) => Promise<T>): Promise<T>;
}

/**
 * One code path for both backends: chDB plugs into @clickhouse/client as a Connection, so the
 * same DDL, materialized views and bound-parameter queries run embedded and on a server.
 */
export async function openStore(target: StoreTarget): Promise<Store> {
  if (target.kind === 'server') {
    const client = createClient({
      url: target.url,
      username: target.username,
      password: target.password,
      database: target.database,
      request_timeout: 30_000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
    passRowBinaryToServer(client);
    return { client, target, close: () => client.close() };
  }
  // chDB reads ./config.xml if one exists; a stray one would silently reconfigure the engine.
  if (existsSync(join(process.cwd(), 'config.xml'))) {
    throw new Error(`refusing to start embedded ClickHouse: ${join(process.cwd(), 'config.xml')} would be read as its server config; run from another directory`);
  }
  mkdirSync(target.path, { recursive: true });
  // Imported lazily so a server deployment never loads the native engine.
  const { createChdbConnection } = await import('chdb/connection');
  const connection = createChdbConnection({ path: target.path });
  const client = createClient({ connection } as unknown as Parameters<typeof createClient>[0]);
  const files = new RowFiles(target.path);
  const binary = chdbRowBinaryInsert(files, (sql) => connection.chdb.queryAsync(sql));
  passTabSeparatedThrough(client, connection.chdb.rawInsert, binary);
  const withRows = async <T>(rows: Buffer, structure: string, use: (table: string) => Promise<T>): Promise<T> => {
    if (!/^[A-Za-z_][A-Za-z0-9_]* [A-Za-z0-9()]+(, [A-Za-z_][A-Za-z0-9_]* [A-Za-z0-9()]+)*$/.test(structure)) throw new Error(`withRows: bad structure ${JSON.stringify(structure)}`);
    return files.with(rows, (file) => use(`file('${file}', RowBinary, '${structure}')`));
  };
  return { client, target, close: () => client.close(), withRows };
}

/** CLICKHOUSE_URL (with CLICKHOUSE_USER / CLICKHOUSE_PASSWORD) selects a server; otherwise embedded under the state dir. */
export function storeTargetFromEnv(
  env: { CLICKHOUSE_URL?: string; CLICKHOUSE_USER?: string; CLICKHOUSE_PASSWORD?: string; CLICKHOUSE_DATABASE?: string },
  stateDir: string,
): StoreTarget {
  if (env.CLICKHOUSE_URL) {
    return {
      kind: 'server',
      url: env.CLICKHOUSE_URL,
      username: env.CLICKHOUSE_USER,
      password: env.CLICKHOUSE_PASSWORD,
      database: env.CLICKHOUSE_DATABASE,
    };
  }
  return { kind: 'embedded', path: join(stateDir, 'chdb') };
}

type RawInsert = (params: { table: string; values: Buffer; format: 'TSV'; columns?: readonly string[]; settings?: Record<string, string> }) => Promise<unknown>;

/**
 * Embedded, a TabSeparated insert goes to chDB as the bytes it is: @clickhouse/client's path
 * through chDB turns the body into a string and the statement into one SQL text the engine
 * parses whole, which costs about three times the insert itself (measured: 35,000 rows of
 * kpi_agg_1m, 43 µs a row against 13 µs raw). Every other insert keeps the client's path.
 * The client object stays the one everything uses (and tests wrap), only its insert changes.
 */
function passTabSeparatedThrough(client: ClickHouseClient, raw: RawInsert, rawBinary: RawInsert): void {
  const insert = client.insert.bind(client);
  client.insert = (async (params: Parameters<ClickHouseClient['insert']>[0]) => {
    const format = params.format as string;
    if ((format !== 'TabSeparated' && format !== ROW_BINARY) || !(params.values instanceof Readable)) return insert(params);
    const values = await bytesOf(params.values);
    const settings = Object.fromEntries(Object.entries(params.clickhouse_settings ?? {}).map(([k, v]) => [k, String(v)]));
    const columns = Array.isArray(params.columns) ? params.columns : undefined;
    if (values.length > 0) await (format === ROW_BINARY ? rawBinary : raw)({ table: params.table, values, format: 'TSV', columns, settings });
    return { executed: true, query_id: '', response_headers: {}, summary: undefined };
  }) as ClickHouseClient['insert'];
}

async function bytesOf(values: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of values) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `INSERT INTO t (c, …) <source> SETTINGS k = 'v', … FORMAT RowBinary`: names checked, values quoted. */
function rowBinaryStatement(table: string, columns: readonly string[] | undefined, settings: Record<string, string>, source: string): string {
  for (const name of [table, ...(columns ?? []), ...Object.keys(settings)]) {
    if (!IDENTIFIER.test(name)) throw new Error(`RowBinary insert: bad identifier ${JSON.stringify(name)}`);
  }
  const cols = columns?.length ? ` (${columns.join(', ')})` : '';
  const sets = Object.entries(settings).map(([k, v]) => `${k} = '${v.replace(/[\\']/g, (c) => `\\${c}`)}'`).join(', ');
  return `INSERT INTO ${table}${cols} ${source}${sets ? ` SETTINGS ${sets}` : ''} FORMAT RowBinary`;
}

/**
 * RowBinary rows handed to chDB as files in the data directory, each removed once the
 * statement that reads it is done. One process owns a data directory, so files left by a
 * process that died mid-statement are removed when the next one opens it.
 */
class RowFiles {
  private readonly dir: string;
  private n = 0;

  constructor(path: string) {
    this.dir = resolve(path, 'insert-files');
    rmSync(this.dir, { recursive: true, force: true });
  }

  async with<T>(bytes: Buffer, use: (file: string) => Promise<T>): Promise<T> {
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `${process.pid}-${this.n++}.rowbinary`);
    if (file.includes("'") || file.includes('\\')) throw new Error(`RowBinary file: unusable file name ${file}`);
    await writeFile(file, bytes);
    try {
      return await use(file);
    } finally {
      await rm(file, { force: true });
    }
  }
}

/**
 * RowBinary into chDB, from a file. chdb-node's raw insert appends the payload to the
 * statement as inline data, which the engine ends at the first empty line: text formats
 * never hold two newlines in a row, binary data may (measured: a UInt64 of 0x0a0a fails
 * the insert). So the bytes are written to a file in the data directory and read by
 * `INSERT … FROM INFILE … FORMAT RowBinary`, which chDB reads as one block when its
 * max_block_size allows (ONE_BLOCK_SETTINGS); the file is removed after the insert.
 */
function chdbRowBinaryInsert(files: RowFiles, queryAsync: (sql: string) => Promise<unknown>): RawInsert {
  return ({ table, values, columns, settings }) =>
    files.with(values, (file) => queryAsync(rowBinaryStatement(table, columns, settings ?? {}, `FROM INFILE '${file}'`)));
}

/** A server takes RowBinary as the body of an INSERT … FORMAT RowBinary statement. */
function passRowBinaryToServer(client: ClickHouseClient): void {
  const insert = client.insert.bind(client);
  client.insert = (async (params: Parameters<ClickHouseClient['insert']>[0]) => {
    if ((params.format as string) !== ROW_BINARY || !(params.values instanceof Readable)) return insert(params);
    const columns = Array.isArray(params.columns) ? params.columns : undefined;
    const cols = columns?.length ? ` (${columns.join(', ')})` : '';
    const r = await client.exec({ query: `INSERT INTO ${params.table}${cols} FORMAT RowBinary`, values: params.values, clickhouse_settings: params.clickhouse_settings });
    r.stream.resume();
    return { executed: true, query_id: r.query_id, response_headers: r.response_headers, summary: r.summary };
  }) as ClickHouseClient['insert'];
}
