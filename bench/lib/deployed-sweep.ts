import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../../lib/removal/store/drain-table.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/lib/local-dynamodb.ts';
import { buildLikeServerless, ROOT, scratchDir } from './bundle.ts';
import { cpuProfileFlags } from './cpu-profile-summary.ts';
import { type CpuQuota, createCpuQuota } from './cpu-quota.ts';
import { type LambdaHeap, lambdaHeap, sweepMemoryMb } from './lambda-heap.ts';
import type { MemoryChildResult } from './memory-child.ts';
import { runNodeChild } from './node-child.ts';
import { deployedNodeOptions } from './serverless-settings.ts';
import type { SimProcess } from './sim-process.ts';

/** The drain period of every bench sweep: shorter than the deployed 120 s; the peak does not depend on it. */
export const DRAIN_SECONDS = 10;
/** One vCPU per 1,769 MB of function memory (AWS Lambda's documented ratio). */
const MB_PER_CORE = 1769;

/** What a bench sweep runs with unless its line names otherwise: the deployed defaults. */
export interface DeployedSettings {
  memoryMb: number;
  heap: LambdaHeap;
  /** The function's CPU share, `memoryMb ÷ 1769` of one core. */
  cpuShare: number;
  drainSeconds: number;
  removalMode: string;
  /** The functions' NODE_OPTIONS in serverless.yml (`--enable-source-maps`). */
  nodeOptions: string;
}

/** The settings a line's `inputs` name: `DRAIN_SECONDS=10, REMOVAL_MODE remove-member, 512 MB (…)`. */
export function describeDeployed(s: DeployedSettings, removalMode = s.removalMode): string {
  return `the sweep handler bundled as serverless.yml bundles it in a fresh node with the heap flags of a ${s.memoryMb} MB function (${s.heap.flags.join(' ')}) and NODE_OPTIONS=${s.nodeOptions}, DRAIN_SECONDS=${s.drainSeconds} (drain records in a local DynamoDB, dynalite), REMOVAL_MODE ${removalMode}`;
}

export interface DeployedRun extends MemoryChildResult {
  /** CPU the simulator's process used during the run, ms. */
  simCpuMs: number;
  /** The cgroup the child ran in, when it ran under the function's CPU share. */
  quota?: string;
  /** Requests the local DynamoDB answered during the run, by operation (bench/lib/dynamo-lines.ts). */
  dynamoRequests: Record<string, number>;
}

export interface DeployedSweeps {
  settings: DeployedSettings;
  /**
   * One sweep in a fresh node against `sim` (fleet as it stands), with
   * `env` over the deployed settings; `quota` runs it inside the function's
   * CPU share, or says why it cannot.
   */
  run(
    sim: SimProcess,
    env: Record<string, string>,
    options?: {
      quota?: boolean;
      report?: boolean;
      remainingMs?: number;
      extraEnv?: Record<string, string>;
    },
  ): Promise<DeployedRun | { unavailable: string }>;
  close(): Promise<void>;
}

/**
 * Builds the bundled sweep child (bench/lib/memory-child.ts) once and starts
 * a local DynamoDB for its drain records; each run gets a fresh table.
 * `forProfile` bundles it unminified with a source map (bench/profile-sweep.ts).
 */
export async function startDeployedSweeps(
  options: { forProfile?: boolean } = {},
): Promise<DeployedSweeps> {
  const memoryMb = sweepMemoryMb();
  const settings: DeployedSettings = {
    memoryMb,
    heap: lambdaHeap(memoryMb),
    cpuShare: Math.round((memoryMb / MB_PER_CORE) * 1000) / 1000,
    drainSeconds: DRAIN_SECONDS,
    removalMode: 'remove-member',
    nodeOptions: deployedNodeOptions(),
  };
  const scratch = scratchDir('aps-bench-sweep', true);
  let dynamo: LocalDynamoDb | undefined;
  try {
    const built = await buildLikeServerless(
      ['bench/lib/memory-child.ts'],
      scratch.path,
      [],
      options,
    );
    const bundle = built['memory-child']?.path;
    if (bundle === undefined) throw new Error('sweep child was not built');
    dynamo = await startLocalDynamoDb({ tableName: 'aps-bench-drain-0' });
    const db = dynamo;
    let tables = 0;
    return {
      settings,
      async run(sim, env, options = {}) {
        let quota: CpuQuota | undefined;
        if (options.quota) {
          const made = createCpuQuota(settings.cpuShare);
          if ('unavailable' in made) return made;
          quota = made;
        }
        tables += 1;
        const tableName = `aps-bench-drain-${tables}`;
        await db.client.send(new CreateTableCommand(createTableInput(tableName)));
        const simCpu = sim.cpuMs();
        const before = db.requests();
        try {
          const { result } = await runNodeChild<MemoryChildResult>(
            'bundled sweep',
            [...settings.heap.flags, ...cpuProfileFlags('sweep'), bundle],
            {
              cwd: ROOT,
              env: {
                NODE_PATH: join(ROOT, 'node_modules'),
                NODE_ENV: 'production',
                // As deployed: stacks through the bundle's linked source map.
                NODE_OPTIONS: settings.nodeOptions,
                AWS_REGION: 'us-east-1',
                AWS_ACCESS_KEY_ID: 'local',
                AWS_SECRET_ACCESS_KEY: 'local',
                AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
                BENCH_SIM: JSON.stringify({
                  url: sim.url,
                  projectId: sim.projectId,
                  ak: sim.ak,
                  sk: sim.sk,
                }),
                BENCH_ENV: JSON.stringify({
                  DRAIN_SECONDS: String(settings.drainSeconds),
                  DRAIN_TABLE_NAME: tableName,
                  REMOVAL_MODE: settings.removalMode,
                  ...env,
                }),
                ...(options.report ? { BENCH_REPORT: '1' } : {}),
                ...(options.remainingMs === undefined
                  ? {}
                  : { BENCH_REMAINING_MS: String(options.remainingMs) }),
                ...options.extraEnv,
              },
              procsFile: quota?.procsFile,
            },
          );
          return {
            ...result,
            simCpuMs: sim.cpuMs() - simCpu,
            dynamoRequests: Object.fromEntries(
              Object.entries(db.requests()).map(([op, n]) => [op, n - (before[op] ?? 0)]),
            ),
            ...(quota ? { quota: quota.describe } : {}),
          };
        } finally {
          quota?.remove();
        }
      },
      async close() {
        await db.close();
        scratch.remove();
      },
    };
  } catch (error) {
    await dynamo?.close();
    scratch.remove();
    throw error;
  }
}
