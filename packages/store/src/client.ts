import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';

/** Where ClickHouse is: in this process (chDB over a data directory) or a server over HTTP. */
export type StoreTarget =
  | { kind: 'embedded'; path: string }
  | { kind: 'server'; url: string; username?: string; password?: string; database?: string };

export interface Store {
  client: ClickHouseClient;
  target: StoreTarget;
  close(): Promise<void>;
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
  return { client, target, close: () => client.close() };
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
