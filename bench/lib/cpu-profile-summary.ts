import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
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
  if (url.includes('@aws-lambda-powertools/logger') || url.endsWith('lib/logger.ts'))
    return 'logging (Powertools)';
  if (url.includes('@aws-lambda-powertools/metrics') || url.endsWith('lib/metrics.ts'))
    return 'metrics';
  if (url.includes('@aws-sdk/') || url.includes('@smithy/') || url.includes('@aws-crypto/'))
    return 'AWS SDK / DynamoDB';
  if (/(^|\/)(lib|functions)\//.test(url) && !/node_modules\/|bench\//.test(url))
    return 'ours: sweep, lifecycle, report';
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
  /**
   * Each sample charged to the nearest frame on its stack that is not a
   * helper (native code, JSON, streams, timers, URL): JSON.stringify under
   * the logger counts as logging, JSON.parse under the HTTP core as the client.
   */
  owners: { category: string; ms: number; share: number }[];
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
  const owners = ownerCategories(profile, byId, self);
  return {
    totalMs,
    owners: [...owners]
      .map(([category, ms]) => ({ category, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms),
    categories: [...categories]
      .map(([category, ms]) => ({ category, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms),
    top: [...frames]
      .map(([frame, f]) => ({ frame, category: f.category, ms: f.ms, share: share(f.ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, topN),
  };
}

/** Categories that do work for whoever called them: a sample in one is charged to its caller. */
const HELPERS = new Set(['native', 'JSON', 'other', 'node streams', 'URL']);

function ownerCategories(
  profile: CpuProfile,
  byId: Map<number, ProfileNode>,
  self: Map<number, number>,
): Map<string, number> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const out = new Map<string, number>();
  for (const [id, ms] of self) {
    let owner: string | undefined;
    let first: string | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node === undefined) break;
      const category = frameCategory(node.callFrame.url, node.callFrame.functionName);
      first ??= category;
      if (!HELPERS.has(category) && category !== '(root)') {
        owner = category;
        break;
      }
    }
    const category = owner ?? first ?? 'other';
    if (category === '(idle)') continue;
    out.set(category, (out.get(category) ?? 0) + ms);
  }
  return out;
}

/**
 * Rewrites the frames of bundled scripts through the source map beside each
 * (`<file>.map`, bench/lib/bundle.ts `forProfile`): url → the original file
 * relative to `root` (lib/…, node_modules/…), line → its original line, so
 * the categories see our modules and the libraries again. Frames of files
 * without a map are left as they are.
 */
export function remapProfile(profile: CpuProfile, root: string): CpuProfile {
  const maps = new Map<string, { map: SourceMap; dir: string } | undefined>();
  const mapOf = (url: string) => {
    if (!maps.has(url)) {
      const file = `${fileURLToPath(url)}.map`;
      maps.set(
        url,
        existsSync(file)
          ? { map: new SourceMap(JSON.parse(readFileSync(file, 'utf8'))), dir: dirname(file) }
          : undefined,
      );
    }
    return maps.get(url);
  };
  const nodes = profile.nodes.map((node) => {
    const { url, lineNumber, columnNumber } = node.callFrame;
    const found = url.startsWith('file:') ? mapOf(url) : undefined;
    if (found === undefined) return node;
    const entry = found.map.findEntry(lineNumber, columnNumber ?? 0) as {
      originalSource?: string;
      originalLine?: number;
    };
    if (entry.originalSource === undefined) return node;
    const source = entry.originalSource.startsWith('file:')
      ? fileURLToPath(entry.originalSource)
      : resolve(found.dir, entry.originalSource);
    return {
      ...node,
      callFrame: {
        ...node.callFrame,
        url: relative(root, source),
        lineNumber: entry.originalLine ?? lineNumber,
      },
    };
  });
  return { ...profile, nodes };
}

/**
 * The index of the first sample with a frame named `functionName` on its
 * stack (-1 when none): where a phase of the program began, for
 * {@link sliceProfile}.
 */
export function firstSampleUnder(profile: CpuProfile, functionName: string): number {
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const named = new Set(
    profile.nodes.filter((n) => n.callFrame.functionName === functionName).map((n) => n.id),
  );
  const memo = new Map<number, boolean>();
  const under = (id: number | undefined): boolean => {
    if (id === undefined) return false;
    const known = memo.get(id);
    if (known !== undefined) return known;
    const result = named.has(id) || under(parent.get(id));
    memo.set(id, result);
    return result;
  };
  return profile.samples.findIndex((id) => under(id));
}

/** The samples from index `from` up to (not including) `to`, as a profile of their own. */
export function sliceProfile(profile: CpuProfile, from: number, to: number): CpuProfile {
  return {
    ...profile,
    samples: profile.samples.slice(from, to),
    timeDeltas: profile.timeDeltas.slice(from, to),
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
    'By owner (a sample in native code, JSON, streams, timers or URL charged to the nearest caller outside them):',
    '',
    '| owner | ms | share |',
    '| --- | ---: | ---: |',
    ...s.owners.map((c) => `| ${c.category} | ${c.ms.toFixed(0)} | ${pct(c.share)} |`),
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
