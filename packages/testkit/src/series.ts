import type { Series } from '@switchboard/kpi';

const byGroup = (s: Series[]) => [...s].sort((a, b) => JSON.stringify(a.group).localeCompare(JSON.stringify(b.group)));

/** Lists the first differences between two /v1/kpis answers (groups in any order; floats to 1e-9 relative), so a failure says which KPI of which window of which group is off. */
export function differences(got: Series[], want: Series[]): string[] {
  const out: string[] = [];
  const g = byGroup(got);
  const w = byGroup(want);
  if (g.length !== w.length) out.push(`groups: got ${g.length}, want ${w.length}: ${JSON.stringify(g.map((s) => s.group))} vs ${JSON.stringify(w.map((s) => s.group))}`.slice(0, 600));
  for (let i = 0; i < Math.min(g.length, w.length) && out.length < 10; i++) {
    if (JSON.stringify(g[i]!.group) !== JSON.stringify(w[i]!.group)) { out.push(`group ${i}: ${JSON.stringify(g[i]!.group)} vs ${JSON.stringify(w[i]!.group)}`); continue; }
    w[i]!.points.forEach((wp, j) => {
      const gp = g[i]!.points[j];
      for (const [k, v] of Object.entries(wp)) {
        const gv = gp?.[k];
        const same = v === gv || (typeof v === 'number' && typeof gv === 'number' && Math.abs(v - gv) <= 1e-9 * Math.max(1, Math.abs(v)))
          || (typeof v === 'object' && v !== null && JSON.stringify(v) === JSON.stringify(gv));
        if (!same && out.length < 10) out.push(`${JSON.stringify(w[i]!.group)} ${wp.ts} ${k}: got ${JSON.stringify(gv)}, want ${JSON.stringify(v)}`);
      }
    });
  }
  return out;
}

