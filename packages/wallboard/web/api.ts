// The wallboard reads only the public HTTP API (docs/api.md, docs/alerts.md), relative to the
// page, so it works behind a reverse proxy that serves Switchboard under a path prefix.
import type { AlertSummary, Target } from './logic';

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly path: string) {
    super(message);
  }
}

export interface Credentials {
  /** an API key (AUTH_MODE=api_key), sent as a bearer token */
  key: string | null;
  /** the tenant to read while auth is off (X-Tenant-Id); with a key, the key's tenant is used */
  tenant: string | null;
}

export interface RealtimeGroup {
  group: Record<string, string | null>;
  contacts_in_queue: number;
  longest_wait_ms: number | null;
  contacts_in_service: number;
  agents: Record<string, number>;
  agents_logged_in: number;
  open_backlog: number;
  oldest_open_ticket_age_ms: number | null;
}
export interface RealtimeAnswer {
  meta: { at: string };
  groups: RealtimeGroup[];
}
export interface KpiPointsAnswer {
  meta: { from: string; to: string; tz: string };
  series: { group: Record<string, string | null>; points: ({ ts: string } & Record<string, number | null | string>)[] }[];
}
export interface KpiColumnsAnswer {
  meta: { from: string; to: string; tz: string };
  windows: string[];
  series: { group: Record<string, string | null>; values: Record<string, (number | null)[]> }[];
}

export async function getJson<T>(path: string, params: [string, string][], creds: Credentials, signal?: AbortSignal): Promise<T> {
  const qs = new URLSearchParams(params).toString();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (creds.key) headers.authorization = `Bearer ${creds.key}`;
  if (creds.tenant) headers['x-tenant-id'] = creds.tenant;
  const r = await fetch(`${path}${qs ? `?${qs}` : ''}`, { headers, cache: 'no-store', ...(signal ? { signal } : {}) });
  if (!r.ok) {
    let message = `${r.status} ${r.statusText}`;
    try {
      const body = (await r.json()) as { error?: string; details?: { param?: string; field?: string; reason: string }[] };
      if (body.error) message = body.error + (body.details?.length ? `: ${body.details.map((d) => `${d.param ?? d.field ?? ''} ${d.reason}`.trim()).join('; ')}` : '');
    } catch {
      // not JSON: the status line says enough
    }
    throw new ApiError(r.status, message, path);
  }
  return (await r.json()) as T;
}

/**
 * Targets and alerts are the alerter's routes: on the same port in single-node mode, possibly
 * elsewhere in the scaled shape. A 404 there means "not served here", not an error of the board.
 */
export async function getOptional<T>(path: string, params: [string, string][], creds: Credentials, empty: T): Promise<{ value: T; served: boolean }> {
  try {
    return { value: await getJson<T>(path, params, creds), served: true };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { value: empty, served: false };
    throw err;
  }
}

export const getTargets = (creds: Credentials) => getOptional<{ targets: Target[] }>('v1/targets', [], creds, { targets: [] });
export const getAlerts = (creds: Credentials) => getOptional<{ alerts: AlertSummary[] }>('v1/alerts', [['state', 'active'], ['limit', '1000']], creds, { alerts: [] });
