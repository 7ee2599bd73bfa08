/**
 * With BENCH_CPU_PROF_DIR set, the node flags that make a child write its V8
 * CPU profiles (one per thread; the largest is the main one) to
 * `<dir>/<name>/` (bench/PROFILE.md); none otherwise.
 */
export function cpuProfileFlags(name: string): string[] {
  const dir = process.env['BENCH_CPU_PROF_DIR'];
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}/${name}`];
}

/** The parts of a V8 .cpuprofile this summary reads. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which part of the stack a frame belongs to, from its script URL and name. */
export function frameCategory(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)' || name === '(program)' || name === '(root)') return name;
  if (url.includes('internal/webstreams')) return 'WHATWG streams';
  if (url.includes('internal/deps/undici') || url.includes('node_modules/undici'))
    return 'undici / fetch';
  if (url.includes('node_modules/zod')) return 'zod';
  if (/lib\/huawei\/(request-)?signer/.test(url) || url.includes('internal/crypto'))
    return 'signing';
  if (url.includes('@huaweicloud') || url.includes('node_modules/axios')) return 'official SDK';
  if (url.includes('lib/huawei/')) return 'our client';
  if (url.includes('node:internal/url') || url.includes('internal/url')) return 'URL';
  if (url === '' && /^(parse|stringify)$/.test(name)) return 'JSON';
  if (url.includes('node:internal/streams') || url.includes('internal/streams'))
    return 'node streams';
  if (url.includes('_http') || url.includes('internal/http') || url.includes('net.js'))
    return 'node http/net';
  if (url === '') return 'native';
  return 'other';
}

export interface ProfileSummary {
  totalMs: number;
  categories: { category: string; ms: number; share: number }[];
  top: { frame: string; category: string; ms: number; share: number }[];
}

/**
 * Self time per frame and per category, busiest first; idle excluded. Each
 * sample counts as one median sampling interval: on a loaded machine the
 * time between two samples also holds the time the process was not running
 * at all, which would otherwise land on whatever frame came next (typically
 * the socket write that woke the server).
 */
export function summariseProfile(profile: CpuProfile, topN = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const sorted = [...profile.timeDeltas].sort((a, b) => a - b);
  const intervalMs = (sorted[Math.floor(sorted.length / 2)] ?? 0) / 1000;
  const self = new Map<number, number>();
  for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + intervalMs);
  const frames = new Map<string, { category: string; ms: number }>();
  const categories = new Map<string, number>();
  let totalMs = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const category = frameCategory(url, functionName);
    if (category === '(idle)') continue;
    totalMs += ms;
    const short = url
      .replace(/^.*node_modules\//, '')
      .replace(/^file:\/\/.*?\/(lib|bench)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${short}${url ? `:${lineNumber + 1}` : ''}`;
    const entry = frames.get(key) ?? { category, ms: 0 };
    entry.ms += ms;
    frames.set(key, entry);
    categories.set(category, (categories.get(category) ?? 0) + ms);
  }
  const share = (ms: number) => (totalMs > 0 ? ms / totalMs : 0);
  return {
    totalMs,
    categories: [...categories]
      .map(([category, ms]) => ({ category, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms),
    top: [...frames]
      .map(([frame, f]) => ({ frame, category: f.category, ms: f.ms, share: share(f.ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, topN),
  };
}

/** The summary as Markdown: categories, then the top frames. */
export function profileMarkdown(title: string, s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `### ${title}`,
    '',
    `${s.totalMs.toFixed(0)} ms of CPU by sample count (samples × median interval, idle excluded). Self time by category:`,
    '',
    '| category | ms | share |',
    '| --- | ---: | ---: |',
    ...s.categories.map((c) => `| ${c.category} | ${c.ms.toFixed(0)} | ${pct(c.share)} |`),
    '',
    'Top frames by self time:',
    '',
    '| frame | category | ms | share |',
    '| --- | --- | ---: | ---: |',
    ...s.top.map(
      (f) =>
        `| \`${f.frame.replace(/\|/g, '\\|')}\` | ${f.category} | ${f.ms.toFixed(1)} | ${pct(f.share)} |`,
    ),
    '',
  ].join('\n');
}
