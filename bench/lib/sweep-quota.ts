import { join } from 'node:path';
import { buildLikeServerless, ROOT, scratchDir } from './bundle.ts';
import { createCpuQuota, runNodeChildIn } from './cpu-quota.ts';
import { lambdaHeap, sweepMemoryMb } from './memory.ts';
import type { MemoryChildResult } from './memory-child.ts';
import type { SimProcess } from './sim-process.ts';

export type SweepQuotaResult = {
  share: number;
  /** The formula, always: ideal + the unthrottled sweep's client CPU ÷ share. */
  estimateMs: number;
} & ({ describe: string; run: MemoryChildResult } | { unavailable: string });

/**
 * The acting sweep of the ideal line again, in a fresh node running the
 * sweep handler bundled as serverless.yml bundles it (bench/lib/memory-child.ts),
 * every instruction of that process inside a CPU quota of `share` of one core
 * (a cgroup); the simulator stays outside it. Where no cgroup can be made,
 * only the formula is returned.
 */
export async function runSweepUnderQuota(
  sim: SimProcess,
  options: { share: number; latencyMs: number; idealMs: number; clientCpuMs: number },
): Promise<SweepQuotaResult> {
  const estimateMs = options.idealMs + options.clientCpuMs / options.share;
  const quota = createCpuQuota(options.share);
  if ('unavailable' in quota) {
    return { share: options.share, estimateMs, unavailable: quota.unavailable };
  }
  const scratch = scratchDir('aps-bench-quota');
  try {
    const built = await buildLikeServerless(['bench/lib/memory-child.ts'], scratch.path);
    const bundle = built['memory-child']?.path;
    if (bundle === undefined) throw new Error('memory child was not built');
    await sim.reset();
    await sim.setFaults({ routes: { '*': { latencyMs: options.latencyMs } } });
    // With the heap flags Lambda starts the sweep function's node with (bench/lib/memory.ts).
    const args = [...lambdaHeap(sweepMemoryMb()).flags, bundle];
    const run = await runNodeChildIn<MemoryChildResult>('sweep under a CPU quota', args, {
      cwd: ROOT,
      env: {
        NODE_PATH: join(ROOT, 'node_modules'),
        NODE_ENV: 'production',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        BENCH_SIM: JSON.stringify({
          url: sim.url,
          projectId: sim.projectId,
          ak: sim.ak,
          sk: sim.sk,
        }),
        BENCH_ENV: JSON.stringify({
          MAX_CONCURRENCY: '16',
          RATE_LIMIT_RPS: '0',
          HTTP_TIMEOUT_MS: '10000',
          SESSION_LOOKBACK_HOURS: '24',
          DRY_RUN: 'false',
          MAX_REMOVALS_PER_SWEEP: '1000000',
        }),
      },
      quota,
    });
    return { share: options.share, estimateMs, describe: quota.describe, run };
  } finally {
    quota.remove();
    scratch.remove();
  }
}
