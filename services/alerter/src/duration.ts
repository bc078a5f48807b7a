import { z } from 'zod';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d{1,6})(s|m|h|d)$/;

/** `90s`, `15m`, `2h`, `7d` → ms; null when it is not one of those. */
export function parseDuration(s: string): number | null {
  const m = DURATION_RE.exec(s.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : null;
}

/** ms → the shortest exact `…d/h/m/s` form. */
export function formatDuration(ms: number): string {
  for (const u of ['d', 'h', 'm'] as const) if (ms % UNIT_MS[u] === 0) return `${ms / UNIT_MS[u]}${u}`;
  return `${Math.round(ms / 1000)}s`;
}

/** A duration string with bounds, whole minutes unless `seconds` is allowed. */
export const durationSchema = (opts: { min: number; max: number; wholeMinutes?: boolean }) =>
  z.string().superRefine((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === null) ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration like 90s, 15m, 2h or 1d` });
    else if (ms < opts.min || ms > opts.max) ctx.addIssue({ code: 'custom', message: `must be between ${formatDuration(opts.min)} and ${formatDuration(opts.max)}` });
    else if (opts.wholeMinutes && ms % 60_000 !== 0) ctx.addIssue({ code: 'custom', message: 'must be a whole number of minutes (the base window is 1 minute)' });
  });
