import type { Registry } from 'prom-client';
import type { Store } from '@switchboard/warehouse';
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
}

export function createQuery(deps: QueryDeps): void {
  deps.http.describe(queryOpenApi());
  registerQueryRoutes(deps.http.app, { client: deps.store.client, metrics: deps.metrics, tenantOf: deps.tenantOf, ...(deps.config ? { cacheBytes: deps.config.cacheBytes } : {}) });
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
