// The memory Amazon Connect's contact record stream forces on us. Connect delivers each CTR
// at least once and again whenever it changes (attributes updated after the call, ACW ending),
// each copy complete, ordered only by LastUpdateTimestamp. We keep per leg the newest version
// seen and which derived events went out, and per transfer the link between legs.
//
// Losing the memory (restart, eviction) is safe: event ids depend on the vendor's ids only, so
// what we emit again is dropped by the aggregator (first event per id wins). What is lost is
// only the best guess for legs that name neither their initial contact nor their successor.
import type { ContactEvent, Direction } from '@switchboard/events';
import type { MapContext, MapResult } from '../common';
import { TRANSFER_METHODS, directionOf } from './dimensions';
import { deriveLegEvents, isInitialLeg, namesTransfer, parseCtr, transferBasis, transferredEvent, type CtrLeg, type TransferBasis } from './ctr';
import { parseOptions } from './options';

interface LegMemo {
  /** newest LastUpdateTimestamp seen for the leg */
  lu: number;
  /** keys of the derived events already emitted */
  sent: string[];
  /** the contact_id the leg was given, so its successors inherit it */
  cid: string;
  dir: Direction;
  /** InitiationTimestamp of the leg */
  init: number;
  /** for a leg that named no successor: its transfer, should a later leg name it as predecessor */
  basis?: TransferBasis;
}

const legKey = (tenant: string, contactId: string) => `amzn:ctr:${tenant}:${contactId}`;
/** "a leg named <contactId> as its PreviousContactId", remembered for when <contactId> arrives after it */
const nextKey = (tenant: string, contactId: string) => `amzn:next:${tenant}:${contactId}`;

function isTransferLeg(leg: CtrLeg): boolean {
  return leg.method !== null && TRANSFER_METHODS.has(leg.method);
}

/** One CTR → the derived events not emitted for an earlier version of the same leg. */
export function mapCtr(record: unknown, ctx: MapContext): MapResult {
  const opts = parseOptions(ctx.options);
  const leg = parseCtr(record, ctx.tenant, opts);
  if (leg === null) return { events: [], ignored: 1 };
  const { state, tenant } = ctx;

  const key = legKey(tenant, leg.contactId);
  const memo = state.get<LegMemo>(key);
  // an older copy arriving late says less than what we already mapped
  if (memo && leg.lastUpdate < memo.lu) return { events: [], ignored: 1 };

  const prevKey = leg.previousContactId !== null ? legKey(tenant, leg.previousContactId) : null;
  const prev = prevKey !== null ? state.get<LegMemo>(prevKey) : undefined;
  const transferLeg = isTransferLeg(leg);
  // all legs of a transferred contact share the first leg's id; Connect names it in
  // InitialContactId, and only when it does not do we fall back on the chain
  const contactId = leg.initialContactId ?? (transferLeg ? prev?.cid ?? leg.previousContactId : null) ?? leg.contactId;
  const first = contactId === leg.contactId ? undefined : state.get<LegMemo>(legKey(tenant, contactId));
  // a transfer leg says TRANSFER, not how the contact began: inherit the direction when known
  const direction = transferLeg ? prev?.dir ?? first?.dir ?? 'inbound' : directionOf(leg.method);
  const transferredByLink = !namesTransfer(leg) && state.get<string>(nextKey(tenant, leg.contactId)) !== undefined;
  const lctx = {
    contactId,
    direction,
    contactCreatedAt: isInitialLeg(leg) ? leg.initiatedAt : first?.init ?? null,
    transferredByLink,
  };

  const { derived, skipped } = deriveLegEvents(leg, lctx, tenant, opts);
  const sent = new Set(memo?.sent ?? []);
  const events: ContactEvent[] = [];
  for (const d of derived) {
    if (sent.has(d.key)) continue;
    sent.add(d.key);
    events.push(d.event);
  }

  if (transferLeg && leg.previousContactId !== null) {
    state.set(nextKey(tenant, leg.previousContactId), leg.contactId);
    // the predecessor arrived first and named no successor: its transfer is known only now
    if (prev && prev.basis && !prev.sent.includes('transferred')) {
      events.push(transferredEvent(tenant, prev.basis));
      state.set(prevKey!, { ...prev, sent: [...prev.sent, 'transferred'], basis: undefined });
    }
  }

  const basis = namesTransfer(leg) || transferredByLink ? undefined : transferBasis(leg, lctx, opts) ?? undefined;
  state.set<LegMemo>(key, {
    lu: Math.max(leg.lastUpdate, memo?.lu ?? -Infinity),
    sent: [...sent],
    cid: contactId,
    dir: direction,
    init: leg.initiatedAt,
    ...(basis ? { basis } : {}),
  });
  // an identical copy (or one whose news changes no event) maps to nothing: count it
  return { events, ignored: skipped + (events.length === 0 ? 1 : 0) };
}
