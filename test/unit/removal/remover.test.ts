import { describe, expect, it } from 'vitest';
import { HuaweiApiError, ResponseSchemaError } from '../../../lib/errors.ts';
import type { AppServer, EcsServerGroup, Job } from '../../../lib/huawei/schemas.ts';
import { createMemoryLog } from '../../../lib/logger.ts';
import { createEcsGroupResolver } from '../../../lib/removal/actuation/ecs-groups.ts';
import {
  MAX_JOB_POLLS,
  type RemoverContext,
  removeServers,
} from '../../../lib/removal/actuation/remover.ts';

const APS_GROUP = 'aps-group-1';

function server(n: number, charging?: string): AppServer {
  return {
    id: `srv-${n}`,
    instance_id: `inst-${n}`,
    ...(charging === undefined ? {} : { metadata: { charging_mode: charging } }),
  } as AppServer;
}

function apiError(status: number, message = 'error'): HuaweiApiError {
  return new HuaweiApiError({
    method: 'POST',
    path: '/x',
    status,
    code: `Ecs.${status}`,
    apiMessage: message,
    requestId: 'req-err',
  });
}

/** A remover context over in-memory ECS groups and an APS batch-delete that records its calls. */
function context(
  ecsGroups: EcsServerGroup[],
  overrides: Partial<RemoverContext> & {
    removeAnswer?: (group: string, uuid: string) => Error | undefined;
    job?: (id: string, poll: number) => Job;
  } = {},
) {
  const calls = {
    list: 0,
    own: [] as string[],
    remove: [] as [string, string][],
    show: [] as string[],
    batch: [] as string[][],
    jobs: 0,
  };
  const ecs = {
    async *listServerGroups() {
      calls.list++;
      yield* ecsGroups;
    },
    async removeMember(group: string, uuid: string) {
      calls.remove.push([group, uuid]);
      const error = overrides.removeAnswer?.(group, uuid);
      if (error !== undefined) throw error;
      const held = ecsGroups.find((g) => g.id === group);
      if (held === undefined) throw apiError(404, 'server group not found');
      if (!held.members.includes(uuid))
        return { outcome: 'already-removed' as const, requestId: 'r' };
      held.members = held.members.filter((m) => m !== uuid);
      return { outcome: 'removed' as const, requestId: 'req-ok' };
    },
    async serverGroupsOf(uuid: string) {
      calls.own.push(uuid);
      return ecsGroups.filter((g) => g.members.includes(uuid)).map((g) => g.id);
    },
    async showServerGroup(id: string) {
      calls.show.push(id);
      const held = ecsGroups.find((g) => g.id === id);
      if (held === undefined) throw apiError(404);
      return held;
    },
  };
  const ctx: RemoverContext = {
    aps: {
      async batchDeleteServers(ids) {
        calls.batch.push([...ids]);
        return { jobId: `job-${calls.batch.length}`, requestId: 'req-batch' };
      },
      async getJob(id) {
        calls.jobs++;
        return overrides.job?.(id, calls.jobs) ?? { id, status: 'SUCCESS' };
      },
    },
    ecs,
    ecsGroupsOf: createEcsGroupResolver(ecs),
    log: createMemoryLog(),
    projectId: 'p-1',
    serverGroupId: APS_GROUP,
    removalMode: 'remove-member',
    now: () => 0,
    sleep: async () => undefined,
    ...overrides,
  };
  return { ctx, calls };
}

describe('removeServers, remove-member', () => {
  it("posts to each ECS group holding the instance, reads each instance's own record once, lists nothing", async () => {
    const { ctx, calls } = context([
      { id: 'ecs-a', members: ['inst-1', 'inst-2'] },
      { id: 'ecs-b', members: ['inst-2'] },
    ]);
    const first = await removeServers([server(1), server(2)], ctx);
    const second = await removeServers([server(3)], ctx);
    expect(first.map((r) => r.outcome)).toEqual(['removed', 'removed']);
    expect(first[1]?.ecsServerGroupIds).toEqual(['ecs-a', 'ecs-b']);
    expect(second[0]).toMatchObject({ outcome: 'not-in-ecs-group' });
    expect(second[0]?.detail).toContain(APS_GROUP);
    expect(calls.remove).toEqual([
      ['ecs-a', 'inst-1'],
      ['ecs-a', 'inst-2'],
      ['ecs-b', 'inst-2'],
    ]);
    expect(calls.remove.some(([g]) => g === APS_GROUP)).toBe(false);
    // A lookup whose cost does not grow with the project's other groups.
    expect(calls.own).toEqual(['inst-1', 'inst-2', 'inst-3']);
    expect(calls.list).toBe(0);
  });

  it('lists nothing when nothing is removed', async () => {
    const { ctx, calls } = context([{ id: 'ecs-a', members: ['inst-1'] }]);
    expect(await removeServers([], ctx)).toEqual([]);
    expect(calls.list).toBe(0);
  });

  it('reports a 404 as failed, never as already-removed, and does not take a fresh read as proof', async () => {
    const { ctx } = context([{ id: 'ecs-a', members: ['inst-1'] }], {
      removeAnswer: () => apiError(404, 'server group not found'),
    });
    const [result] = await removeServers([server(1)], ctx);
    expect(result?.outcome).toBe('failed');
    expect(result?.detail).toMatch(/ecs-a/);
  });

  it('counts the not-a-member answer as already-removed', async () => {
    const { ctx } = context([{ id: 'ecs-a', members: ['inst-1'] }]);
    ctx.ecsGroupsOf = async () => ['ecs-a'];
    await removeServers([server(1)], ctx);
    const [again] = await removeServers([server(1)], ctx);
    expect(again?.outcome).toBe('already-removed');
  });

  it('after a lost answer, a fresh read without the member is already-removed; with it, a retryable failure', async () => {
    const groups = [{ id: 'ecs-a', members: ['inst-1', 'inst-2'] }];
    const { ctx, calls } = context(groups, {
      removeAnswer: (_g, uuid) => {
        // The call commits for inst-1, then its answer is lost.
        if (uuid === 'inst-1') groups[0] = { id: 'ecs-a', members: ['inst-2'] };
        return apiError(503, 'service unavailable');
      },
    });
    const results = await removeServers([server(1), server(2)], ctx);
    expect(results.map((r) => r.outcome)).toEqual(['already-removed', 'failed']);
    expect(results[1]?.retryable).toBe(true);
    expect(calls.show).toEqual(['ecs-a', 'ecs-a']);
  });

  it.each([
    ['its own record', undefined],
    ['the listing', new Set(['inst-1'])],
  ])(
    'fails a removal whose lookup in %s failed, and asks again on the next one',
    async (_, only) => {
      let fail = true;
      const ecs = {
        async *listServerGroups() {
          if (fail) throw apiError(503);
          yield { id: 'ecs-a', members: ['inst-1'] };
        },
        async serverGroupsOf() {
          if (fail) throw apiError(503);
          return ['ecs-a'];
        },
      };
      const { ctx } = context([]);
      ctx.ecsGroupsOf = createEcsGroupResolver(ecs, only === undefined ? {} : { only });
      const [first] = await removeServers([server(1)], ctx);
      expect(first).toMatchObject({ outcome: 'failed', retryable: true });
      fail = false;
      expect(await ctx.ecsGroupsOf('inst-1')).toEqual(['ecs-a']);
    },
  );

  it('a stale record naming a group the instance has left ends as already-removed', async () => {
    const { ctx, calls } = context([{ id: 'ecs-a', members: [] }]);
    ctx.ecsGroupsOf = async () => ['ecs-a'];
    const [result] = await removeServers([server(1)], ctx);
    expect(result?.outcome).toBe('already-removed');
    expect(calls.remove).toEqual([['ecs-a', 'inst-1']]);
  });
});

describe('removeServers, release', () => {
  const release = { removalMode: 'release' as const };

  it('batch-deletes pay-per-use and spot servers in calls of at most 20; keeps prepaid and unknown ones', async () => {
    const servers = [
      ...Array.from({ length: 43 }, (_, i) => server(i, i % 2 === 0 ? '0' : '2')),
      server(100, '1'),
      server(101),
      server(102, 'RESERVED'),
    ];
    const { ctx, calls } = context([], release);
    const results = await removeServers(servers, ctx);
    expect(calls.batch.map((b) => b.length)).toEqual([20, 20, 3]);
    expect(calls.batch.flat()).not.toContain('srv-100');
    expect(results.slice(0, 43).every((r) => r.outcome === 'removed')).toBe(true);
    expect(results.slice(43).map((r) => r.outcome)).toEqual([
      'prepaid',
      'unknown-charging-mode',
      'unknown-charging-mode',
    ]);
    expect(calls.list).toBe(0);
  });

  it('maps a failed sub-job to that server only', async () => {
    const { ctx } = context([], {
      ...release,
      job: (id) => ({
        id,
        status: 'FAILED',
        sub_jobs: [
          { id: 's1', status: 'SUCCESS', job_resource_info: { resource_id: 'srv-1' } },
          {
            id: 's2',
            status: 'FAILED',
            error_code: 'WKS.0001',
            error_message: 'in use',
            job_resource_info: { resource_id: 'srv-2' },
          },
        ],
      }),
    });
    const results = await removeServers([server(1, '0'), server(2, '0')], ctx);
    expect(results.map((r) => r.outcome)).toEqual(['removed', 'failed']);
    expect(results[1]?.detail).toMatch(/WKS\.0001 in use/);
  });

  it('follows the job to its end, and stops at the poll limit or the deadline', async () => {
    const finishing = context([], {
      ...release,
      job: (id, poll) => ({ id, status: poll < 3 ? 'RUNNING' : 'SUCCESS' }),
    });
    expect((await removeServers([server(1, '0')], finishing.ctx))[0]?.outcome).toBe('removed');
    expect(finishing.calls.jobs).toBe(3);

    const stuck = context([], { ...release, job: (id) => ({ id, status: 'RUNNING' }) });
    const [never] = await removeServers([server(1, '0')], stuck.ctx);
    expect(never).toMatchObject({ outcome: 'failed', retryable: true });
    expect(stuck.calls.jobs).toBe(MAX_JOB_POLLS);

    let now = 0;
    const late = context([], {
      ...release,
      now: () => now,
      deadlineAt: 2_000,
      sleep: async (ms) => {
        now += ms;
      },
      job: (id) => ({ id, status: 'RUNNING' }),
    });
    const [timedOut] = await removeServers([server(1, '0')], late.ctx);
    expect(timedOut?.outcome).toBe('failed');
    expect(now).toBeLessThan(2_000);
    expect(late.calls.jobs).toBeLessThan(MAX_JOB_POLLS);
  });

  it('polls the job again after a lost or garbled answer, but not after a refusal', async () => {
    const garbled = (path: string) =>
      new ResponseSchemaError({ method: 'GET', path, detail: 'body is not JSON' });
    const recovering = context([], {
      ...release,
      job: (id, poll) => {
        if (poll === 1) throw garbled(`/v2/p-1/job/${id}`);
        return { id, status: 'SUCCESS' };
      },
    });
    expect((await removeServers([server(1, '0')], recovering.ctx))[0]?.outcome).toBe('removed');
    expect(recovering.calls.jobs).toBe(2);

    const refused = context([], {
      ...release,
      job: () => {
        throw apiError(403);
      },
    });
    expect((await removeServers([server(1, '0')], refused.ctx))[0]?.outcome).toBe('failed');
    expect(refused.calls.jobs).toBe(1);
  });
});
