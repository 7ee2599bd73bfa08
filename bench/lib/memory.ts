import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildLikeServerless, ROOT, scratchDir } from './bundle.ts';
import type { MemoryChildResult } from './memory-child.ts';
import { type SimProcess, startSimProcess, trackChild } from './sim-process.ts';

export interface MemoryRun extends MemoryChildResult {
  fleet: string;
  simLoadSeconds: number;
}

function runChild(
  bundle: string,
  sim: SimProcess,
  env: Record<string, string>,
): Promise<MemoryChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_PATH: join(ROOT, 'node_modules'),
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        BENCH_SIM: JSON.stringify({
          url: sim.url,
          projectId: sim.projectId,
          ak: sim.ak,
          sk: sim.sk,
        }),
        BENCH_ENV: JSON.stringify(env),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) {
        reject(new Error(`memory child failed (${code}): ${err.slice(0, 500)}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as MemoryChildResult);
      } catch (error) {
        reject(
          new Error(`bad memory child output ${JSON.stringify(out.slice(0, 200))}`, {
            cause: error,
          }),
        );
      }
    });
  });
}

/**
 * Peak RSS of one dry-run sweep per fleet size, each in a fresh `node`
 * running the sweep handler bundled as serverless.yml bundles it, against a
 * fresh simulator in another process (no faults). MAX_CONCURRENCY 16, no
 * client rate limit.
 */
export async function runMemoryBench(
  sizes: readonly { groups: number; serversPerGroup: number }[],
  seed: number,
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
        const result = await runChild(bundle, sim, {
          DRY_RUN: 'true',
          MAX_CONCURRENCY: '16',
          RATE_LIMIT_RPS: '0',
          MAX_REMOVALS_PER_SWEEP: '1000000',
          HTTP_TIMEOUT_MS: '10000',
        });
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
