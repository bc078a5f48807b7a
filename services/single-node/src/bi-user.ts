// `npm run bi-user -- --tenant acme [--user name] [--password pw] [--drop]`: in server mode
// (CLICKHOUSE_URL), creates or replaces the tenant's BI user on that ClickHouse server: SELECT
// on the kpi_* views (and what they read) only, row policies keeping it to tenant_id = 'acme'.
// Prints the credentials. Runs as CLICKHOUSE_USER, who needs the right to manage users and
// row policies (access_management). See docs/bi.md, "Server mode".
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createClient } from '@clickhouse/client';
import { z } from 'zod';
import { commonEnvSchema, parseEnv } from '@switchboard/service-kit';
import { biUserName, biUserStatements, dropBiUserStatements } from '@switchboard/warehouse';

const biUserEnvSchema = commonEnvSchema.pick({ CLICKHOUSE_USER: true, CLICKHOUSE_PASSWORD: true, CLICKHOUSE_DATABASE: true }).extend({
  CLICKHOUSE_URL: z.string().url().describe('the ClickHouse server the BI user is created on (the embedded store has no users: npm start serves BI itself)'),
});
let env: z.infer<typeof biUserEnvSchema>;
try {
  env = parseEnv(biUserEnvSchema);
} catch (err) {
  console.error(`${(err as Error).message}\n(npm run bi-user is for a ClickHouse server; with the embedded store, npm start serves BI tools itself: docs/bi.md)`);
  process.exit(2);
}
const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    user: { type: 'string' },
    password: { type: 'string' },
    'max-execution-time': { type: 'string', default: '60' },
    drop: { type: 'boolean', default: false },
  },
});
if (!values.tenant) {
  console.error('usage: npm run bi-user -- --tenant <tenant_id> [--user <name>] [--password <pw>] [--max-execution-time <s>] [--drop]');
  process.exit(2);
}
const seconds = Number(values['max-execution-time']);
if (!Number.isInteger(seconds) || seconds < 1) {
  console.error('--max-execution-time: a whole number of seconds, at least 1');
  process.exit(2);
}
const user = values.user ?? biUserName(values.tenant);
const password = values.password ?? randomBytes(18).toString('base64url');
const database = env.CLICKHOUSE_DATABASE ?? 'default';
const statements = values.drop
  ? dropBiUserStatements({ tenant: values.tenant, user, database })
  : biUserStatements({ tenant: values.tenant, user, password, database, maxExecutionTimeS: seconds });
const admin = createClient({ url: env.CLICKHOUSE_URL, username: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD, database: env.CLICKHOUSE_DATABASE });
try {
  for (const query of statements) await admin.command({ query });
} catch (err) {
  console.error(`failed: ${(err as Error).message}`);
  process.exit(1);
} finally {
  await admin.close();
}
if (values.drop) console.log(`dropped BI user ${user} and its row policies`);
else {
  console.log([
    `BI user for tenant "${values.tenant}" on ${env.CLICKHOUSE_URL}`,
    `  user      ${user}`,
    `  password  ${password}`,
    `  database  ${database}`,
    `  sees      kpi_1m, kpi_5m, kpi_15m, kpi_30m, kpi_1h, kpi_1d (rows of tenant_id = '${values.tenant}' only), read-only`,
  ].join('\n'));
}
