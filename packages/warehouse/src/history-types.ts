import type { Quantity } from '@switchboard/kpi';
import type { KpiQuery } from './kpi-query';
import type { WindowSource } from './window-source';

// What the readers of quantities beyond a window's row (history-reader.ts, staffing-reader.ts) are given and answer.

/** group key (JSON of the group's dimension values) → window start (ms) → quantity key → value */
export type HistoryValues = Map<string, Map<number, Map<string, number>>>;

export interface HistoryRead {
  tenant: string;
  q: KpiQuery;
  /** the windows read, ascending (one window when merged) */
  windows: number[];
  /** end of the last window (exclusive) */
  end: number;
  /** the table and window-start SQL of the query's grain and zone */
  source: WindowSource;
  /** one point over [windows[0], end) */
  merged: boolean;
  /** the history quantities of the query, by quantity key */
  quantities: Map<string, Quantity>;
}

