import { CONTENT_SECURITY_POLICY } from '../report/html-assets.ts';
import { escapeHtml } from '../report/html-text.ts';
import { type HistorySample, hourOfWeek, serversFilled } from './sample.ts';

/** One group's week on the page: what the sweeps saw, and the learned need per hour of the week. */
export interface HistoryChartGroup {
  group: string;
  name: string;
  /** In time order. */
  samples: readonly HistorySample[];
  /** 168 learned floors and the zone they are read on; absent without enough history. */
  learned?: { needs: readonly number[]; timeZone: string } | undefined;
}

const WIDTH = 840;
const HEIGHT = 180;
const PAD = 30;

const SERIES = [
  { key: 'inService', label: 'servers in service', color: '#1f5fbf', dash: '' },
  { key: 'filled', label: 'servers the sessions filled', color: '#2a8a3a', dash: '' },
  { key: 'floor', label: 'floor in force', color: '#555', dash: '6 3' },
  { key: 'need', label: 'learned need', color: '#d2691e', dash: '2 2' },
] as const;

type Key = (typeof SERIES)[number]['key'];

function valuesOf(group: HistoryChartGroup): Record<Key, (number | undefined)[]> {
  const learned = group.learned;
  return {
    inService: group.samples.map((s) => s.inService),
    filled: group.samples.map(serversFilled),
    floor: group.samples.map((s) => s.floor),
    need: group.samples.map((s) =>
      learned === undefined
        ? undefined
        : learned.needs[hourOfWeek(Date.parse(s.t), learned.timeZone).slot],
    ),
  };
}

function chart(group: HistoryChartGroup): string {
  const values = valuesOf(group);
  const n = group.samples.length;
  const top = Math.max(
    1,
    ...Object.values(values).flatMap((v) => v.filter((x) => x !== undefined)),
  );
  const x = (i: number) => PAD + (n <= 1 ? 0 : (i * (WIDTH - 2 * PAD)) / (n - 1));
  const y = (v: number) => HEIGHT - PAD - (v * (HEIGHT - 2 * PAD)) / top;
  const lines = SERIES.map(({ key, color, dash }) => {
    const points = values[key]
      .map((v, i) => (v === undefined ? '' : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
      .filter((p) => p !== '')
      .join(' ');
    if (points === '') return '';
    const dashed = dash === '' ? '' : ` stroke-dasharray="${dash}"`;
    return `<polyline class="s-${key}" fill="none" stroke="${color}" stroke-width="1.5"${dashed} points="${points}"/>`;
  }).join('');
  const removals = group.samples
    .map((s, i) =>
      s.removals > 0
        ? `<line class="removal" x1="${x(i).toFixed(1)}" x2="${x(i).toFixed(1)}" y1="${HEIGHT - PAD}" y2="${HEIGHT - PAD + 8}" stroke="#c00"><title>${s.removals} removed ${escapeHtml(s.t)}</title></line>`
        : '',
    )
    .join('');
  const first = group.samples[0]?.t ?? '';
  const last = group.samples.at(-1)?.t ?? '';
  return (
    `<svg role="img" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" aria-label="${escapeHtml(group.name)}: ${n} sweeps">` +
    `<text x="${PAD}" y="14" font-size="11">${top} servers</text>` +
    `<line x1="${PAD}" x2="${WIDTH - PAD}" y1="${HEIGHT - PAD}" y2="${HEIGHT - PAD}" stroke="#999"/>` +
    `${lines}${removals}` +
    `<text x="${PAD}" y="${HEIGHT - 6}" font-size="10">${escapeHtml(first)}</text>` +
    `<text x="${WIDTH - PAD}" y="${HEIGHT - 6}" font-size="10" text-anchor="end">${escapeHtml(last)}</text></svg>`
  );
}

const LEGEND = `<p class="legend">${SERIES.map(
  (s) => `<span style="color:${s.color}">━ ${s.label}</span>`,
).join(' ')} <span style="color:#c00">| removals</span></p>`;

/**
 * The history page: per group, a chart of its last week (servers in service,
 * the servers its sessions filled, the floor in force, removals, the learned
 * need). One self-contained static page, every value escaped, no request.
 */
export function renderHistoryHtml(groups: readonly HistoryChartGroup[], title: string): string {
  const sections = groups
    .map(
      (g) =>
        `<section class="group" id="g-${escapeHtml(g.group)}"><h2>${escapeHtml(g.name || g.group)} <small>${escapeHtml(g.group)}</small></h2>` +
        `${g.learned === undefined ? '<p>No learned need yet: fewer than two weeks of history.</p>' : ''}${chart(g)}</section>`,
    )
    .join('\n');
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title>` +
    `<style>body{font-family:system-ui,sans-serif;margin:1rem 2rem}small{color:#666;font-weight:normal}.legend span{margin-right:1em}</style>` +
    `</head><body><main><h1>${escapeHtml(title)}</h1>${LEGEND}${sections || '<p>No history yet.</p>'}</main></body></html>\n`
  );
}
