/**
 * `dim IN {f_dim:Array(String)}` for each filtered dimension, the values bound into `params`.
 * Dimension names come from the parsers' allow-lists; values never reach the SQL text.
 */
export function filterConditions(filters: Partial<Record<string, string[]>>, params: Record<string, unknown>): string[] {
  const where: string[] = [];
  for (const [d, values] of Object.entries(filters)) {
    params[`f_${d}`] = values;
    where.push(`${d} IN {f_${d}:Array(String)}`);
  }
  return where;
}
