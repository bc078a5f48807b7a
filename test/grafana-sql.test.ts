import { describe, expect, it } from 'vitest';
import { expandMacros, interpolate } from './grafana-sql';

// The expansion the Grafana dashboard test relies on, held to the examples of the ClickHouse
// plugin's README (macro table) and to the parsing of the plugin SDK's sqlutil.Interpolate.
const from = Date.parse('2014-11-12T11:45:26.123Z'); // 1415792726
const to = Date.parse('2015-11-12T11:45:26.456Z'); // 1447328726
const c = { from, to, intervalMs: 20_000 };

describe('expandMacros (grafana-clickhouse-datasource 4.x)', () => {
  it('expands each macro as the README shows', () => {
    expect(expandMacros('$__timeFilter(time)', c)).toBe('time >= toDateTime(1415792726) AND time <= toDateTime(1447328726)');
    expect(expandMacros('$__timeFilter_ms(time)', c)).toBe('time >= fromUnixTimestamp64Milli(1415792726123) AND time <= fromUnixTimestamp64Milli(1447328726456)');
    expect(expandMacros('$__dateFilter(date)', c)).toBe("date >= toDate('2014-11-12') AND date <= toDate('2015-11-12')");
    expect(expandMacros('$__fromTime AND $__toTime', c)).toBe('toDateTime(1415792726) AND toDateTime(1447328726)');
    expect(expandMacros('$__fromTime_ms', c)).toBe('fromUnixTimestamp64Milli(1415792726123)');
    expect(expandMacros('$__interval_s', c)).toBe('20');
    expect(expandMacros('$__timeInterval(column)', c)).toBe('toStartOfInterval(toDateTime(column), INTERVAL 20 second)');
    expect(expandMacros('$__timeInterval_ms(column)', c)).toBe('toStartOfInterval(toDateTime64(column, 3), INTERVAL 20000 millisecond)');
    expect(expandMacros('$__dateTimeFilter(d, t)', c)).toBe("(d >= toDate('2014-11-12') AND d <= toDate('2015-11-12')) AND (t >= toDateTime(1415792726) AND t <= toDateTime(1447328726))");
  });

  it('keeps intervals at one second at least, and tells $__timeFilter from $__timeFilter_ms', () => {
    expect(expandMacros('$__interval_s', { ...c, intervalMs: 200 })).toBe('1');
    expect(expandMacros('$__timeFilter(a) AND $__timeFilter_ms(b)', c)).toBe(
      'a >= toDateTime(1415792726) AND a <= toDateTime(1447328726) AND b >= fromUnixTimestamp64Milli(1415792726123) AND b <= fromUnixTimestamp64Milli(1447328726456)',
    );
  });

  it('reads nested parentheses as one argument list, and (as the SDK does) lets an argument-less macro swallow later parentheses', () => {
    expect(expandMacros('$__timeInterval(toDateTime(x))', c)).toBe('toStartOfInterval(toDateTime(toDateTime(x)), INTERVAL 20 second)');
    // the SDK scans from the macro to the first '(' wherever it is: a dashboard must not write this
    expect(expandMacros('x >= $__fromTime AND y IN (1, 2)', c)).toBe('x >= toDateTime(1415792726)');
    // a ')' before any '(' ends the scan: the macro is only its name
    expect(expandMacros('(x >= $__fromTime) AND y IN (1)', c)).toBe('(x >= toDateTime(1415792726)) AND y IN (1)');
  });

  it('refuses what it does not model', () => {
    expect(() => expandMacros('$__conditionalAll(a IN ($q), $q)', c)).toThrow(/frontend/);
    expect(() => expandMacros('$__timeFilter(a, b)', c)).toThrow(/expected 1/);
    expect(() => expandMacros('$__nope', c)).toThrow(/unknown macro/);
  });
});

describe('interpolate (Grafana template variables)', () => {
  it('formats single and multi values, leaves $__ names to the plugin', () => {
    const vars = { tenant: "o'hara", queue: ['a', 'b'] };
    expect(interpolate('t = ${tenant:singlequote} AND q IN (${queue:singlequote}) AND $__timeFilter(x)', vars)).toBe(
      "t = 'o\\'hara' AND q IN ('a','b') AND $__timeFilter(x)",
    );
    expect(interpolate("t = '$tenant' AND [[queue]] AND ${queue:csv} AND ${tenant:sqlstring}", vars)).toBe("t = 'o'hara' AND {a,b} AND a,b AND 'o''hara'");
    expect(() => interpolate('$missing', vars)).toThrow(/no value/);
    expect(() => interpolate('${queue:regex}', vars)).toThrow(/not modelled/);
  });
});
