import { describe, expect, it } from 'vitest';
import type { AppServer, ServerGroup } from '../../../lib/huawei/schemas.ts';
import { HOLD_UNTIL_TAG, holdOf, lastScaleOut, unparsedHolds } from '../../../lib/scaling/churn.ts';
import { evaluateGroup, evaluateRemoval } from '../../../lib/scaling/evaluate.ts';
import type { EvaluateGroupInput, EvaluationLimits } from '../../../lib/scaling/types.ts';
import {
  DEFAULT_GROUP_ID,
  isoAt,
  scalingPolicyFactory,
  serverFactory,
  serverGroupFactory,
} from '../../helpers/factories.ts';

const NOW = Date.UTC(2026, 11, 11, 12, 0, 0);
const MINUTE = 60_000;
const LIMITS: EvaluationLimits = {
  minServersPerGroup: 0,
  maxRemovalsPerGroup: 10,
  protectTagKey: 'aps-autoscaler:protect',
};
const ago = (minutes: number): string => isoAt(NOW - minutes * MINUTE);

function group(overrides: Partial<ServerGroup> = {}): ServerGroup {
  return serverGroupFactory({
    id: DEFAULT_GROUP_ID,
    product_info: { sessions: 2 },
    scaling_policy: scalingPolicyFactory({
      scaling_policy_by_session: {
        session_usage_threshold: 80,
        shrink_after_session_idle_minutes: 30,
      },
    }),
    ...overrides,
  });
}

/** An idle member created `minutes` ago (no sessions). */
const srv = (id: string, minutes: number, overrides: Partial<AppServer> = {}): AppServer =>
  serverFactory({ id, machine_name: `M-${id}`, create_time: ago(minutes), ...overrides });

function run(
  servers: AppServer[],
  limits: Partial<EvaluationLimits> = {},
  g: ServerGroup = group(),
  now = NOW,
): EvaluateGroupInput {
  return { group: g, servers, sessions: [], now, limits: { ...LIMITS, ...limits } };
}

const holdTag = (value: string) => [{ key: HOLD_UNTIL_TAG, value }];

describe('holds with an end', () => {
  const until = '2026-12-14T09:00:00+01:00';
  const end = Date.parse(until);

  it('holds a group before its instant and releases it at and after it', () => {
    const servers = [srv('a', 600), srv('b', 600)];
    const tagged = group({ tags: holdTag(until) });
    const before = evaluateGroup(run(servers, {}, tagged, end - 1));
    expect(before).toMatchObject({ kind: 'skip', reason: 'held' });
    expect(before.kind === 'skip' && before.detail).toContain('2026-12-14T08:00:00.000Z');
    expect(evaluateGroup(run(servers, {}, tagged, end)).kind).toBe('scale-in');
    expect(evaluateGroup(run(servers, {}, tagged, end + 60 * MINUTE)).kind).toBe('scale-in');
  });

  it('holds a server before its instant (verdict held, naming the end) and not after', () => {
    const servers = [srv('a', 600, { tags: holdTag(until) }), srv('b', 600)];
    const before = evaluateGroup(run(servers, {}, group(), end - MINUTE));
    expect(before.members.find((m) => m.serverId === 'a')).toMatchObject({
      action: 'keep',
      reason: { kind: 'held', detail: `${HOLD_UNTIL_TAG} 2026-12-14T08:00:00.000Z` },
    });
    expect(before.kind === 'scale-in' && before.remove.map((r) => r.serverId)).toEqual(['b']);
    const after = evaluateGroup(run(servers, {}, group(), end));
    expect(after.kind === 'scale-in' && after.remove.map((r) => r.serverId)).toEqual(['a', 'b']);
    const refused = evaluateRemoval({ ...run(servers, {}, group(), end - 1), serverId: 'a' });
    expect(refused).toMatchObject({ allowed: false });
  });

  it.each(['next monday', '2026-12-14T09:00:00', '2026-12-14', '', '2026-02-30T09:00:00Z'])(
    'an unparsable value %j holds for ever, naming the tag',
    (value) => {
      const hold = holdOf(holdTag(value), NOW + 10 * 365 * 24 * 60 * MINUTE);
      expect(hold).toEqual({ value, unparsed: { tag: HOLD_UNTIL_TAG, value } });
      const decision = evaluateGroup(run([srv('a', 600)], {}, group({ tags: holdTag(value) })));
      expect(decision).toMatchObject({ kind: 'skip', reason: 'held' });
      expect(decision.kind === 'skip' && decision.detail).toContain(
        `tag ${HOLD_UNTIL_TAG} does not parse`,
      );
      expect(unparsedHolds(decision)).toEqual([{ tag: HOLD_UNTIL_TAG, value }]);
    },
  );

  it('flags a server hold tag that does not parse on its verdict, and a valid one not', () => {
    const servers = [
      srv('a', 600, { tags: holdTag('tomorrow') }),
      srv('b', 600, { tags: holdTag(until) }),
    ];
    const decision = evaluateGroup(run(servers, {}, group(), end - MINUTE));
    expect(decision.members.map((m) => m.reason.kind)).toEqual(['held', 'held']);
    expect(unparsedHolds(decision)).toEqual([
      { tag: HOLD_UNTIL_TAG, value: 'tomorrow', serverId: 'a' },
    ]);
  });
});

describe('minimum server age', () => {
  it('keeps an idle server younger than MIN_SERVER_AGE_MINUTES as recently-created', () => {
    const churn = { minServerAgeMinutes: 120, scaleOutCooldownMinutes: 0 };
    const decision = evaluateGroup(run([srv('young', 119), srv('old', 121)], { churn }));
    expect(decision.members.find((m) => m.serverId === 'young')?.reason).toMatchObject({
      kind: 'recently-created',
      minimumMinutes: 120,
    });
    expect(decision.kind === 'scale-in' && decision.remove.map((r) => r.serverId)).toEqual(['old']);
    expect(evaluateGroup(run([srv('young', 119)])).kind).toBe('scale-in');
  });
});

describe('scale-out cooldown', () => {
  const churn = { minServerAgeMinutes: 0, scaleOutCooldownMinutes: 60 };

  it('dates the last scale-out by the newest create_time of auto-created members', () => {
    const servers = [
      srv('a', 300, { scaling_auto_create: true }),
      srv('b', 40, { scaling_auto_create: true }),
      srv('c', 10),
    ];
    expect(lastScaleOut(servers)).toBe(NOW - 40 * MINUTE);
    expect(lastScaleOut([srv('c', 10)])).toBeUndefined();
  });

  it('removes nothing within the cooldown, every idle member kept as cooldown', () => {
    const servers = [srv('a', 600), srv('b', 600), srv('auto', 59, { scaling_auto_create: true })];
    const decision = evaluateGroup(run(servers, { churn }));
    expect(decision.kind).toBe('steady');
    expect(decision.kind !== 'skip' && decision.hold?.reason).toBe('cooldown');
    expect(decision.members.every((m) => m.action === 'keep')).toBe(true);
    expect(decision.members.find((m) => m.serverId === 'a')?.reason.kind).toBe('cooldown');
    expect(evaluateRemoval({ ...run(servers, { churn }), serverId: 'a' })).toMatchObject({
      allowed: false,
    });
  });

  it('scales in again once the cooldown has passed', () => {
    const servers = [srv('a', 600), srv('auto', 60, { scaling_auto_create: true })];
    const decision = evaluateGroup(run(servers, { churn }));
    expect(decision.kind).toBe('scale-in');
  });
});
