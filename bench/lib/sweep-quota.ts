import { fileURLToPath } from 'node:url';
import { createCpuQuota, runNodeChildIn } from './cpu-quota.ts';
import type { MemoryChildResult } from './memory-child.ts';
import type { SimProcess } from './sim-process.ts';

const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type SweepQuotaResult = {
  share: number;
  /** The formula, always: ideal + the unthrottled sweep's client CPU ÷ share. */
  estimateMs: number;
} & ({ describe: string; run: MemoryChildResult } | { unavailable: string });

/**
 * The acting sweep of the ideal line again, in a fresh node (tsx, not
 * bundled) whose every instruction runs inside a CPU quota of `share` of one
 * core (a cgroup); the simulator stays outside it. Where no cgroup can be
 * made, only the formula is returned.
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
  try {
    await sim.reset();
    await sim.setFaults({ routes: { '*': { latencyMs: options.latencyMs } } });
    const run = await runNodeChildIn<MemoryChildResult>(
      'sweep under a CPU quota',
      ['--import', 'tsx', CHILD],
      {
        cwd: ROOT,
        env: {
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
      },
    );
    return { share: options.share, estimateMs, describe: quota.describe, run };
  } finally {
    quota.remove();
  }
}
