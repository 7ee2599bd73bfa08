import { createSweepHandler } from '../../functions/sweep.ts';
import { fakeContext } from '../../scripts/lib/lambda.ts';
import { benchDeps, type SimTarget } from './sweep-deps.ts';

/** What the memory child prints as its one line of stdout. */
export interface MemoryChildResult {
  /** Peak RSS up to the handler's return (process.resourceUsage().maxRSS), MB. */
  sweepPeakMb: number;
  /** Peak RSS after the report was also serialised, as the Lambda runtime does with a result, MB. */
  peakMb: number;
  /** Highest RSS seen by sampling every 20 ms during the sweep, MB. */
  sampledPeakMb: number;
  /** RSS once the process had loaded everything, before the sweep, MB. */
  startMb: number;
  /** The report as JSON, bytes. */
  reportBytes: number;
  groups: number;
  /** Servers the sweep removed (0 in a dry run). */
  removed: number;
  requests: number;
  status: string;
  errors: number;
  notVisited: number;
  durationMs: number;
}

const MB = 1024 * 1024;

/**
 * Runs one sweep against the simulator named by BENCH_SIM (a JSON SimTarget)
 * with BENCH_ENV (JSON configuration overrides) and prints a MemoryChildResult.
 * Bundled and started in a fresh `node` by bench/lib/memory.ts.
 */
async function main(): Promise<void> {
  const target = JSON.parse(process.env['BENCH_SIM'] ?? '') as SimTarget;
  const env = JSON.parse(process.env['BENCH_ENV'] ?? '{}') as Record<string, string>;
  const handler = createSweepHandler(benchDeps(target, env));
  const startMb = process.memoryUsage().rss / MB;
  let sampled = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, process.memoryUsage().rss);
  }, 20);
  const started = performance.now();
  const report = await handler({ detail: {} }, fakeContext({ remainingMs: 900_000 }));
  const durationMs = performance.now() - started;
  clearInterval(sampler);
  const sweepPeakMb = process.resourceUsage().maxRSS / 1024;
  const reportBytes = Buffer.byteLength(JSON.stringify(report));
  const result: MemoryChildResult = {
    sweepPeakMb,
    peakMb: process.resourceUsage().maxRSS / 1024,
    sampledPeakMb: sampled / MB,
    startMb,
    reportBytes,
    groups: report.totals.groups,
    removed: report.totals.outcomes.removed,
    requests: report.requests.requests,
    status: report.status,
    errors: report.errors.length,
    notVisited: report.notVisitedCount,
    durationMs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`memory child failed: ${String(error)}\n`);
  process.exitCode = 1;
});
