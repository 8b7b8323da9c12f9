/**
 * Data API JSON of a wallet's account (spec 4.2, 4.3, 4.5): `/positions` and `/activity` rows,
 * `/holders` rows. Numbers are JSON floats; profile keys are empty strings when unset.
 */
import type { TradeRow } from '../query/trades.ts';
import { avgPrice, currentPrice, type Holding, round, size } from '../world/holdings.ts';
import { profileKeysJson, walletProfile } from '../world/text.ts';
import type { World } from '../world/world.ts';
import { rowParty } from './data.ts';
import { dateOnly, q } from './format.ts';

const NO_PROFILE = '"name":"","pseudonym":"","bio":"","profileImage":"","profileImageOptimized":""';

const profileOf = (world: World, index: number): string => (index < 0 ? NO_PROFILE : profileKeysJson(world.seed, index));

/** The figures of a position as `/positions` reports them. */
export interface PositionFigures {
  size: number;
  avgPrice: number;
  curPrice: number;
  initialValue: number;
  currentValue: number;
  cashPnl: number;
  percentPnl: number;
  realizedPnl: number;
  percentRealizedPnl: number;
  redeemable: boolean;
  mergeable: boolean;
}

/** `other`: the wallet's holding in the opposite token of the same market, if any. */
export function positionFigures(world: World, h: Holding, other: Holding | undefined, t: number): PositionFigures {
  const s = size(h);
  const avg = avgPrice(h);
  const cur = currentPrice(world, h.m, h.outcome, t);
  const initialValue = s * avg;
  const currentValue = s * cur;
  const realized = h.proceeds - avg * Math.min(h.sold, h.bought);
  const closed = world.isClosed(h.m, t);
  return {
    size: round(s),
    avgPrice: round(avg),
    curPrice: cur,
    initialValue: round(initialValue),
    currentValue: round(currentValue),
    cashPnl: round(currentValue - initialValue),
    percentPnl: initialValue > 0 ? round(((currentValue - initialValue) / initialValue) * 100) : 0,
    realizedPnl: round(realized),
    percentRealizedPnl: h.cost > 0 ? round((realized / h.cost) * 100) : 0,
    redeemable: closed,
    mergeable: !closed && other !== undefined && size(other) > 0,
  };
}

export function positionJson(world: World, h: Holding, f: PositionFigures): string {
  const v = world.market(h.m);
  const ev = world.event(v.event);
  const o = h.outcome;
  return `{"proxyWallet":"${h.wallet}","asset":${q(v.tokens[o])},"conditionId":${q(v.conditionId)},"size":${f.size},"avgPrice":${f.avgPrice},"initialValue":${f.initialValue},"currentValue":${f.currentValue},"cashPnl":${f.cashPnl},"percentPnl":${f.percentPnl},"totalBought":${round(h.bought)},"realizedPnl":${f.realizedPnl},"percentRealizedPnl":${f.percentRealizedPnl},"curPrice":${f.curPrice},"redeemable":${f.redeemable},"mergeable":${f.mergeable},"title":${q(v.question)},"slug":${q(v.slug)},"icon":${q(v.icon)},"eventId":${q(ev.id)},"eventSlug":${q(ev.slug)},"outcome":${q(v.outcomes[o])},"outcomeIndex":${o},"oppositeOutcome":${q(v.outcomes[1 - o]!)},"oppositeAsset":${q(v.tokens[1 - o]!)},"endDate":${q(dateOnly(v.endDate))},"negativeRisk":${v.negRisk}}`;
}

/** One `/activity` row of type TRADE: the wallet's side of a fill. */
export function tradeActivityJson(world: World, row: TradeRow): string {
  const f = row.fill;
  const v = world.market(f.m);
  const party = rowParty(world, row);
  return `{"proxyWallet":"${party.wallet.toLowerCase()}","timestamp":${f.ts},"conditionId":${q(v.conditionId)},"type":"TRADE","size":${f.size},"usdcSize":${round(f.size * f.price)},"transactionHash":"${f.tx}","price":${f.price},"asset":${q(v.tokens[f.outcome])},"side":"${party.side}","outcomeIndex":${f.outcome},"title":${q(v.question)},"slug":${q(v.slug)},"icon":${q(v.icon)},"eventSlug":${q(world.event(v.event).slug)},"outcome":${q(v.outcomes[f.outcome])},${profileOf(world, party.index)},"isCombo":false}`;
}

/** One holder of a token in `/holders`: the profile keys in the order that route serves them. */
export function holderJson(world: World, h: Holding): string {
  const v = world.market(h.m);
  const p = h.index < 0 ? { name: '', pseudonym: '', bio: '', profileImage: '' } : walletProfile(world.seed, h.index);
  return `{"proxyWallet":"${h.wallet}","bio":${q(p.bio)},"asset":${q(v.tokens[h.outcome])},"pseudonym":${q(p.pseudonym)},"amount":${round(size(h))},"displayUsernamePublic":${p.name !== ''},"outcomeIndex":${h.outcome},"name":${q(p.name)},"profileImage":${q(p.profileImage)},"profileImageOptimized":${q(p.profileImage)},"verified":false}`;
}
