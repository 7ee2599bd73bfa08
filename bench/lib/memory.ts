import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './bundle.ts';
import type { DeployedSweeps } from './deployed-sweep.ts';
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
}

/** The heap settings of a Lambda function of `memoryMb`. */
export interface LambdaHeap {
  memoryMb: number;
  flags: string[];
}

/**
 * The flags the Lambda Node.js runtime's bootstrap starts `node` with for a
 * function of `memoryMb`: a tenth of the memory for the young generation (a
 * semi-space is half of it) and the rest for the old one, in whole MB as its
 * shell arithmetic rounds; `--expose-gc` too. They are command-line flags,
 * which win over NODE_OPTIONS, so a function cannot size its heap otherwise.
 * The V8 heap grows with these limits (the old generation's growing factor is
 * smaller under a smaller limit), so the bench runs the sweep with them.
 */
export function lambdaHeap(memoryMb: number): LambdaHeap {
  const young = Math.floor(memoryMb / 10);
  return {
    memoryMb,
    flags: [
      '--expose-gc',
      `--max-semi-space-size=${Math.floor(young / 2)}`,
      `--max-old-space-size=${memoryMb - young}`,
    ],
  };
}

/** The sweep function's memory in serverless.yml: the provider's `memorySize` (no function overrides it). */
export function sweepMemoryMb(yaml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8')): number {
  const sizes = [...yaml.matchAll(/^\s+memorySize:\s*(\d+)\s*$/gm)].map((m) => Number(m[1]));
  if (sizes.length !== 1 || !/^provider:[\s\S]*?^ {2}memorySize:/m.test(yaml)) {
    throw new Error(
      `serverless.yml: expected one memorySize, the provider's; found ${sizes.length} (teach bench/lib/memory.ts the sweep function's own)`,
    );
  }
  return sizes[0] as number;
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
      });
    } finally {
      await sim.stop();
    }
  }
  return runs;
}
