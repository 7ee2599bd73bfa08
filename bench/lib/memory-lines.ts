import { type BenchLine, fmt, line, round, seconds } from './lines.ts';
import type { MemoryRun } from './memory.ts';

const MB = 1024 * 1024;
/** Targets of the sweep's memory (the acting sweep; a dry run is held to the same). */
const PEAK_MB = 150;
const GROWTH = 1.15;

/**
 * The table lines of one mode's memory runs (the smaller fleet first, then
 * the larger): peak RSS at the larger fleet, growth between the two, and the
 * report's size. `mode` labels every line: `acting` (DRY_RUN=false) or `dry run`.
 */
export function memoryLines(runs: readonly MemoryRun[], mode: 'acting' | 'dry run'): BenchLine[] {
  const [small, large] = runs;
  if (small === undefined || large === undefined) throw new Error('memory runs missing');
  const dryRun = mode === 'dry run';
  const label = dryRun ? 'memory (dry run, second line)' : 'memory (acting sweep)';
  const inputs = `${dryRun ? 'DRY_RUN true: evaluates only, keeps nothing for acting' : 'DRY_RUN false: holds what each removal needs, re-reads and removes'} (MAX_CONCURRENCY 16, RATE_LIMIT_RPS 0, MAX_REMOVALS_PER_SWEEP 1,000,000 so every plan is kept and carried out, no faults), the sweep handler bundled as serverless.yml does, in a fresh node; simulator in another process`;
  const ok = (r: MemoryRun) =>
    r.status !== 'partial' && r.errors === 0 && r.notVisited === 0 && (dryRun || r.removed > 0);
  const removed = (r: MemoryRun) => (dryRun ? '' : `, ${fmt(r.removed)} removed`);
  const lines = [
    line({
      name: `${label}: peak RSS at ${fmt(large.groups)} groups`,
      inputs: `${large.fleet}, ${inputs}; process.resourceUsage().maxRSS, the report's JSON serialisation included`,
      value: round(large.peakMb, 1),
      unit: 'MB',
      shown: `${fmt(large.peakMb)} MB (${fmt(large.sweepPeakMb)} MB before serialising the report; ${fmt(large.startMb)} MB at start; ${fmt(large.requests)} requests in ${seconds(large.durationMs)}${removed(large)})`,
      target: { op: '<=', value: PEAK_MB, unit: 'MB' },
      met: ok(large),
      details: { ...large },
    }),
    line({
      name: `${label}: growth, peak RSS ${fmt(large.groups)} ÷ ${fmt(small.groups)} groups`,
      inputs: `two runs, ${small.fleet} and ${large.fleet}, as above; flat = at most ${Math.round((GROWTH - 1) * 100)}% more for ${fmt(large.groups / small.groups)}× the fleet`,
      value: round(large.peakMb / small.peakMb),
      unit: 'ratio',
      shown: `${fmt(large.peakMb / small.peakMb, 2)} (${fmt(large.peakMb)} MB vs ${fmt(small.peakMb)} MB${removed(small)} at ${fmt(small.groups)})`,
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
