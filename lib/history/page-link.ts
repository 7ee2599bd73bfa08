import { HISTORY_PREFIX } from './store.ts';

/** The history page's key under the history prefix (written by recommend, lib/history/weekly.ts). */
export const HISTORY_PAGE = 'latest.html';

/**
 * The history page's address relative to a page kept at `pageKey` in the
 * same bucket: `../../history/latest.html` from `reports/{date}/{id}.html`,
 * `history/latest.html` from the root `latest.html`. Relative, so it works
 * wherever the bucket is served (console, path- or host-style, a local copy).
 */
export function historyHrefFrom(pageKey: string): string {
  const depth = pageKey.split('/').length - 1;
  return `${'../'.repeat(depth)}${HISTORY_PREFIX}${HISTORY_PAGE}`;
}

/**
 * `html`, rendered for the page at `fromKey`, moved to `toKey`: its history
 * links rewritten. Only the page's own attributes hold a raw `href="` (every
 * value from a report is escaped, quotes included), so the rewrite touches
 * nothing else; one render serves both places a report page is kept.
 */
export function moveHistoryLinks(html: string, fromKey: string, toKey: string): string {
  return html.replaceAll(`href="${historyHrefFrom(fromKey)}`, `href="${historyHrefFrom(toKey)}`);
}
