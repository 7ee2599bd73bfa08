import type { RemovalMode } from '../../config.ts';
import { describeFailure, HuaweiApiError } from '../../errors.ts';
import { type ApsClient, BATCH_LIMIT } from '../../huawei/aps-client.ts';
import type { EcsClient } from '../../huawei/ecs-client.ts';
import type { AppServer, Job } from '../../huawei/schemas.ts';
import type { Log } from '../../logger.ts';
import type { RemovalOutcome } from '../outcome.ts';
import type { EcsGroupResolver } from '../types.ts';

/**
 * Acts on servers already judged removable: `remove-member` takes each cloud
 * server out of the ECS server group(s) that really hold it (it keeps running
 * and billing); `release` batch-deletes pay-per-use and spot servers (the bill
 * stops) and never touches yearly/monthly ones. docs/huawei-api.md has the
 * endpoints and what each answer means.
 */

export interface RemoverContext {
  aps: Pick<ApsClient, 'batchDeleteServers' | 'getJob'>;
  ecs: Pick<EcsClient, 'removeMember' | 'showServerGroup'>;
  /** Shared by every group of the invocation: see createEcsGroupResolver. */
  ecsGroupsOf: EcsGroupResolver;
  log: Log;
  projectId: string;
  /** The APS server group the servers belong to; named in logs only, never sent to ECS. */
  serverGroupId: string;
  removalMode: RemovalMode;
  /** The clock, epoch milliseconds. */
  now: () => number;
  /** Epoch ms by which job polling must have stopped; unset = only the poll limit applies. */
  deadlineAt?: number | undefined;
  /** Waits between job polls, on the clock of `now`. */
  sleep: (ms: number) => Promise<void>;
}

/** What the remover did to one server. */
export interface ServerRemoval {
  serverId: string;
  instanceId: string | undefined;
  outcome: Extract<
    RemovalOutcome,
    | 'removed'
    | 'already-removed'
    | 'failed'
    | 'not-in-ecs-group'
    | 'prepaid'
    | 'unknown-charging-mode'
  >;
  detail?: string;
  requestId?: string;
  retryable?: boolean;
  /** `remove-member`: the ECS server groups the instance was taken out of. */
  ecsServerGroupIds?: string[];
}

/** Job polls before a release is reported as not confirmed. */
export const MAX_JOB_POLLS = 20;
/** Job reads in a row that may fail (lost or garbled answers) before the release is reported unconfirmed. */
const MAX_FAILED_POLLS = 3;
/** Waits between job polls: doubling from the first, capped at the last. */
const POLL_WAIT_MS = [0, 500, 1_000, 2_000, 4_000];

const RELEASABLE = new Set(['0', '2']);
const FINISHED_SUB_JOB = new Set(['SUCCESS']);

/**
 * Removes each server by `ctx.removalMode`; one result per server, in the
 * order given. Never throws: a failure is that server's outcome.
 */
export async function removeServers(
  servers: readonly AppServer[],
  ctx: RemoverContext,
): Promise<ServerRemoval[]> {
  if (ctx.removalMode === 'release') return release(servers, ctx);
  const results: ServerRemoval[] = [];
  // One server after another: each remove_member is its own ECS call.
  for (const server of servers) results.push(await removeFromEcsGroups(server, ctx));
  return results;
}

async function removeFromEcsGroups(server: AppServer, ctx: RemoverContext): Promise<ServerRemoval> {
  const base = { serverId: server.id, instanceId: server.instance_id };
  const uuid = server.instance_id;
  if (uuid === undefined || uuid === '') {
    return { ...base, outcome: 'failed', detail: 'server has no instance_id to remove' };
  }
  let groupIds: readonly string[];
  try {
    groupIds = await ctx.ecsGroupsOf(uuid);
  } catch (error) {
    return failed(base, error, 'listing ECS server groups');
  }
  if (groupIds.length === 0) {
    ctx.log.warn('instance in no ECS server group: nothing to remove it from', {
      projectId: ctx.projectId,
      serverGroupId: ctx.serverGroupId,
      serverId: server.id,
      instanceId: uuid,
    });
    return {
      ...base,
      outcome: 'not-in-ecs-group',
      detail: `instance ${uuid} of APS group ${ctx.serverGroupId} is in no ECS server group`,
    };
  }
  let removedAny = false;
  let requestId: string | undefined;
  for (const groupId of groupIds) {
    try {
      const answer = await ctx.ecs.removeMember(groupId, uuid);
      requestId = answer.requestId ?? requestId;
      if (answer.outcome === 'removed') removedAny = true;
    } catch (error) {
      if (await provablyGone(groupId, uuid, error, ctx)) continue;
      return failed({ ...base, ecsServerGroupIds: [...groupIds] }, error, `ECS group ${groupId}`);
    }
  }
  return {
    ...base,
    outcome: removedAny ? 'removed' : 'already-removed',
    ecsServerGroupIds: [...groupIds],
    ...(requestId === undefined ? {} : { requestId }),
  };
}

/**
 * After a failed remove_member other than a 404: a fresh read of the ECS
 * group without the instance proves it is out (the call may have committed
 * before its answer was lost). A 404, or a read that fails, proves nothing.
 */
async function provablyGone(
  groupId: string,
  uuid: string,
  error: unknown,
  ctx: RemoverContext,
): Promise<boolean> {
  if (error instanceof HuaweiApiError && error.status === 404) return false;
  try {
    const group = await ctx.ecs.showServerGroup(groupId);
    if (group.members.includes(uuid)) return false;
    ctx.log.info('member absent on a fresh read of its ECS group', {
      projectId: ctx.projectId,
      ecsServerGroupId: groupId,
      instanceId: uuid,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why `release` would refuse this server without a call (a yearly/monthly or
 * an unknown charging mode), or undefined when it is releasable: pay-per-use
 * ("0") or spot ("2") in `metadata.charging_mode` (docs/huawei-api.md).
 */
export function releaseRefusal(
  server: Pick<AppServer, 'metadata'>,
): Pick<ServerRemoval, 'outcome' | 'detail'> | undefined {
  const mode = server.metadata?.['charging_mode'];
  if (mode !== undefined && RELEASABLE.has(mode)) return undefined;
  if (mode === '1') {
    return {
      outcome: 'prepaid',
      detail: 'yearly/monthly: unsubscribe it instead; never released here',
    };
  }
  return {
    outcome: 'unknown-charging-mode',
    detail: `metadata.charging_mode is ${mode === undefined ? 'missing' : JSON.stringify(mode)}: not released`,
  };
}

async function release(
  servers: readonly AppServer[],
  ctx: RemoverContext,
): Promise<ServerRemoval[]> {
  const results = new Map<string, ServerRemoval>();
  const releasable: AppServer[] = [];
  for (const server of servers) {
    const refusal = releaseRefusal(server);
    if (refusal === undefined) releasable.push(server);
    else
      results.set(server.id, { serverId: server.id, instanceId: server.instance_id, ...refusal });
  }
  for (let i = 0; i < releasable.length; i += BATCH_LIMIT) {
    const chunk = releasable.slice(i, i + BATCH_LIMIT);
    for (const removal of await releaseChunk(chunk, ctx)) results.set(removal.serverId, removal);
  }
  return servers.map((s) => results.get(s.id) as ServerRemoval);
}

async function releaseChunk(
  chunk: readonly AppServer[],
  ctx: RemoverContext,
): Promise<ServerRemoval[]> {
  const bases = chunk.map((s) => ({ serverId: s.id, instanceId: s.instance_id }));
  let answer: Awaited<ReturnType<RemoverContext['aps']['batchDeleteServers']>>;
  try {
    answer = await ctx.aps.batchDeleteServers(chunk.map((s) => s.id));
  } catch (error) {
    return bases.map((base) => failed(base, error, 'batch-delete'));
  }
  const requestId = answer.requestId === undefined ? {} : { requestId: answer.requestId };
  if (answer.jobId === undefined) {
    ctx.log.warn('batch-delete accepted without a job id: release not followed', {
      projectId: ctx.projectId,
      serverGroupId: ctx.serverGroupId,
      serverIds: bases.map((b) => b.serverId),
      requestId: answer.requestId,
    });
    return bases.map((base) => ({
      ...base,
      outcome: 'removed',
      detail: 'batch-delete accepted; no job id to follow',
      ...requestId,
    }));
  }
  const job = await followJob(answer.jobId, ctx);
  if ('error' in job) {
    return bases.map((base) => ({
      ...failed(base, job.error, `job ${answer.jobId}`),
      // The release may still finish: another delivery re-reads the server first.
      retryable: true,
    }));
  }
  return bases.map((base) => ({ ...base, ...jobOutcome(job, base.serverId), ...requestId }));
}

/** Polls the job until SUCCESS or FAILED, the poll limit, or the deadline. */
async function followJob(jobId: string, ctx: RemoverContext): Promise<Job | { error: Error }> {
  const { sleep } = ctx;
  let last: Job | undefined;
  let lastError: Error | undefined;
  let failedPolls = 0;
  for (let poll = 0; poll < MAX_JOB_POLLS; poll++) {
    const wait = POLL_WAIT_MS[Math.min(poll, POLL_WAIT_MS.length - 1)] as number;
    if (ctx.deadlineAt !== undefined && ctx.now() + wait >= ctx.deadlineAt) break;
    if (wait > 0) await sleep(wait);
    try {
      last = await ctx.aps.getJob(jobId);
      failedPolls = 0;
    } catch (error) {
      lastError = error instanceof Error ? error : new Error(String(error));
      // A job read is safe to repeat: a lost or garbled answer is polled again;
      // a refusal (a 4xx other than throttling) will not change.
      const refused = error instanceof HuaweiApiError && error.status < 500 && error.status !== 429;
      if (refused || ++failedPolls >= MAX_FAILED_POLLS) return { error: lastError };
      continue;
    }
    if (last.status === 'SUCCESS' || last.status === 'FAILED') return last;
  }
  return {
    error:
      lastError ??
      new Error(
        `job ${jobId} not finished (last status ${last?.status ?? 'unread'}); release not confirmed`,
      ),
  };
}

/** One server's outcome from its finished job: its sub-job decides when there is one. */
function jobOutcome(job: Job, serverId: string): Pick<ServerRemoval, 'outcome' | 'detail'> {
  const sub = job.sub_jobs?.find((s) => s.job_resource_info?.resource_id === serverId);
  if (sub !== undefined && sub.status !== undefined) {
    if (FINISHED_SUB_JOB.has(sub.status)) return { outcome: 'removed' };
    const why = [sub.error_code, sub.error_message].filter((s) => s != null && s !== '').join(' ');
    return {
      outcome: 'failed',
      detail: `job ${job.id} sub-job ${sub.id ?? '?'} ${sub.status}${why === '' ? '' : `: ${why}`}`,
    };
  }
  if (job.status === 'SUCCESS') return { outcome: 'removed' };
  return { outcome: 'failed', detail: `job ${job.id} FAILED` };
}

function failed(
  base: Pick<ServerRemoval, 'serverId' | 'instanceId' | 'ecsServerGroupIds'>,
  error: unknown,
  where: string,
): ServerRemoval {
  const failure = describeFailure(error);
  return {
    ...base,
    outcome: 'failed',
    detail: `${where}: ${failure.message}`,
    ...(failure.transient ? { retryable: true } : {}),
    ...(failure.requestId === undefined ? {} : { requestId: failure.requestId }),
  };
}
