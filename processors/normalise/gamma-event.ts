/** Gamma /events records to a clean event (with the condition ids of its markets). */
import type { CleanEvent } from '../../schemas/clean-records.ts';
import { marketConditionIds, tagLabels } from './nested.ts';
import { type CleanOutput, fetchedAt, type RawInput } from './types.ts';
import { bool, decimal, field, integer, jsonArray, requiredText, text, timestamp } from './values.ts';

export function normaliseGammaEvent(input: RawInput): CleanOutput[] {
  const raw = input.value;
  const get = (name: string) => field(raw, name);
  const observed = fetchedAt(input);
  const eventId = requiredText(get('id'), 'id');
  const event: CleanEvent = {
    event_id: eventId,
    observed_ts: observed,
    ticker: text(get('ticker'), 'ticker'),
    slug: text(get('slug'), 'slug'),
    title: text(get('title'), 'title'),
    subtitle: text(get('subtitle'), 'subtitle'),
    description: text(get('description'), 'description'),
    category: text(get('category'), 'category'),
    subcategory: text(get('subcategory'), 'subcategory'),
    series_slug: text(get('seriesSlug'), 'seriesSlug'),
    active: bool(get('active'), 'active'),
    closed: bool(get('closed'), 'closed'),
    archived: bool(get('archived'), 'archived'),
    featured: bool(get('featured'), 'featured'),
    restricted: bool(get('restricted'), 'restricted'),
    neg_risk: bool(get('negRisk'), 'negRisk'),
    liquidity: decimal(get('liquidity'), 'liquidity'),
    volume: decimal(get('volume'), 'volume'),
    open_interest: decimal(get('openInterest'), 'openInterest'),
    volume_24hr: decimal(get('volume24hr'), 'volume24hr'),
    competitive: decimal(get('competitive'), 'competitive'),
    comment_count: integer(get('commentCount'), 'commentCount'),
    start_ts: timestamp(get('startDate'), 'startDate'),
    end_ts: timestamp(get('endDate'), 'endDate'),
    created_ts: timestamp(get('createdAt'), 'createdAt') ?? timestamp(get('creationDate'), 'creationDate'),
    updated_ts: timestamp(get('updatedAt'), 'updatedAt'),
    closed_ts: timestamp(get('closedTime'), 'closedTime'),
    published_ts: timestamp(get('published_at'), 'published_at'),
    market_condition_ids: marketConditionIds(jsonArray(get('markets'), 'markets')),
    tags: tagLabels(jsonArray(get('tags'), 'tags'), 'tags'),
    image: text(get('image'), 'image'),
    icon: text(get('icon'), 'icon'),
  };
  return [{ topic: 'events', key: eventId, value: event }];
}
