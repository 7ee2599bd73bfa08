import type { DeployedSweeps } from './deployed-sweep.ts';
import type { LambdaHeap } from './lambda-heap.ts';
import type { MemoryChildResult } from './memory-child.ts';
import { startSimProcess } from './sim-process.ts';

/**
 * A diagnostic run (never a bench line): a forced full collection when the
 * first removal request goes out, and heap snapshots written to `snapshots`.
 */
export interface MemoryDiagnosis {
  snapshots?: string;
  /** Also collect (and snapshot) before this write request, counted from 1: mid-act. */
  mark?: number;
}

export interface MemoryRun extends MemoryChildResult {
  fleet: string;
  simLoadSeconds: number;
  /** The function's memory (serverless.yml) and the node flags Lambda starts it with. */
  lambda: LambdaHeap;
  /** NODE_OPTIONS the child ran with, as serverless.yml sets them. */
  nodeOptions: string;
}

/**
 * Peak RSS of one sweep per fleet size, each in a fresh `node` running the
 * deployed sweep (bench/lib/deployed-sweep.ts: bundled, the heap flags of the
 * function's memory, drain on), against a fresh simulator in another process
 * (no faults). MAX_CONCURRENCY 16, no client rate limit, the sweep cap lifted.
 * `dryRun: false` is the acting sweep (it holds what it needs to remove,
 * drains and removes); `dryRun: true` only evaluates.
 */
export async function runMemoryBench(
  sweeps: DeployedSweeps,
  sizes: readonly { groups: number; serversPerGroup: number }[],
  seed: number,
  options: { dryRun: boolean; diagnose?: MemoryDiagnosis },
): Promise<MemoryRun[]> {
  const runs: MemoryRun[] = [];
  for (const size of sizes) {
    const sim = await startSimProcess({ ...size, seed });
    try {
      const d = options.diagnose;
      const result = await sweeps.run(
        sim,
        {
          DRY_RUN: String(options.dryRun),
          MAX_CONCURRENCY: '16',
          RATE_LIMIT_RPS: '0',
          MAX_REMOVALS_PER_SWEEP: '1000000',
          HTTP_TIMEOUT_MS: '10000',
        },
        {
          extraEnv: {
            ...(d === undefined ? {} : { BENCH_MEMORY_DIAG: '1' }),
            ...(d?.mark === undefined ? {} : { BENCH_MEMORY_MARK: String(d.mark) }),
            ...(d?.snapshots === undefined ? {} : { BENCH_MEMORY_SNAPSHOTS: d.snapshots }),
          },
        },
      );
      if ('unavailable' in result) throw new Error(result.unavailable);
      runs.push({
        ...result,
        fleet: `${size.groups}x${size.serversPerGroup}`,
        simLoadSeconds: sim.loadSeconds,
        lambda: sweeps.settings.heap,
        nodeOptions: sweeps.settings.nodeOptions,
      });
    } finally {
      await sim.stop();
    }
  }
  return runs;
}
