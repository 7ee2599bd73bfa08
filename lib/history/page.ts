import { CONTENT_SECURITY_POLICY } from '../report/html-assets.ts';
import { encodeRuns, type WeekChart } from './week-chart.ts';

// The chart, the escaping and the data's decoding as plain JavaScript
// source: the page runs it in the browser to draw whichever group a reader
// picks, and this module runs the same source (through `new Function`) to
// draw the first group into the page, so the two never differ and no
// bundler (minify, keepNames) rewrites what the browser gets.
const ESCAPE_JS = `function (value) {
  return String(value).replace(/[&<>"']/g, function (ch) { return '&#' + ch.charCodeAt(0) + ';'; });
}`;
const DECODE_RUNS_JS = `function (runs) {
  var out = [];
  for (var i = 0; i + 1 < runs.length; i += 2) for (var k = 0; k < runs[i + 1]; k++) out.push(runs[i]);
  return out;
}`;
const DRAW_WEEK_JS = `function (c, esc) {
  var W = 840, H = 180, P = 30, HOUR = 3600000;
  var series = [['inService', '#1f5fbf', ''], ['filled', '#2a8a3a', ''], ['floor', '#555', '6 3'], ['need', '#d2691e', '2 2']];
  var n = c.removals.length, top = 1;
  series.forEach(function (s) { c[s[0]].forEach(function (v) { if (v !== null && v > top) top = v; }); });
  function x(i) { return (P + (n <= 1 ? 0 : (i * (W - 2 * P)) / (n - 1))).toFixed(1); }
  function y(v) { return (H - P - (v * (H - 2 * P)) / top).toFixed(1); }
  function stamp(i) { return new Date(c.from + i * HOUR).toISOString().slice(0, 16); }
  var paths = '';
  series.forEach(function (s) {
    var d = '', pen = 'M';
    c[s[0]].forEach(function (v, i) {
      if (v === null) { pen = 'M'; return; }
      d += pen + x(i) + ' ' + y(v); pen = 'L';
    });
    if (d === '') return;
    paths += '<path class="s-' + s[0] + '" fill="none" stroke="' + s[1] + '" stroke-width="1.5"' +
      (s[2] === '' ? '' : ' stroke-dasharray="' + s[2] + '"') + ' d="' + d + '"/>';
  });
  var ticks = '';
  c.removals.forEach(function (r, i) {
    if (r > 0) ticks += '<line class="removal" x1="' + x(i) + '" x2="' + x(i) + '" y1="' + (H - P) + '" y2="' + (H - P + 8) +
      '" stroke="#c00"><title>' + r + ' removed ' + stamp(i) + '</title></line>';
  });
  var name = esc(c.name || c.id);
  return '<h2>' + name + ' <small>' + esc(c.id) + '</small></h2>' +
    (c.learned ? '' : '<p>No learned need yet: fewer than two weeks of history.</p>') +
    '<svg role="img" viewBox="0 0 ' + W + ' ' + H + '" width="100%" aria-label="' + name + ': the last week, hour by hour">' +
    '<text x="' + P + '" y="14" font-size="11">' + top + ' servers</text>' +
    '<line x1="' + P + '" x2="' + (W - P) + '" y1="' + (H - P) + '" y2="' + (H - P) + '" stroke="#999"/>' + paths + ticks +
    '<text x="' + P + '" y="' + (H - 6) + '" font-size="10">' + stamp(0) + ' UTC</text>' +
    '<text x="' + (W - P) + '" y="' + (H - 6) + '" font-size="10" text-anchor="end">' + stamp(n - 1) + ' UTC</text></svg>';
}`;

function compiled<F>(source: string): F {
  return new Function(`return (${source});`)() as F;
}

/** Text made safe for HTML content and quoted attributes (numeric entities), as the page escapes it. */
export const escapeText = compiled<(value: unknown) => string>(ESCAPE_JS);

/** The inverse of `encodeRuns` (lib/history/week-chart.ts), as the page decodes its data. */
export const decodeRuns =
  compiled<(runs: readonly (number | null)[]) => (number | null)[]>(DECODE_RUNS_JS);

/**
 * One group's week as an SVG chart, with its heading: servers in service,
 * the servers its sessions filled, the floor in force, the learned need,
 * removals as ticks; every value through `esc`.
 */
export const drawWeek =
  compiled<(c: WeekChart, esc: (value: unknown) => string) => string>(DRAW_WEEK_JS);

/** Groups the search lists at once; every group is reachable by narrowing it. */
const MATCHES_SHOWN = 50;

const LEGEND =
  '<p class="legend"><span style="color:#1f5fbf">━ servers in service</span> <span style="color:#2a8a3a">━ servers the sessions filled</span> ' +
  '<span style="color:#555">┅ floor in force</span> <span style="color:#d2691e">┅ learned need</span> <span style="color:#c00">| removals</span> ' +
  '(hourly: the most in service and filled in each hour)</p>';

// The browser side: picks a group by the address's #g-{id} or the search,
// and draws it with drawWeek from the embedded data (decodeRuns unpacks it).
const SCRIPT = `(function(drawWeek,decodeRuns,esc){
var rows=JSON.parse(document.getElementById('history-data').textContent);
var at=new Map(rows.map(function(r,i){return [r[0],i];}));
var chart=document.getElementById('chart'),find=document.getElementById('find'),list=document.getElementById('matches'),found=document.getElementById('found');
function show(id){var i=at.get(id);if(i===undefined)return;var r=rows[i];
chart.innerHTML=drawWeek({id:r[0],name:r[1],from:r[2],learned:r[3]===1,inService:decodeRuns(r[4]),filled:decodeRuns(r[5]),floor:decodeRuns(r[6]),need:decodeRuns(r[7]),removals:decodeRuns(r[8])},esc);}
function search(){var q=find.value.trim().toLowerCase(),hits=[],total=0;
for(var k=0;k<rows.length;k++){var r=rows[k];if(q===''||r[0].toLowerCase().indexOf(q)>=0||r[1].toLowerCase().indexOf(q)>=0){total++;if(hits.length<${MATCHES_SHOWN})hits.push(r);}}
list.innerHTML=hits.map(function(r){return '<li><a href="#g-'+encodeURIComponent(r[0])+'">'+esc(r[1]||r[0])+'</a> <small>'+esc(r[0])+'</small></li>';}).join('');
found.textContent=total+' of '+rows.length+' groups match'+(total>hits.length?'; the first '+hits.length+' are listed: narrow the search to reach the others':'');}
function fromHash(){if(location.hash.indexOf('#g-')===0)show(decodeURIComponent(location.hash.slice(3)));}
addEventListener('hashchange',fromHash);find.addEventListener('input',search);search();fromHash();
})(${DRAW_WEEK_JS},${DECODE_RUNS_JS},${ESCAPE_JS});`;

/**
 * The history page: every group's last week, one chart at a time (the first
 * group drawn in the page; any other by its address `#g-{id}` or the
 * search), from data embedded in the page. One self-contained static page,
 * every value escaped, no request; its size grows with the hours in which a
 * series changes, not with the sweeps.
 */
export function renderHistoryHtml(charts: readonly WeekChart[], title: string): string {
  const rows = charts.map((c) => [
    c.id,
    c.name,
    c.from,
    c.learned ? 1 : 0,
    encodeRuns(c.inService),
    encodeRuns(c.filled),
    encodeRuns(c.floor),
    encodeRuns(c.need),
    encodeRuns(c.removals),
  ]);
  // `<` escaped: no group name can close the data's script element.
  const data = JSON.stringify(rows).replaceAll('<', '\\u003c');
  const [first] = charts;
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeText(title)}</title>` +
    `<style>body{font-family:system-ui,sans-serif;margin:1rem 2rem}small{color:#666;font-weight:normal}.legend span{margin-right:1em}#matches{columns:3 16rem}</style>` +
    `</head><body><main><h1>${escapeText(title)}</h1>${LEGEND}` +
    (first === undefined
      ? '<p>No history yet.</p>'
      : `<form role="search" onsubmit="return false"><label for="find">Find a group by name or id (${charts.length} groups)</label> ` +
        `<input id="find" type="search" autocomplete="off"></form><p id="found" aria-live="polite"></p><ul id="matches"></ul>` +
        `<noscript><p>Showing the first group: picking another needs JavaScript.</p></noscript>` +
        `<section id="chart" class="group" aria-live="polite">${drawWeek(first, escapeText)}</section>`) +
    `</main><script type="application/json" id="history-data">${data}</script><script>${SCRIPT}</script></body></html>\n`
  );
}
