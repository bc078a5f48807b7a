/**
 * Per-tenant BI users on a ClickHouse server (docs/bi.md, "Server mode"): a user that can
 * SELECT the kpi_* views and sees only its tenant's rows. Views run with the rights of the
 * user who queries them (ClickHouse's default SQL SECURITY INVOKER), so the user also needs
 * SELECT on what the views read, and the row policies sit on those objects too: a view's row
 * policy alone would leave the tables beneath it open to a direct SELECT.
 *
 * Row policies narrow what every user without one sees to nothing, once a table has any. So
 * each object also gets one permissive policy `USING 1 TO ALL` (everyone keeps every row), and
 * each tenant user a RESTRICTIVE one (`tenant_id = '<tenant>'`), which is ANDed with it.
 */

/** The BI views (migrations, docs/kpis.md "BI views"). */
export const BI_VIEWS = ['kpi_1m', 'kpi_5m', 'kpi_15m', 'kpi_30m', 'kpi_1h', 'kpi_1d'] as const;
/**
 * What the BI views read, transitively: the grain views over the stored grains, those (views
 * of two tables since migration 0017), and their tables.
 */
export const BI_VIEW_SOURCES = [
  'kpi_agg_5m', 'kpi_agg_15m', 'kpi_agg_30m', 'kpi_agg_1d', 'kpi_agg_1m', 'kpi_agg_1h',
  'kpi_agg_1m_rows', 'kpi_agg_1m_state_time', 'kpi_agg_1h_rows', 'kpi_agg_1h_state_time',
] as const;

export interface BiUserSpec {
  tenant: string;
  /** default bi_<tenant> */
  user?: string;
  password: string;
  /** the database the views are in (CLICKHOUSE_DATABASE), default `default` */
  database?: string;
  /** longest a statement of the user may run; the user may lower it, not raise it */
  maxExecutionTimeS?: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const ident = (v: string) => `\`${v.replace(/`/g, '``')}\``;

/** the tenant user's restrictive row policy, one name on every object */
const policyName = (user: string) => `switchboard_${user}`;

/** The user name for a tenant: bi_ and the tenant id with anything but [A-Za-z0-9_] as _. */
export function biUserName(tenant: string): string {
  return `bi_${tenant.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The statements, in order, that create (or replace) the tenant's BI user, its grants and row policies. */
export function biUserStatements(spec: BiUserSpec): string[] {
  if (!spec.tenant) throw new Error('tenant is required');
  const user = spec.user ?? biUserName(spec.tenant);
  if (!IDENT.test(user)) throw new Error(`user name ${JSON.stringify(user)}: letters, digits and _ only`);
  if (spec.password.length < 12) throw new Error('password: at least 12 characters');
  const db = spec.database ?? 'default';
  const seconds = spec.maxExecutionTimeS ?? 60;
  const objects = [...BI_VIEWS, ...BI_VIEW_SOURCES].map((o) => `${ident(db)}.${ident(o)}`);
  const policy = policyName(user);
  return [
    // readonly = 2: drivers send settings (Grafana's sends max_execution_time) and must be able
    // to; only SELECT is granted, so nothing else runs; readonly itself is CONST
    `CREATE USER OR REPLACE ${ident(user)} IDENTIFIED WITH sha256_password BY ${quote(spec.password)} DEFAULT DATABASE ${ident(db)} `
      + `SETTINGS readonly = 2 CONST, max_execution_time = ${seconds} MAX ${seconds}, max_result_bytes = 104857600 MAX 1073741824`,
    ...objects.flatMap((o) => [
      `GRANT SELECT ON ${o} TO ${ident(user)}`,
      `CREATE ROW POLICY IF NOT EXISTS switchboard_all ON ${o} AS PERMISSIVE FOR SELECT USING 1 TO ALL`,
      `CREATE ROW POLICY OR REPLACE ${ident(policy)} ON ${o} AS RESTRICTIVE FOR SELECT USING tenant_id = ${quote(spec.tenant)} TO ${ident(user)}`,
    ]),
  ];
}

/** The statements that remove the tenant's BI user and its row policies (the permissive ones stay). */
export function dropBiUserStatements(spec: Pick<BiUserSpec, 'tenant' | 'user' | 'database'>): string[] {
  const user = spec.user ?? biUserName(spec.tenant);
  if (!IDENT.test(user)) throw new Error(`user name ${JSON.stringify(user)}: letters, digits and _ only`);
  const db = spec.database ?? 'default';
  const objects = [...BI_VIEWS, ...BI_VIEW_SOURCES].map((o) => `${ident(db)}.${ident(o)}`);
  return [
    `DROP ROW POLICY IF EXISTS ${ident(policyName(user))} ON ${objects.join(', ')}`,
    `DROP USER IF EXISTS ${ident(user)}`,
  ];
}
