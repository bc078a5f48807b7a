/** What /v1/realtime groups and filters by: the dimensions a state row carries. */
export const REALTIME_DIMENSIONS = ['queue_id', 'team_id', 'channel'] as const;
export type RealtimeDimension = (typeof REALTIME_DIMENSIONS)[number];

/** The longest lookback: state rows expire after 35 days (migration 0009). */
export const MAX_LOOKBACK_H = 720;
export const DEFAULT_LOOKBACK_H = 168;

export interface RealtimeQuery {
  /** the server's clock when the request came: waits and ages are measured to it */
  at: number;
  lookbackH: number;
  groupBy: RealtimeDimension[];
  /** dimension → allowed values ('' stands for "none") */
  filters: Partial<Record<RealtimeDimension, string[]>>;
}
