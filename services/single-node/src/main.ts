// Single-node mode, the default of `npm start`: ingest + aggregator + query + alerter over embedded
// ClickHouse in one process, with the simulator feeding it and a live per-queue table.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { parseEnv } from '@switchboard/service-kit';
import { refineBiEnv } from '@switchboard/store-host';
import { createSimulator } from '@switchboard/simulator';
import { httpSink } from '@switchboard/simulator/sinks';
import { nodeExtrasEnvSchema } from './env';
import { ensureDemoBusinessConfig } from './demo-business';
import { renderLiveTable } from './live-table';
import { createNodeBi, singleNodeBiEnvSchema, startSingleNode } from './node';

const env = parseEnv(singleNodeBiEnvSchema.extend(nodeExtrasEnvSchema.shape).superRefine(refineBiEnv));
const live = env.LIVE_TABLE === '1';
// With the live table on, the terminal shows the table and the JSON logs go to a file.
const logFile = join(env.SWITCHBOARD_STATE, 'logs', 'single-node.log');
if (live) mkdirSync(join(env.SWITCHBOARD_STATE, 'logs'), { recursive: true });
const log = pino({ name: 'single-node', level: env.LOG_LEVEL }, live ? pino.destination({ dest: logFile, sync: false }) : undefined);

let stopping = false;
let shutdown: (signal: string) => Promise<void> = async () => process.exit(143);
// installed before start-up, so a signal during a slow start (a consumer-group join waiting
// out a crashed predecessor) still stops cleanly
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

const bi = createNodeBi(env, log);
const node = await startSingleNode(env, log, bi ? [bi.component] : []);
const url = node.http.url;
const extras: (() => Promise<void>)[] = [];
let business: string[] = [];
if (env.SIMULATOR_EPS > 0) {
  // business hours and priorities for the simulated center: the tenant's default calendar blocks
  // after-hours arrivals (a demo one and SLA policies are written where the tenant has none)
  const withBusiness = env.SIMULATOR_BUSINESS === '1';
  if (withBusiness) business = await ensureDemoBusinessConfig(node.store.client, node.aggregator.book, env.DEFAULT_TENANT);
  const calendar = withBusiness ? node.aggregator.book.calendarFor(env.DEFAULT_TENANT, null, Date.now()) : undefined;
  const sim = createSimulator(
    {
      tenantId: env.DEFAULT_TENANT,
      ...(calendar ? { calendar } : {}),
      priorities: withBusiness,
      eventsPerSecond: env.SIMULATOR_EPS,
      queueCount: env.SIMULATOR_QUEUES,
      flushIntervalMs: env.SIMULATOR_FLUSH_MS,
      onError: (err, info) => log.warn({ err, ...info }, 'simulator batch failed'),
    },
    httpSink(url, env.DEFAULT_TENANT),
  );
  await sim.start();
  extras.push(() => sim.stop());
}

const banner = [
  `Switchboard single-node is up.`,
  `  wallboard  ${url}/  (live per-queue tiles, today's trends, alerts; docs/wallboard.md)`,
  `  API        ${url}  (tenant "${env.DEFAULT_TENANT}" unless X-Tenant-Id says otherwise)`,
  `  try        curl '${url}/v1/kpis?metrics=offered,answered,service_level,asa_ms&from=${new Date(Date.now() - 3600_000).toISOString().slice(0, 13)}:00:00Z&to=${new Date(Date.now() + 3600_000).toISOString().slice(0, 13)}:00:00Z&granularity=15m&group_by=queue_id'`,
  `  ingest     POST ${url}/v1/events (JSON array or NDJSON)`,
  `  alerts     ${url}/v1/alert-rules  ${url}/v1/alerts${env.ALERT_RULES_FILE ? `  (rules file ${env.ALERT_RULES_FILE})` : ''}`,
  `  health     ${url}/healthz  ${url}/readyz  ${url}/metrics`,
  bi ? `  ClickHouse (BI) ${bi.listener.url}  user ${bi.config.user}  password ${bi.config.passwordFile ? `${bi.config.password}  (generated, kept in ${bi.config.passwordFile})` : '(BI_PASSWORD)'}  read-only; docs/bi.md` : '',
  env.SIMULATOR_EPS > 0 ? `  simulator  ${env.SIMULATOR_EPS} events/s into ingest${env.SIMULATOR_BUSINESS === '1' ? ', tickets with priorities, after-hours arrivals blocked' : ''}` : '  simulator  off',
  ...business.map((b) => `  wrote      ${b}; docs/business-hours.md`),
  live ? `  logs       ${logFile}` : '',
].filter(Boolean).join('\n');
console.log(banner);

let timer: NodeJS.Timeout | undefined;
if (live) {
  const tick = async () => {
    try {
      const table = await renderLiveTable(node.store.client, env.DEFAULT_TENANT);
      process.stdout.write(`\x1b[2J\x1b[H${banner}\n\n${table}\n\nCtrl-C to stop.\n`);
    } catch (err) {
      log.warn({ err }, 'live table failed');
    }
  };
  timer = setInterval(tick, env.LIVE_TABLE_INTERVAL_S * 1000);
}

shutdown = async (signal: string) => {
  if (stopping) process.exit(130);
  stopping = true;
  log.info({ signal }, 'shutting down');
  // A drain stuck on a dead store must not hang the process: whatever is not committed by
  // then is replayed by the next owner, exactly once.
  setTimeout(() => {
    log.error('shutdown took longer than 30 s; exiting without it');
    process.exit(1);
  }, 30_000).unref();
  if (timer) clearInterval(timer);
  // readiness drops inside node.stop() before anything closes; the simulator stops first so
  // its last batch still finds ingest open
  for (const stop of extras) await stop().catch((err) => log.warn({ err }, 'stop failed'));
  await node.stop();
  console.log('stopped.');
  process.exit(0);
};
