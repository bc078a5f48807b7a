/**
 * top_topics (docs/kpis.md; docs/api.md, "GET /v1/kpis"): the most frequent contact reasons of a window, by created contacts,
 * with their share and the change against the window before. It is a ranking, not a number,
 * so it sits beside the numeric catalogue: /v1/kpis answers it as a list per point.
 */
export const TOP_TOPICS_ID = 'top_topics';
export const TOP_TOPICS_DEFINITION =
  'the n topics with the most contact_created in the window (ties by name; contacts without a topic are not ranked), each with its count, ' +
  'its share of all created contacts of the window, its count in the previous window and the relative change (null when it was 0)';

export interface TopTopic {
  topic: string;
  created: number;
  /** of all contacts created in the window, those without a topic included; null when none */
  share: number | null;
  /** created in the window just before */
  previous: number;
  /** (created − previous) ÷ previous; null when previous is 0 */
  change: number | null;
}

/** Ranks topics by created count; `current` and `previous` map topic ('' for none) → count. */
export function rankTopics(current: ReadonlyMap<string, number>, previous: ReadonlyMap<string, number>, n: number): TopTopic[] {
  let total = 0;
  for (const v of current.values()) total += v;
  return [...current]
    .filter(([t, v]) => t !== '' && v > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, n)
    .map(([topic, created]) => {
      const prev = previous.get(topic) ?? 0;
      return { topic, created, share: total > 0 ? created / total : null, previous: prev, change: prev > 0 ? (created - prev) / prev : null };
    });
}
