import { runHistoryCostBench, runRecommendSavingsBench } from '../history.ts';
import { perWeek, requestsPerSweep, runCompactionBench } from './history-compaction.ts';
import { runHistoryPageBench } from './history-page.ts';
import { type BenchLine, fmt, line, round, seconds } from './lines.ts';
import { progress } from './measure.ts';

const KB = 1024;

/** Runs one part of the history lines, saying on stderr how long it took. */
async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  progress(`demand history: ${name} ${seconds(performance.now() - started)}`);
  return result;
}

/** Issue 30: what the demand history costs a sweep, and what the learned floors save (bench/history.ts). */
export async function historyLines(options: {
  groups: number;
  quick: boolean;
}): Promise<BenchLine[]> {
  const { quick } = options;
  // The wall-time pairs run alone; the lines whose values are counts (the
  // compaction's objects and requests, the replay's server-hours) run
  // beside each other, then the page alone for its load in Chromium.
  const cost = await timed('on ÷ off pairs', () =>
    runHistoryCostBench({ groups: options.groups, serversPerGroup: 2, pairs: quick ? 2 : 5 }),
  );
  const inputs = `${fmt(cost.groups)} groups × 2 servers (seed 42), in-process simulator, s3rver, dry run, ${cost.pairs} pairs of sweeps (off then on, on then off, alternating); on = HISTORY_WEEKS 4 and LEARNED_FLOORS warn with every group's learned needs in the bucket`;
  const [savings, compaction] = await Promise.all([
    timed('replayed weeks', () => runRecommendSavingsBench({ weeks: 3, groups: quick ? 4 : 20 })),
    timed('compaction', () => runCompactionBench({ groups: options.groups })),
  ]);
  const added = cost.s3RequestsOn - cost.s3RequestsOff;
  const page = await timed('history page', () => runHistoryPageBench({ groups: options.groups }));
  const batches = Math.ceil(options.groups / 10);
  const without = perWeek(compaction.listedBefore, options.groups);
  const withIt = perWeek(compaction.listedAfter, options.groups);
  const compactionInputs = `fanout, ${fmt(options.groups)} groups: one hour of s3rver objects as remediate writes them (4 sweeps × ${fmt(batches)} batches of 10 samples), listed and read as recommend reads them (lib/history/read-history.ts), compacted as the sweep does (lib/history/compact.ts); a week = 168 such hours`;
  const perSweep = requestsPerSweep(compaction);
  return [
    line({
      name: 'history: sweep wall time, history on ÷ off',
      inputs: `${inputs}; the median of the pairs' ratios`,
      value: round(cost.ratio),
      unit: 'ratio',
      shown: `${fmt(cost.ratio, 2)} (pairs ${fmt(Math.min(...cost.ratios), 2)}–${fmt(Math.max(...cost.ratios), 2)}; median on ${seconds(cost.onMs)}, off ${seconds(cost.offMs)})`,
      target: { op: '<=', value: 1.1 },
      details: { ...cost },
    }),
    line({
      name: 'history: S3 requests added per sweep',
      inputs: `${inputs}; counted at the S3 client`,
      value: added,
      unit: 'requests',
      shown: `${added} (${cost.s3RequestsOn} on, ${cost.s3RequestsOff} off: the learned needs read and one samples object per project)`,
      target: { op: '<=', value: 2 },
    }),
    line({
      name: 'history: bytes stored per group per week',
      inputs: `${inputs}; one sweep's gzipped JSON lines × ${7 * 96} sweeps a week`,
      value: round(cost.bytesPerGroupWeek, 0),
      unit: 'bytes',
      shown: `${fmt(cost.bytesPerGroupWeek)} bytes (${fmt(cost.bytesPerSweep)} bytes a sweep)`,
      target: { op: '<=', value: 64 * KB },
    }),
    line({
      name: 'history (fanout): objects a reader lists per project-week, compacted',
      inputs: compactionInputs,
      value: withIt.project,
      unit: 'objects',
      shown: `${fmt(withIt.project)} (${fmt(withIt.group, 4)} per group-week; without compaction ${fmt(without.project)}, ${fmt(without.group, 1)} per group-week; GETs per hour ${compaction.objectsAfter} vs ${fmt(compaction.objectsBefore)}, the hour read in ${fmt(compaction.readAfterMs)} vs ${fmt(compaction.readBeforeMs)} ms)`,
      // One merged object and its manifest per hour: grows with the hours kept, not with groups.
      target: { op: '<=', value: 2 * 168 },
      details: { ...compaction, withoutPerProjectWeek: without.project },
    }),
    line({
      name: "history (fanout): the compaction's S3 requests per sweep",
      inputs: `${compactionInputs}; the sweep that compacts the hour and the 3 after it that find it done, averaged, counted at the S3 client; target: one read per object merged (⌈groups ÷ 10⌉ a sweep) + 4`,
      value: perSweep,
      unit: 'requests',
      shown: `${fmt(perSweep, 1)} (${fmt(compaction.firstRequests)} in the sweep that compacts, in ${seconds(compaction.compactMs)} beside its enqueueing; ${compaction.laterRequests} in each later one)`,
      target: { op: '<=', value: batches + 4 },
    }),
    line({
      name: `history page: ${fmt(page.groups)} groups in Chromium`,
      inputs: `a week of sweeps every 15 minutes over ${fmt(page.groups)} groups of the simulator's weekly fleet (seed 1), every group with learned needs, folded hour by hour and rendered by lib/history/page.ts (every group embedded, one chart drawn at a time), opened from a file in headless Chromium at 1,400 px: navigation start to the load event; then the last group picked through the search`,
      value: page.loadMs / 1000,
      unit: 's',
      shown: `${seconds(page.loadMs)} to load (${fmt(page.bytes / 1e6, 2)} MB page, generated and folded in ${fmt(page.foldMs)} ms, rendered in ${fmt(page.renderMs)} ms; the last group searched, picked and drawn in ${fmt(page.pickMs)} ms)`,
      target: { op: '<', value: 3, unit: 's' },
      details: { ...page },
    }),
    line({
      name: 'learned floors: server-hours with the recommendation ÷ a flat floor at the weekly peak',
      inputs: `${savings.groups} groups of the simulator's weekly fleet (seed 1), ${savings.weeks} weeks at 15-minute steps, replayed with the recommended SCHEDULES (lib/history/replay.ts)`,
      value: round(savings.ratio),
      unit: 'ratio',
      shown: `${fmt(savings.ratio, 2)} (${fmt(savings.hours)} vs ${fmt(savings.flat)} server-hours; ${savings.shortHours} hours short of servers; weeks played in ${seconds(savings.playMs)})`,
      target: { op: '<', value: 1 },
      met: savings.shortHours === 0,
      details: { ...savings },
    }),
  ];
}
