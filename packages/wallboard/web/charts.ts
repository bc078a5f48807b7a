// The day's trends per 15 minutes, drawn with uPlot. A chart is made once and then only given
// new data (setData), so a refresh redraws the canvas without touching the page around it.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatKpi } from './logic';

/** A value with no value on either side draws no line: it gets a dot, so one busy quarter hour still shows. */
const isolated = (u: uPlot, si: number): number[] => {
  const d = u.data[si] as (number | null)[];
  const out: number[] = [];
  d.forEach((v, i) => { if (v !== null && v !== undefined && (d[i - 1] ?? null) === null && (d[i + 1] ?? null) === null) out.push(i); });
  return out;
};

export interface TrendSpec {
  kpi: string;
  label: string;
  colour: string;
}

export class TrendChart {
  private plot: uPlot | null = null;
  private withTarget = false;
  private tz = '';

  constructor(private readonly spec: TrendSpec, private readonly host: HTMLElement) {
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(host);
  }

  private size(): { width: number; height: number } {
    const w = Math.max(200, this.host.clientWidth);
    return { width: w, height: Math.max(120, Math.min(260, Math.round(w * 0.38))) };
  }

  /** x: window starts (epoch s); y: values (null where no data or in the future); target: a threshold line. */
  update(x: number[], y: (number | null)[], target: number | null, tz: string): void {
    const wantTarget = target !== null;
    if (!this.plot || wantTarget !== this.withTarget || tz !== this.tz) this.create(wantTarget, tz);
    const data: uPlot.AlignedData = wantTarget ? [x, y, x.map(() => target)] : [x, y];
    this.plot!.setData(data);
  }

  private create(withTarget: boolean, tz: string): void {
    this.plot?.destroy();
    this.withTarget = withTarget;
    this.tz = tz;
    const { kpi } = this.spec;
    const value = (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : formatKpi(kpi, v));
    const series: uPlot.Series[] = [
      {},
      { label: this.spec.label, stroke: this.spec.colour, fill: `${this.spec.colour}33`, width: 2, value, points: { show: true, size: 6, fill: this.spec.colour, filter: isolated } },
    ];
    if (withTarget) series.push({ label: 'target', stroke: '#e5e7eb', dash: [6, 6], width: 1, value, points: { show: false } });
    this.plot = new uPlot(
      {
        ...this.size(),
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
        scales: { x: { time: true }, y: { range: kpi === 'service_level' ? [0, 1] : (_u, _min, max) => [0, Math.max(max ?? 1, 1e-9) * 1.1] } },
        axes: [
          { stroke: '#cbd5e1', grid: { stroke: '#334155' }, ticks: { stroke: '#334155' } },
          { stroke: '#cbd5e1', grid: { stroke: '#334155' }, ticks: { stroke: '#334155' }, size: 64, values: (_u, vals) => vals.map((v) => formatKpi(kpi, v)) },
        ],
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        series,
      },
      [[], []],
      this.host,
    );
  }
}
