import type { Registry } from 'prom-client';
import { BusinessConfigBook, type BusinessConfigFiles, type Store } from '@switchboard/warehouse';
import type { HttpServer, TenantResolver } from '@switchboard/service-kit';
import { registerQueryRoutes } from './routes';
import { queryOpenApi } from './openapi';
import { registerWallboardRoutes } from './wallboard';
import type { QueryConfig } from './config';

export interface QueryDeps {
  store: Store;
  http: HttpServer;
  metrics: Registry;
  tenantOf: TenantResolver;
  /** defaults: queryConfig of an empty environment */
  config?: QueryConfig;
  /** the wallboard build served at `/` (default: where `npm start` builds it) */
  wallboardDir?: string;
  /**
   * calendars and SLA policies for the SLA clocks of /v1/realtime: a book to share (the single
   * node's aggregator's), or the files to build one over the store from (none: the store's only)
   */
  businessConfig?: { book: BusinessConfigBook } | { files: BusinessConfigFiles; refreshMs?: number };
}

export function createQuery(deps: QueryDeps): void {
  deps.http.describe(queryOpenApi());
  const bc = deps.businessConfig;
  const book = bc && 'book' in bc ? bc.book : new BusinessConfigBook({ client: deps.store.client, files: bc?.files, minIntervalMs: bc?.refreshMs });
  registerQueryRoutes(deps.http.app, { client: deps.store.client, metrics: deps.metrics, tenantOf: deps.tenantOf, book, ...(deps.config ? { cacheBytes: deps.config.cacheBytes } : {}) });
  registerWallboardRoutes(deps.http.app, deps.wallboardDir ? { dir: deps.wallboardDir } : {});
  deps.http.addReadinessCheck({
    name: 'clickhouse',
    check: async () => {
      try {
        const r = await deps.store.client.ping();
        return r.success ? null : 'ClickHouse ping failed';
      } catch (err) {
        return `ClickHouse unreachable: ${(err as Error).message}`;
      }
    },
  });
}
