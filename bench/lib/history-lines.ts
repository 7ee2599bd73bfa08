import { runHistoryCostBench, runRecommendSavingsBench } from '../history.ts';
import { runHistoryPageBench } from './history-page.ts';
import { type BenchLine, fmt, line, round, seconds } from './lines.ts';

const KB = 1024;

/** Issue 30: what the demand history costs a sweep, and what the learned floors save (bench/history.ts). */
export async function historyLines(options: {
  groups: number;
  quick: boolean;
}): Promise<BenchLine[]> {
  const { quick } = options;
  const cost = await runHistoryCostBench({
    groups: options.groups,
    serversPerGroup: 2,
    runs: quick ? 2 : 3,
  });
  const inputs = `${fmt(cost.groups)} groups × 2 servers (seed 42), in-process simulator, s3rver, dry run, median of ${cost.runs} sweeps each way, alternating; on = HISTORY_WEEKS 4 and LEARNED_FLOORS warn with every group's learned needs in the bucket`;
  const savings = await runRecommendSavingsBench({ weeks: 3, groups: quick ? 4 : 20 });
  const added = cost.s3RequestsOn - cost.s3RequestsOff;
  const page = await runHistoryPageBench({ groups: options.groups });
  return [
    line({
      name: 'history: sweep wall time, history on ÷ off',
      inputs,
      value: round(cost.onMs / cost.offMs),
      unit: 'ratio',
      shown: `${fmt(cost.onMs / cost.offMs, 2)} (on ${seconds(cost.onMs)}, off ${seconds(cost.offMs)})`,
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
