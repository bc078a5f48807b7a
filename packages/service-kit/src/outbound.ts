import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch, type RequestInit, type Response } from 'undici';

// Outbound HTTP to addresses a tenant chose (alert webhooks, any future callback) must not
// reach the machine's own services or the private network behind it: a webhook pointed at
// http://127.0.0.1:8123/ would run SQL on the store host (docs/alerts.md, "Outbound requests"). Only
// public unicast addresses are reached, checked
//  - on the URL itself when it names an address (the URL parser has already turned
//    `2130706433`, `0x7f.1` and `[::ffff:127.0.0.1]` into their canonical forms), and
//  - on every address a name resolves to, inside the connection's own lookup, so what is
//    checked is what is connected to (no DNS rebinding between a check and the connect).
// Redirects are not followed. `allow` lists CIDRs of on-premises receivers that may be private.

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses `10.1.0.0/16, 192.168.7.10` (a bare address is its /32 or /128); throws naming the bad entry. */
export function parseCidrList(list: string): Cidr[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    try {
      return s.includes('/') ? ipaddr.parseCIDR(s) : ((a) => [a, a.kind() === 'ipv4' ? 32 : 128] as Cidr)(ipaddr.parse(s));
    } catch {
      throw new Error(`"${s}" is not an IP address or CIDR range`);
    }
  });
}

/** Why `address` may not be connected to, or undefined when it may. */
export function addressProblem(address: string, allow: readonly Cidr[] = []): string | undefined {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return `${address} is not an IP address`;
  }
  if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress()) ip = ip.toIPv4Address();
  if (allow.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits))) return undefined;
  const range = ip.range();
  return range === 'unicast' ? undefined : `${address} is a ${range} address`;
}

/** Why `url` may not be requested before any lookup (scheme, an address or a local name in it), or undefined. */
export function urlProblem(url: string, allow: readonly Cidr[] = []): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http(s) URL';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return addressProblem(host, allow);
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a loopback name`;
  return undefined;
}

export class OutboundRefused extends Error {
  constructor(readonly reason: string) {
    super(`refused: ${reason}`);
  }
}

/** The origin of a URL and `/***`: what answers and logs show of a URL that is a secret (Slack's are). */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/***`;
  } catch {
    return '***';
  }
}

export interface OutboundClient {
  /** POST/GET to a URL a tenant gave: refused (OutboundRefused) when it names or resolves to a forbidden address. */
  fetch(url: string, init: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export function createOutboundClient(opts: { allow?: readonly Cidr[] } = {}): OutboundClient {
  const allow = opts.allow ?? [];
  const guardedLookup = (hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const bad = addresses.map((a) => addressProblem(a.address, allow)).find(Boolean);
      if (bad) return callback(Object.assign(new OutboundRefused(`${hostname} resolves to ${bad.replace(/^\S+ is /, '')}`), { code: 'EREFUSED_ADDRESS' }), '');
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
  const agent = new Agent({ connect: { lookup: guardedLookup as never } });
  return {
    async fetch(url, init) {
      const problem = urlProblem(url, allow);
      if (problem) throw new OutboundRefused(problem);
      try {
        return await fetch(url, { ...init, redirect: 'manual', dispatcher: agent });
      } catch (err) {
        // undici wraps the connect error: surface the refusal itself
        const cause = (err as { cause?: unknown }).cause;
        if (cause instanceof OutboundRefused) throw cause;
        throw err;
      }
    },
    close: () => agent.close(),
  };
}
