const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

// A surrogate pair first, so that it becomes one reference, not two halves.
const ESCAPED = /[&<>"']|[\ud800-\udbff][\udc00-\udfff]|[\u0080-\uffff]/g;

/**
 * Text made safe for HTML element content and quoted attribute values, in
 * ASCII: a character beyond it becomes a reference (`→` is `&#8594;`).
 * Chromium decodes all-ASCII input on its 8-bit fast path; a `→` in every
 * server line's outcome made it decode a 14 MB page to UTF-16, 0.7-1.0 s
 * (bench/lib/report-page.ts, docs/performance.md).
 */
export function escapeHtml(value: unknown): string {
  return String(value).replace(ESCAPED, (c) => ESCAPES[c] ?? `&#${c.codePointAt(0)};`);
}

/** A whole number with thousands separators; `–` for anything not finite. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '–';
  // Not toLocaleString: it is slow enough to matter over tens of thousands of cells.
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A percentage with at most one decimal, e.g. `42.5%`; `–` for anything not finite. */
export function formatPercent(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return `${Math.round(value * 10) / 10}%`;
}

/** An amount with two decimals and thousands separators, e.g. `1,234.50`; `–` for anything not finite. */
export function formatAmount(amount: number): string {
  return Number.isFinite(amount)
    ? amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    : '–';
}

/** An amount of money with two decimals and its currency, e.g. `12.50 CNY`. */
export function formatMoney(amount: number, currency: string): string {
  return `${formatAmount(amount)} ${escapeHtml(currency)}`;
}

/** A number clamped into 0–100, for widths and offsets in percent. */
export function clampPercent(value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value)) return 0;
  return Math.round(Math.min(100, Math.max(0, value)) * 10) / 10;
}
