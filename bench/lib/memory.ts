import { join } from 'node:path';
import { buildLikeServerless, ROOT, scratchDir } from './bundle.ts';
import type { MemoryChildResult } from './memory-child.ts';
import { runNodeChild } from './node-child.ts';
import { type SimProcess, startSimProcess } from './sim-process.ts';

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
}

async function runChild(
  bundle: string,
  sim: SimProcess,
  env: Record<string, string>,
  diagnose: MemoryDiagnosis | undefined,
): Promise<MemoryChildResult> {
  const { result } = await runNodeChild<MemoryChildResult>('memory child', [bundle], {
    cwd: ROOT,
    env: {
      NODE_PATH: join(ROOT, 'node_modules'),
      BENCH_SIM: JSON.stringify({ url: sim.url, projectId: sim.projectId, ak: sim.ak, sk: sim.sk }),
      BENCH_ENV: JSON.stringify(env),
      ...(diagnose === undefined ? {} : { BENCH_MEMORY_DIAG: '1' }),
      ...(diagnose?.mark === undefined ? {} : { BENCH_MEMORY_MARK: String(diagnose.mark) }),
      ...(diagnose?.snapshots === undefined ? {} : { BENCH_MEMORY_SNAPSHOTS: diagnose.snapshots }),
    },
  });
  return result;
}

/**
 * Peak RSS of one sweep per fleet size, each in a fresh `node` running the
 * sweep handler bundled as serverless.yml bundles it, against a fresh
 * simulator in another process (no faults). MAX_CONCURRENCY 16, no client
 * rate limit, the sweep cap lifted. `dryRun: false` is the acting sweep (it
 * holds what it needs to remove, and removes); `dryRun: true` only evaluates.
 */
export async function runMemoryBench(
  sizes: readonly { groups: number; serversPerGroup: number }[],
  seed: number,
  options: { dryRun: boolean; diagnose?: MemoryDiagnosis },
): Promise<MemoryRun[]> {
  const scratch = scratchDir('aps-bench-memory');
  try {
    const built = await buildLikeServerless(['bench/lib/memory-child.ts'], scratch.path);
    const bundle = built['memory-child']?.path;
    if (bundle === undefined) throw new Error('memory child was not built');
    const runs: MemoryRun[] = [];
    for (const size of sizes) {
      const sim = await startSimProcess({ ...size, seed });
      try {
        const result = await runChild(
          bundle,
          sim,
          {
            DRY_RUN: String(options.dryRun),
            MAX_CONCURRENCY: '16',
            RATE_LIMIT_RPS: '0',
            MAX_REMOVALS_PER_SWEEP: '1000000',
            HTTP_TIMEOUT_MS: '10000',
          },
          options.diagnose,
        );
        runs.push({
          ...result,
          fleet: `${size.groups}x${size.serversPerGroup}`,
          simLoadSeconds: sim.loadSeconds,
        });
      } finally {
        await sim.stop();
      }
    }
    return runs;
  } finally {
    scratch.remove();
  }
}
