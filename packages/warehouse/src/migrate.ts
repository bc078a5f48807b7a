import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../migrations');

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 4)),
      name: f.slice(5, -4),
      statements: splitStatements(readFileSync(join(dir, f), 'utf8')),
    }));
}

/** Statements end with ';' at the end of a line; '--' comment lines are dropped. */
export function splitStatements(sql: string): string[] {
  const body = sql
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n');
  return body
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Applies numbered migrations not yet recorded, in order. A migration is recorded only after its
 * last statement, so a process killed in the middle of one (the crash drill SIGKILLs services
 * while they start) runs it again from its first statement. Every statement must therefore be
 * safe to run twice (docs/reliability.md, "Killed while it migrates"): IF NOT EXISTS / IF EXISTS / OR REPLACE,
 * a backfill INSERT after a TRUNCATE of its target, and a RENAME that this runner skips once it
 * has happened (`renameDone`). The same makes two services starting at once against one server
 * converge.
 */
export async function migrate(client: ClickHouseClient, migrations = loadMigrations()): Promise<number[]> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
            ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const rs = await client.query({ query: 'SELECT version FROM schema_migrations FINAL', format: 'JSONEachRow' });
  const done = new Set((await rs.json<{ version: number }>()).map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    for (const statement of m.statements) {
      if (await renameDone(client, statement)) continue;
      await client.command({ query: statement });
    }
    await client.insert({ table: 'schema_migrations', values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' });
    applied.push(m.version);
  }
  return applied;
}

const RENAME = /^RENAME\s+TABLE\s+(\w+)\s+TO\s+(\w+)$/i;

/**
 * ClickHouse has no RENAME … IF NOT DONE. `RENAME TABLE a TO b` has already run when b exists
 * and a is either gone or is no longer a table (the same migration may have created a view
 * under the old name after renaming). Anything else (a missing b, or both a and b tables) runs
 * the statement, so a real conflict still fails loudly.
 */
async function renameDone(client: ClickHouseClient, statement: string): Promise<boolean> {
  const m = RENAME.exec(statement.trim());
  if (!m) return false;
  const rs = await client.query({
    query: 'SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name IN ({from:String}, {to:String})',
    query_params: { from: m[1], to: m[2] },
    format: 'JSONEachRow',
  });
  const engines = new Map((await rs.json<{ name: string; engine: string }>()).map((r) => [r.name, r.engine]));
  const from = engines.get(m[1]!);
  return engines.has(m[2]!) && (from === undefined || from === 'View');
}
