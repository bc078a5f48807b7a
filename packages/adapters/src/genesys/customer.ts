// The customer key both feeds derive alike: the customer's own address (the caller's number on
// an inbound call, the dialled number on an outbound one, the e-mail or messaging address
// otherwise), so the same person gets the same key from a detail record and a detail event.
import type { Direction } from '@switchboard/events';
import { pseudonymize } from '../common';
import { addressKey } from './enums';

export interface Addresses {
  ani?: unknown;
  dnis?: unknown;
  addressFrom?: unknown;
  addressTo?: unknown;
}

export function customerAddress(a: Addresses, direction: Direction): string | null {
  return direction === 'inbound'
    ? addressKey(a.ani) ?? addressKey(a.addressFrom)
    : addressKey(a.dnis) ?? addressKey(a.addressTo);
}

export function customerKey(tenant: string, raw: string | null): string | null {
  return raw === null ? null : pseudonymize(tenant, raw);
}
