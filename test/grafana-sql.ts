// What Grafana and the ClickHouse data source plugin (grafana-clickhouse-datasource 4.x, the
// version docker-compose.yml pins) do to a panel's SQL before ClickHouse sees it, so the tests
// can execute the dashboards' SQL as Grafana would send it (docs/grafana.md, docs/testing.md).
//
// 1. Grafana interpolates template variables in the browser: `$name`, `${name}`,
//    `${name:format}` and `[[name]]`. Names Grafana does not know stay as they are, which is how
//    the plugin's `$__macros` reach the backend. Multi-value variables with "All" and no custom
//    all-value expand to every option of the variable.
// 2. The plugin's backend expands its macros (pkg/macros in the plugin, applied by the plugin
//    SDK's sqlutil.Interpolate): each name is found with the regex `\$__name\b`; its argument list
//    is read by scanning forward from the `$` to the first `(` and its matching `)` — the scan
//    does not require the `(` to follow the name, so an argument-less macro followed later by
//    parentheses swallows them (a test below pins that); arguments are split on `,` and trimmed;
//    every identical occurrence is replaced at once. Expansions, as the plugin's README and
//    pkg/macros/macros.go give them (from = the range start, to = its end, interval = the
//    panel's interval, at least 1 s):
//      $__timeFilter(c)      c >= toDateTime(<from s>) AND c <= toDateTime(<to s>)
//      $__timeFilter_ms(c)   c >= fromUnixTimestamp64Milli(<from ms>) AND c <= fromUnixTimestamp64Milli(<to ms>)
//      $__dateFilter(c)      c >= toDate('<from date>') AND c <= toDate('<to date>')
//      $__dateTimeFilter(d, t) / $__dt(d, t)   (d >= toDate(…) AND d <= toDate(…)) AND (t >= toDateTime(…) AND t <= toDateTime(…))
//      $__fromTime / $__toTime        toDateTime(<s>)
//      $__fromTime_ms / $__toTime_ms  fromUnixTimestamp64Milli(<ms>)
//      $__timeInterval(c)    toStartOfInterval(toDateTime(c), INTERVAL <interval s> second)
//      $__timeInterval_ms(c) toStartOfInterval(toDateTime64(c, 3), INTERVAL <interval ms> millisecond)
//      $__interval_s         <interval s>
//    Seconds are truncated (Go's Time.Unix()); dates are UTC. `$__conditionalAll` and the
//    ad-hoc filter macro are applied by the plugin's frontend; the dashboards use neither, and
//    expand() refuses them rather than guess.

export interface TimeRange {
  /** epoch ms */
  from: number;
  /** epoch ms (Grafana's rounded ranges end at …59.999) */
  to: number;
}

export interface MacroContext extends TimeRange {
  /** the panel's interval in ms (Grafana's $__interval_ms) */
  intervalMs: number;
}

const secs = (ms: number) => Math.floor(ms / 1000);
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dateTime = (ms: number) => `toDateTime(${secs(ms)})`;
const dateTime64 = (ms: number) => `fromUnixTimestamp64Milli(${ms})`;

type Macro = (c: MacroContext, args: string[]) => string;

function arity(name: string, args: string[], n: number): void {
  if (args.length !== n) throw new Error(`$__${name}: expected ${n} argument(s), received ${args.length}`);
}

const MACROS: Record<string, Macro> = {
  fromTime: (c) => dateTime(c.from),
  toTime: (c) => dateTime(c.to),
  fromTime_ms: (c) => dateTime64(c.from),
  toTime_ms: (c) => dateTime64(c.to),
  timeFilter: (c, a) => (arity('timeFilter', a, 1), `${a[0]} >= ${dateTime(c.from)} AND ${a[0]} <= ${dateTime(c.to)}`),
  timeFilter_ms: (c, a) => (arity('timeFilter_ms', a, 1), `${a[0]} >= ${dateTime64(c.from)} AND ${a[0]} <= ${dateTime64(c.to)}`),
  dateFilter: (c, a) => (arity('dateFilter', a, 1), `${a[0]} >= toDate('${date(c.from)}') AND ${a[0]} <= toDate('${date(c.to)}')`),
  dateTimeFilter: (c, a) => (arity('dateTimeFilter', a, 2), `(${a[0]} >= toDate('${date(c.from)}') AND ${a[0]} <= toDate('${date(c.to)}')) AND (${a[1]} >= ${dateTime(c.from)} AND ${a[1]} <= ${dateTime(c.to)})`),
  dt: (c, a) => MACROS.dateTimeFilter!(c, a),
  timeInterval: (c, a) => (arity('timeInterval', a, 1), `toStartOfInterval(toDateTime(${a[0]}), INTERVAL ${Math.max(secs(c.intervalMs), 1)} second)`),
  timeInterval_ms: (c, a) => (arity('timeInterval_ms', a, 1), `toStartOfInterval(toDateTime64(${a[0]}, 3), INTERVAL ${Math.max(c.intervalMs, 1)} millisecond)`),
  interval_s: (c) => String(Math.max(secs(c.intervalMs), 1)),
};

/** the SDK's getMacroMatches: the macro text (with its argument list, if any) and the raw arguments */
function macroMatches(sql: string, name: string): [string, string | null][] {
  const out: [string, string | null][] = [];
  for (const m of sql.matchAll(new RegExp(`\\$__${name}\\b`, 'g'))) {
    const rest = sql.slice(m.index);
    let depth = 0;
    let argStart = -1;
    let end = 0;
    for (let i = 0; i < rest.length; i++) {
      if (depth === 0 && end > 0) break;
      const ch = rest[i];
      if (ch === '(') {
        depth++;
        if (argStart < 0) argStart = i + 1;
      } else if (ch === ')') {
        if (depth === 0) { end = 0; break; }
        depth--;
        end = i + 1;
      }
    }
    if (end === 0) end = m[0].length;
    out.push([rest.slice(0, end), argStart >= 0 && argStart <= end ? rest.slice(argStart, end - 1) : null]);
  }
  return out;
}

/** The plugin backend's expansion of its macros in `sql` (after Grafana's variable interpolation). */
export function expandMacros(sql: string, c: MacroContext): string {
  for (const frontOnly of ['conditionalAll', 'adHocFilter']) {
    if (new RegExp(`\\$__${frontOnly}\\b`).test(sql)) throw new Error(`$__${frontOnly} is applied by the plugin's frontend: not modelled here`);
  }
  let out = sql;
  for (const [name, macro] of Object.entries(MACROS)) {
    for (const [text, rawArgs] of macroMatches(out, name)) {
      const args = rawArgs === null ? [] : rawArgs.split(',').map((s) => s.trim());
      out = out.replaceAll(text, macro(c, args));
    }
  }
  const left = /\$__\w+/.exec(out);
  if (left) throw new Error(`unknown macro ${left[0]}`);
  return out;
}

/** a variable's current value: one value, or several (a multi-value variable, "All" included) */
export type VariableValue = string | string[];

const FORMATS: Record<string, (values: string[], multi: boolean) => string> = {
  // Grafana's default for a SQL data source: a single value as is; several as {a,b} (glob)
  raw: (v, multi) => (multi ? `{${v.join(',')}}` : v[0]!),
  // 'a','b' with ' escaped as \'
  singlequote: (v) => v.map((x) => `'${x.replaceAll("'", "\\'")}'`).join(','),
  // 'a','b' with ' doubled
  sqlstring: (v) => v.map((x) => `'${x.replaceAll("'", "''")}'`).join(','),
  csv: (v) => v.join(','),
};

/** Grafana's template variable interpolation (templateSrv.replace) for the formats the dashboards use. */
export function interpolate(sql: string, vars: Record<string, VariableValue>): string {
  const re = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;
  return sql.replace(re, (whole, plain?: string, bracket?: string, bracketFmt?: string, braced?: string, bracedFmt?: string) => {
    const name = plain ?? bracket ?? braced!;
    if (name.startsWith('__')) return whole; // Grafana's and the plugin's own $__ names
    const value = vars[name];
    if (value === undefined) throw new Error(`template variable $${name} has no value`);
    const fmt = bracketFmt ?? bracedFmt ?? 'raw';
    const f = FORMATS[fmt];
    if (!f) throw new Error(`variable format ${fmt} is not modelled`);
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0) throw new Error(`template variable $${name} has no value`);
    return f(values, Array.isArray(value));
  });
}
