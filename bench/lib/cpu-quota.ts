import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNodeChild } from './node-child.ts';

/** Where a cgroup (v1 `cpu` controller, or v2 with `cpu.max`) can be made, if anywhere. */
const V1_CPU = '/sys/fs/cgroup/cpu';
const V2_ROOT = '/sys/fs/cgroup';
const PERIOD_US = 100_000;

/** A CPU cap for child processes: a cgroup with quota = share × period. */
export interface CpuQuota {
  /** `cgroup v1 cpu.cfs_quota_us 30000/100000` and the like. */
  describe: string;
  /** The file a process writes its pid into to join. */
  procsFile: string;
  remove(): void;
}

/**
 * Makes a cgroup that limits its members to `share` of one core, or returns
 * undefined (with the reason) when this machine does not let us.
 */
export function createCpuQuota(share: number): CpuQuota | { unavailable: string } {
  const name = `aps-bench-${process.pid}-${Date.now()}`;
  const quotaUs = Math.round(share * PERIOD_US);
  const attempts: string[] = [];
  try {
    const dir = join(V2_ROOT, name);
    readFileSync(join(V2_ROOT, 'cgroup.controllers'), 'utf8');
    mkdirSync(dir);
    try {
      writeFileSync(join(dir, 'cpu.max'), `${quotaUs} ${PERIOD_US}`);
      return {
        describe: `cgroup v2 cpu.max ${quotaUs} ${PERIOD_US}`,
        procsFile: join(dir, 'cgroup.procs'),
        remove: () => rmdirSync(dir),
      };
    } catch (error) {
      rmdirSync(dir);
      throw error;
    }
  } catch (error) {
    attempts.push(`v2: ${(error as Error).message}`);
  }
  try {
    const dir = join(V1_CPU, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
    return {
      describe: `cgroup v1 cpu.cfs_quota_us ${quotaUs} / cpu.cfs_period_us ${PERIOD_US}`,
      procsFile: join(dir, 'cgroup.procs'),
      remove: () => rmdirSync(dir),
    };
  } catch (error) {
    attempts.push(`v1: ${(error as Error).message}`);
  }
  return { unavailable: attempts.join('; ') };
}

/**
 * Runs `node <args>` (PATH and `env` only), inside `quota` when given: a shell
 * joins the cgroup and then execs node, so every instruction of the child is
 * capped. Resolves with the last stdout line parsed as JSON.
 */
export async function runNodeChildIn<T>(
  what: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; quota?: CpuQuota | undefined },
): Promise<T> {
  const { quota, ...rest } = options;
  return (await runNodeChild<T>(what, args, { ...rest, procsFile: quota?.procsFile })).result;
}
