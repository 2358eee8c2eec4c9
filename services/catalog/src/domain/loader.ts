import { classifyProhibited } from './prohibited.js';
import type { FeedItem } from './feed.js';

export interface RefusedFeedItem {
  item: FeedItem;
  reason: string;
}

/** Splits a feed into what may be sold and what is refused (with the reason), keeping feed order. */
export function partitionFeed(feed: FeedItem[]): { accepted: FeedItem[]; refused: RefusedFeedItem[] } {
  const accepted: FeedItem[] = [];
  const refused: RefusedFeedItem[] = [];
  for (const item of feed) {
    const reason = classifyProhibited(item);
    if (reason) refused.push({ item, reason });
    else accepted.push(item);
  }
  return { accepted, refused };
}

/** Distinct values in first-seen order (sizes and colours as the variants list them). */
export function distinct(values: Array<string | null>): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))];
}
