import type { SweepReport } from '../../lib/sweep/report.ts';
import type { DeployedSweeps } from './deployed-sweep.ts';
import { startSimProcess } from './sim-process.ts';
import { sweepOnce } from './sweep-bench.ts';

export interface LargestFleetStep {
  groups: number;
  /** Settled inside the timeout ({@link settledInside}). */
  settled: boolean;
  wallMs: number;
  status: string;
  errors: number;
  notVisited: number;
  removed: number;
  /** Planned removals the sweep had no time left to drain or settle. */
  outOfTime: number;
  requests: number;
  clientCpuMs: number;
}

export interface LargestFleetResult {
  serversPerGroup: number;
  timeoutSeconds: number;
  drainSeconds: number;
  latencyMs: number;
  quota: string | undefined;
  steps: LargestFleetStep[];
  /** The largest size that settled; undefined when the smallest did not. */
  largest: number | undefined;
  /** The first size that did not settle (where fanout takes over); undefined when every size settled. */
  firstUnsettled: number | undefined;
}

/**
 * Whether a sweep of the whole fleet settled inside `timeoutSeconds`: status
 * completed, no error, every group visited, and no planned removal ended
 * `skipped-deadline` (a sweep that evaluates every group but has no time
 * left to wait out the drain removes nothing: it did not settle that fleet).
 */
export function settledInside(
  report: Pick<SweepReport, 'status' | 'errors' | 'notVisitedCount' | 'totals'>,
  wallMs: number,
  timeoutSeconds: number,
): boolean {
  return (
    report.status === 'completed' &&
    report.errors.length === 0 &&
    report.notVisitedCount === 0 &&
    report.totals.outcomes['skipped-deadline'] === 0 &&
    wallMs <= timeoutSeconds * 1000
  );
}

/**
 * The largest fleet an inline sweep settles inside its deployed timeout on
 * the function's CPU share: sizes tried in increasing order, each a fresh
 * simulator and one acting sweep (drain on with the deployed period, the
 * sweep cap lifted so every plan is carried out: the heaviest sweep, the
 * first over an idle fleet), given the timeout as its remaining time; the
 * search stops at the first size that does not settle. Nothing is
 * extrapolated: each size named is one that ran.
 */
export async function runLargestFleetBench(
  sweeps: DeployedSweeps,
  sizes: readonly number[],
  options: {
    serversPerGroup: number;
    seed: number;
    latencyMs: number;
    timeoutSeconds: number;
    drainSeconds: number;
    progress: (message: string) => void;
  },
): Promise<LargestFleetResult> {
  const steps: LargestFleetStep[] = [];
  let quota: string | undefined;
  for (const groups of [...sizes].sort((a, b) => a - b)) {
    const sim = await startSimProcess({
      groups,
      serversPerGroup: options.serversPerGroup,
      seed: options.seed,
    });
    try {
      await sim.setFaults({ routes: { '*': { latencyMs: options.latencyMs } } });
      const run = await sweepOnce(
        sweeps,
        sim,
        {
          DRY_RUN: 'false',
          MAX_REMOVALS_PER_SWEEP: '1000000',
          DRAIN_SECONDS: String(options.drainSeconds),
        },
        { remainingMs: options.timeoutSeconds * 1000, quota: true },
      );
      quota = run.quota;
      const { report } = run;
      const settled = settledInside(report, run.wallMs, options.timeoutSeconds);
      steps.push({
        groups,
        settled,
        wallMs: Math.round(run.wallMs),
        status: report.status,
        errors: report.errors.length,
        notVisited: report.notVisitedCount,
        removed: report.totals.outcomes.removed,
        outOfTime: report.totals.outcomes['skipped-deadline'],
        requests: report.requests.requests,
        clientCpuMs: run.cpu.clientMs,
      });
      options.progress(
        `largest fleet: ${groups} groups ${settled ? 'settled' : 'did not settle'} in ${(run.wallMs / 1000).toFixed(1)} s (${report.status})`,
      );
      if (!settled) break;
    } finally {
      await sim.stop();
    }
  }
  const settledSizes = steps.filter((s) => s.settled).map((s) => s.groups);
  return {
    serversPerGroup: options.serversPerGroup,
    timeoutSeconds: options.timeoutSeconds,
    drainSeconds: options.drainSeconds,
    latencyMs: options.latencyMs,
    quota,
    steps,
    largest: settledSizes.length === 0 ? undefined : Math.max(...settledSizes),
    firstUnsettled: steps.find((s) => !s.settled)?.groups,
  };
}
