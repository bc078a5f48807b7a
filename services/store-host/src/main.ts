// The store host (several processes on one machine, one embedded ClickHouse): owns the chDB
// data directory and serves it over ClickHouse's HTTP interface. Point the other services at
// it with CLICKHOUSE_URL=http://127.0.0.1:8123. `tsx services/store-host/src/main.ts`
import { Lifecycle, createLogger, createMetricsRegistry, parseEnv } from '@switchboard/service-kit';
import { storeHostConfig, storeHostEnvSchema } from './config';
import { StoreHost } from './store-host';

const env = parseEnv(storeHostEnvSchema);
const log = createLogger('store-host', env.LOG_LEVEL);
const host = new StoreHost({ config: storeHostConfig(env), log, metrics: createMetricsRegistry() });
const lifecycle = new Lifecycle(log, () => host.drain());
lifecycle.handleSignals();
await lifecycle.start([{ name: 'store-host', start: () => host.start(), stop: () => host.stop() }]);
