import { type BenchLine, fmt, line, round, seconds } from './lines.ts';
import type { MemoryRun } from './memory.ts';
import { type MemoryBreakdown, PHASES } from './memory-breakdown.ts';

const MB = 1024 * 1024;
/** Targets of the sweep's memory (the acting sweep; a dry run is held to the same). */
const PEAK_MB = 150;
const GROWTH = 1.15;

/**
 * What the peak is made of, from the breakdown sampled at the highest RSS:
 * the V8 heap (young and old generation reserved, and in use: live data and
 * garbage not yet collected), what lies outside it (node itself, code,
 * buffers), and what was still reachable after a full collection at the end.
 */
export function attribution(run: MemoryRun): string {
  const p = run.atPeak;
  const space = (name: string) => fmt(p.spacesMb[name] ?? 0);
  const outside = p.rssMb - p.heapTotalMb;
  const files =
    p.fileMb === undefined
      ? ''
      : `: ${fmt(p.fileMb)} MB of it the node binary and libraries (file-backed), ${fmt(outside - p.fileMb)} MB malloc'd by node and V8`;
  return [
    `at ${seconds(p.atMs)} of ${seconds(run.durationMs)}: V8 heap ${fmt(p.heapTotalMb)} MB reserved (young generation ${space('new_space')}, old ${space('old_space')}, large objects ${space('large_object_space')}), ${fmt(p.heapUsedMb)} MB of it in use (live and not yet collected)`,
    `${fmt(outside)} MB outside the heap${files} (${fmt(run.startMb)} MB RSS at start, heap ${fmt(run.atStart.heapTotalMb)} MB of it)`,
    ...floorText(run),
    `${fmt(run.retained.endMb)} MB reachable after a full GC at the end (report included)`,
    `${run.gc.majors} full and ${run.gc.minors} young collections, ${seconds(run.gc.pauseMs)} paused`,
  ].join('; ');
}

/**
 * One sample by part, MB: each V8 space committed/used (new, old, code,
 * large objects, the rest together), external and array buffers, and RSS
 * outside the heap split into file-backed and malloc'd.
 */
export function partsText(b: MemoryBreakdown): string {
  const named = ['new_space', 'old_space', 'code_space', 'large_object_space'];
  const space = (names: readonly string[]) => {
    const sum = (r: Record<string, number> | undefined) =>
      names.reduce((total, n) => total + (r?.[n] ?? 0), 0);
    return b.spacesUsedMb === undefined
      ? fmt(sum(b.spacesMb))
      : `${fmt(sum(b.spacesMb))}/${fmt(sum(b.spacesUsedMb))}`;
  };
  const rest = Object.keys(b.spacesMb).filter((n) => !named.includes(n));
  const outside = b.rssMb - b.heapTotalMb;
  const files =
    b.fileMb === undefined ? '' : ` (files ${fmt(b.fileMb)}, malloc ${fmt(outside - b.fileMb)})`;
  return `${fmt(b.rssMb)} MB RSS at ${seconds(b.atMs)}: heap committed/used new ${space(['new_space'])}, old ${space(['old_space'])}, code ${space(['code_space'])}, large objects ${space(['large_object_space'])}, other ${space(rest)}; external ${fmt(b.externalMb)} (array buffers ${fmt(b.arrayBuffersMb)}); outside the heap ${fmt(outside)}${files}`;
}

/** Each phase's memory where it began and at its highest RSS (bench/lib/memory-breakdown.ts `phaseTracker`). */
export function phasesText(run: MemoryRun): string {
  const phases = run.phases;
  if (phases === undefined) return '';
  return PHASES.flatMap((name) => {
    const p = phases[name];
    return p === undefined
      ? []
      : [`${name} begins ${partsText(p.start)}; its peak ${partsText(p.peak)}`];
  }).join('. ');
}

/**
 * The least this process can peak at under Lambda's flags, from its own
 * start: node and the bundle loaded (RSS at start, less the young
 * generation it had then) plus a young generation grown to its maximum
 * (`LambdaHeap.youngMb`), which a long sweep always reaches.
 */
export function floorMb(run: MemoryRun): number | undefined {
  const young = run.lambda.youngMb;
  if (young === undefined) return undefined;
  return run.startMb - (run.atStart.spacesMb['new_space'] ?? 0) + young;
}

function floorText(run: MemoryRun): string[] {
  const floor = floorMb(run);
  if (floor === undefined) return [];
  return [
    `floor ${fmt(floor)} MB with these flags (node and the bundle loaded, ${fmt(run.startMb - (run.atStart.spacesMb['new_space'] ?? 0))} MB, plus the young generation at its ${fmt(run.lambda.youngMb ?? 0)} MB maximum)`,
  ];
}

/** What a diagnostic run (full GC forced at the first removal and mid-act) found reachable. */
export function retainedText(diag: MemoryRun): string {
  const { evaluatedMb, acting } = diag.retained;
  if (evaluatedMb === undefined) return '';
  const mid =
    acting === undefined
      ? ''
      : `, ${fmt(acting.mb)} MB at removal request no. ${fmt(acting.writes)}`;
  return `reachable after a full GC (a diagnostic run of the same sweep, not the measured one): ${fmt(evaluatedMb)} MB when evaluation ended (what is held for acting)${mid}, ${fmt(diag.retained.endMb)} MB at the end`;
}

/**
 * The table lines of one mode's memory runs (the smaller fleet first, then
 * the larger): peak RSS at the larger fleet, growth between the two, and the
 * report's size. `mode` labels every line: `acting` (DRY_RUN=false) or `dry run`.
 */
export function memoryLines(
  runs: readonly MemoryRun[],
  mode: 'acting' | 'dry run',
  /** A diagnostic run of the larger fleet (retained heap by phase), when one was made. */
  diagnosis?: MemoryRun,
  drainSeconds = 10,
): BenchLine[] {
  const [small, large] = runs;
  if (small === undefined || large === undefined) throw new Error('memory runs missing');
  const dryRun = mode === 'dry run';
  const label = dryRun ? 'memory (dry run, second line)' : 'memory (acting sweep, drain on)';
  const inputs = `${dryRun ? 'DRY_RUN true: evaluates only, keeps nothing for acting' : `DRY_RUN false: holds what each removal needs, drains (DRAIN_SECONDS=${drainSeconds}: records in a local DynamoDB, batch-maint, one wait), re-reads and removes (REMOVAL_MODE remove-member)`} (MAX_CONCURRENCY 16, RATE_LIMIT_RPS 0, MAX_REMOVALS_PER_SWEEP 1,000,000 so every plan is kept and carried out, no faults), the sweep handler bundled as serverless.yml does (its minify, keepNames and linked source map), NODE_OPTIONS=${large.nodeOptions} as deployed, in a fresh node started with the heap flags Lambda gives a ${large.lambda.memoryMb} MB function (${large.lambda.flags.join(' ')}: the Node.js runtime's bootstrap gives a tenth of the memory to the young generation, half of that a semi-space, the rest to the old one; command-line flags, which NODE_OPTIONS cannot override${large.lambda.youngMb === undefined ? '' : `; V8 rounds a semi-space up to a power of two, so the young generation grows to ${fmt(large.lambda.youngMb)} MB`}); simulator in another process`;
  const ok = (r: MemoryRun) =>
    r.status !== 'partial' && r.errors === 0 && r.notVisited === 0 && (dryRun || r.removed > 0);
  const removed = (r: MemoryRun) => (dryRun ? '' : `, ${fmt(r.removed)} removed`);
  const lines = [
    line({
      name: `${label}: peak RSS at ${fmt(large.groups)} groups`,
      inputs: `${large.fleet}, ${inputs}; process.resourceUsage().maxRSS, the report's JSON serialisation included`,
      value: round(large.peakMb, 1),
      unit: 'MB',
      shown: `${fmt(large.peakMb)} MB (${fmt(large.sweepPeakMb)} MB before serialising the report; ${fmt(large.requests)} requests in ${seconds(large.durationMs)}${removed(large)}). The peak: ${attribution(large)}${diagnosis === undefined ? '' : `; ${retainedText(diagnosis)}`}. By phase: ${phasesText(large)}`,
      target: { op: '<=', value: PEAK_MB, unit: 'MB' },
      met: ok(large),
      details: { ...large, ...(diagnosis === undefined ? {} : { diagnosis: { ...diagnosis } }) },
    }),
    line({
      name: `${label}: growth, peak RSS ${fmt(large.groups)} ÷ ${fmt(small.groups)} groups`,
      inputs: `two runs, ${small.fleet} and ${large.fleet}, as above; flat = at most ${Math.round((GROWTH - 1) * 100)}% more for ${fmt(large.groups / small.groups)}× the fleet`,
      value: round(large.peakMb / small.peakMb),
      unit: 'ratio',
      shown: `${fmt(large.peakMb / small.peakMb, 2)} (${fmt(large.peakMb)} MB vs ${fmt(small.peakMb)} MB${removed(small)} at ${fmt(small.groups)}; old generation at the peak ${fmt(large.atPeak.spacesMb['old_space'] ?? 0)} vs ${fmt(small.atPeak.spacesMb['old_space'] ?? 0)} MB, young ${fmt(large.atPeak.spacesMb['new_space'] ?? 0)} vs ${fmt(small.atPeak.spacesMb['new_space'] ?? 0)} MB). By phase at ${fmt(small.groups)} groups: ${phasesText(small)}`,
      target: { op: '<=', value: GROWTH },
      met: ok(small) && ok(large),
      details: { small: { ...small }, large: { ...large } },
    }),
  ];
  lines.push(
    line({
      name: `sweep report size at ${fmt(large.groups)} groups (${mode})`,
      inputs: `the handler's return value as JSON (Lambda caps a function's response at 6 MB)`,
      value: round(large.reportBytes / MB, 2),
      unit: 'MB',
      shown: `${fmt(large.reportBytes / MB, 1)} MB (${fmt(small.reportBytes / MB, 1)} MB at ${fmt(small.groups)} groups)`,
      target: { op: '<=', value: 6, unit: 'MB' },
      details: { small: small.reportBytes, large: large.reportBytes },
    }),
  );
  return lines;
}
