// Small readers for Zendesk's loosely typed JSON (ids arrive as numbers in the REST API and
// as strings in webhooks; both become strings).
import { optString } from '../common';

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export const objectOr = (v: unknown): Record<string, unknown> => (isObject(v) ? v : {});

/** An id that may also come as {id: …} (webhook assignment events) or 0 for "none". */
export function idOf(v: unknown): string | null {
  const s = optString(isObject(v) ? v.id : v);
  return s === null || s === '0' ? null : s;
}

/** "zen:ticket:5158" → "5158" */
export function ticketIdFromSubject(subject: unknown): string | null {
  if (typeof subject !== 'string') return null;
  const m = /^zen:ticket:(\d+)$/.exec(subject.trim());
  return m ? m[1]! : null;
}

export const PAGE_HINT = (key: string) =>
  `record is a page of the API ({"${key}": […]}); write one record per line, e.g. jq -c '.${key}[]'`;
