import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  HuaweiApiError,
  PermanentFailureError,
  RetryableFailureError,
} from '../../../lib/errors.ts';
import type { AppServer } from '../../../lib/huawei/schemas.ts';
import { createMemoryLog } from '../../../lib/logger.ts';
import type { QueueMessage } from '../../../lib/queue/messages.ts';
import type { RemovalServices, RemovalSettings } from '../../../lib/removal/types.ts';
import { processMessage } from '../../../lib/sweep/remediate.ts';
import {
  DEFAULT_GROUP_ID,
  FACTORY_EPOCH,
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
} from '../../helpers/factories.ts';

// Every record ends in exactly one of: acted (a result: removed, already
// removed, not a member, refused with a reason), retried (RetryableFailureError,
// which the handler returns in batchItemFailures) or dead-lettered
// (PermanentFailureError, which the handler sends to the DLQ with its message).

type Answer = 'removed' | 'already-removed' | 'transient' | 'permanent';
type Outcome = 'acted' | 'retried' | 'dead-lettered';

const PROJECT = '0123456789abcdef0123456789abcdef';
const NOW = FACTORY_EPOCH + 4 * 3_600_000;
const REQUEST_ID = 'a'.repeat(32);

function fleet(size: number, busy: ReadonlySet<number> = new Set()) {
  resetFactorySequences();
  const group = serverGroupFactory();
  const servers: AppServer[] = Array.from({ length: size }, (_, i) =>
    serverFactory(busy.has(i) ? { session_count: 1 } : {}),
  );
  return { group, servers };
}

/** In-memory clients: ECS answers each instance as `answers` says (default: removed). */
function servicesFor(
  world: ReturnType<typeof fleet>,
  answers: ReadonlyMap<string, Answer> = new Map(),
) {
  const ecsCalls: string[] = [];
  const services: RemovalServices = {
    aps: {
      listServerGroups: async function* () {
        yield world.group;
      },
      getServerGroup: async (id) => (id === world.group.id ? world.group : undefined),
      listServers: async () => world.servers,
      listSessions: async () => [],
      getServer: async (id) => world.servers.find((s) => s.id === id),
      batchDeleteServers: async () => ({ jobId: undefined, requestId: undefined }),
      getJob: async (id) => ({ id, status: 'SUCCESS' }),
      logoffSessions: async () => {
        throw new Error('these tests never log off');
      },
      batchSetMaintenance: async () => {
        throw new Error('these tests never drain');
      },
    },
    ecs: {
      showServerGroup: async (id) => ({
        id,
        members: world.servers.map((s) => s.instance_id ?? ''),
      }),
      listServerGroups: async function* () {
        yield {
          id: `ecs-${world.group.id}`,
          members: world.servers.map((s) => s.instance_id ?? ''),
        };
      },
      serverGroupsOf: async () => [`ecs-${world.group.id}`],
      removeMember: async (groupId, instanceUuid) => {
        ecsCalls.push(instanceUuid);
        const answer = answers.get(instanceUuid) ?? 'removed';
        const path = `/v1/p/cloudservers/os-server-groups/${groupId}/action`;
        if (answer === 'transient' || answer === 'permanent') {
          throw new HuaweiApiError({
            method: 'POST',
            path,
            requestId: REQUEST_ID,
            status: answer === 'transient' ? 503 : 400,
            code: answer === 'transient' ? 'Ecs.0503' : 'Ecs.0005',
          });
        }
        return { outcome: answer, requestId: REQUEST_ID };
      },
    },
    log: createMemoryLog(),
  };
  return { services, ecsCalls };
}

const settings: RemovalSettings = {
  projectId: PROJECT,
  dryRun: false,
  removalMode: 'remove-member',
  limits: {
    minServersPerGroup: 1,
    maxRemovalsPerGroup: 10,
    protectTagKey: 'aps-autoscaler:protect',
  },
  sessionLookbackHours: 24,
  now: () => NOW,
  sleep: async () => {},
};

async function outcomeOf(
  message: QueueMessage,
  services: RemovalServices,
): Promise<{ outcome: Outcome; error?: Error; result?: unknown }> {
  try {
    const result = await processMessage(message, services, settings, { maxRemovalsPerSweep: 100 });
    return { outcome: 'acted', result };
  } catch (error) {
    if (error instanceof RetryableFailureError) return { outcome: 'retried', error };
    if (error instanceof PermanentFailureError) return { outcome: 'dead-lettered', error };
    throw error;
  }
}

const evaluateGroup: QueueMessage = {
  type: 'evaluate-group',
  projectId: PROJECT,
  serverGroupId: DEFAULT_GROUP_ID,
};
const removeOne = (instanceUuid: string): QueueMessage => ({
  type: 'remove-member',
  projectId: PROJECT,
  serverGroupId: DEFAULT_GROUP_ID,
  instanceUuid,
  reason: 'test',
});

describe('processMessage: remove-member ends in exactly one outcome', () => {
  let world: ReturnType<typeof fleet>;
  beforeEach(() => {
    world = fleet(3, new Set([2]));
  });
  const instance = (i: number) => world.servers[i]?.instance_id ?? '';

  it.each([
    ['removed', 'removed'],
    ['already-removed', 'already-removed'],
  ] as const)('acts when the removal answers %s', async (answer, expected) => {
    const { services } = servicesFor(world, new Map([[instance(0), answer]]));
    const got = await outcomeOf(removeOne(instance(0)), services);
    expect(got.outcome).toBe('acted');
    expect(got.result).toMatchObject({ status: 'done', removal: { outcome: expected } });
  });

  it('acts on an instance that is not a member, without calling ECS', async () => {
    const { services, ecsCalls } = servicesFor(world);
    const got = await outcomeOf(removeOne('not-a-member-uuid'), services);
    expect(got).toMatchObject({ outcome: 'acted', result: { status: 'not-a-member' } });
    expect(ecsCalls).toEqual([]);
  });

  it('acts by refusing a busy server, with the reason', async () => {
    const { services, ecsCalls } = servicesFor(world);
    const got = await outcomeOf(removeOne(instance(2)), services);
    expect(got).toMatchObject({ outcome: 'acted', result: { status: 'refused' } });
    expect((got.result as { detail?: string }).detail).toBeTruthy();
    expect(ecsCalls).toEqual([]);
  });

  it('retries a removal that failed for a transient reason', async () => {
    const { services } = servicesFor(world, new Map([[instance(0), 'transient']]));
    const got = await outcomeOf(removeOne(instance(0)), services);
    expect(got.outcome).toBe('retried');
    expect(got.error?.message).toContain(`request id ${REQUEST_ID}`);
  });

  it('dead-letters a removal that failed permanently, with its error (never acknowledged)', async () => {
    const { services } = servicesFor(world, new Map([[instance(0), 'permanent']]));
    const got = await outcomeOf(removeOne(instance(0)), services);
    expect(got.outcome).toBe('dead-lettered');
    expect(got.error?.message).toContain(world.servers[0]?.id);
    expect(got.error?.message).toContain('Ecs.0005');
    expect(got.error?.message).toContain(`request id ${REQUEST_ID}`);
  });
});

describe('processMessage: evaluate-group ends in exactly one outcome', () => {
  const answer = fc.constantFrom<Answer>('removed', 'already-removed', 'transient', 'permanent');

  it('attempts every planned removal, then retries on any transient failure, else dead-letters on any permanent one, else acts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { minLength: 2, maxLength: 6 }), async (answers) => {
        // One more server than removals: the floor of one keeps it.
        const world = fleet(answers.length + 1);
        const byInstance = new Map(
          answers.map((a, i) => [world.servers[i]?.instance_id ?? '', a] as const),
        );
        const { services, ecsCalls } = servicesFor(world, byInstance);
        const got = await outcomeOf(evaluateGroup, services);

        expect(ecsCalls).toHaveLength(answers.length);
        const expected: Outcome = answers.includes('transient')
          ? 'retried'
          : answers.includes('permanent')
            ? 'dead-lettered'
            : 'acted';
        expect(got.outcome).toBe(expected);
        if (got.outcome !== 'acted') {
          expect(got.error?.message).toMatch(/removal of \S+ failed: .*request id [0-9a-f]{32}/);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('dead-letters a group whose one permanent failure sits between two removals that worked', async () => {
    const world = fleet(4);
    const middle = world.servers[1];
    const { services, ecsCalls } = servicesFor(
      world,
      new Map([[middle?.instance_id ?? '', 'permanent' as const]]),
    );
    const got = await outcomeOf(evaluateGroup, services);
    expect(ecsCalls).toHaveLength(3);
    expect(got.outcome).toBe('dead-lettered');
    expect(got.error?.message).toContain(`removal of ${middle?.id} failed`);
  });
});
