import { describe, expect, it } from 'vitest';
import type {
  AppServer,
  ScalingPolicy,
  ServerGroup,
  SessionInfo,
} from '../../../lib/huawei/schemas.ts';
import { evaluateGroup, evaluateRemoval } from '../../../lib/scaling/evaluate.ts';
import type {
  Decision,
  EvaluateGroupInput,
  EvaluationLimits,
  MemberReason,
  SessionQueryFailure,
} from '../../../lib/scaling/types.ts';
import {
  DEFAULT_GROUP_ID,
  isoAt,
  omit,
  scalingPolicyFactory,
  serverFactory,
  serverGroupFactory,
  sessionFactory,
} from '../../helpers/factories.ts';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const MINUTE = 60_000;
const PROTECT = 'aps-autoscaler:protect';
const LIMITS: EvaluationLimits = {
  minServersPerGroup: 1,
  maxRemovalsPerGroup: 10,
  protectTagKey: PROTECT,
};

const ago = (minutes: number): string => isoAt(NOW - minutes * MINUTE);

/** A policy with the given threshold (undefined = none) and shrink minutes (30). */
function policy(
  threshold: number | undefined,
  extra: Partial<ScalingPolicy> = {},
  shrink = 30,
): ScalingPolicy {
  return scalingPolicyFactory({
    scaling_policy_by_session: {
      ...(threshold === undefined ? {} : { session_usage_threshold: threshold }),
      shrink_after_session_idle_minutes: shrink,
    },
    ...extra,
  });
}

function group(overrides: Partial<ServerGroup> = {}): ServerGroup {
  return serverGroupFactory({
    id: DEFAULT_GROUP_ID,
    product_info: { sessions: 2 },
    scaling_policy: policy(80),
    ...overrides,
  });
}

/** An in-service member `id`, last active `idle` minutes ago. */
function srv(id: string, idle: number, overrides: Partial<AppServer> = {}): AppServer {
  return serverFactory({ id, machine_name: `M-${id}`, create_time: ago(idle), ...overrides });
}

const busy = (id: string, count: number, overrides: Partial<AppServer> = {}): AppServer =>
  srv(id, 600, { session_count: count, ...overrides });

interface Scenario {
  group?: ServerGroup;
  servers?: AppServer[];
  sessions?: SessionInfo[] | SessionQueryFailure;
  limits?: Partial<EvaluationLimits>;
  incomplete?: string;
}

function input(s: Scenario): EvaluateGroupInput {
  const built: EvaluateGroupInput = {
    group: s.group ?? group(),
    servers: s.servers ?? [],
    sessions: s.sessions ?? [],
    now: NOW,
    limits: { ...LIMITS, ...s.limits },
  };
  if (s.incomplete !== undefined) built.incomplete = s.incomplete;
  return built;
}

const removedIds = (d: Decision): string[] =>
  d.kind === 'scale-in' ? d.remove.map((r) => r.serverId) : [];
const reasonOf = (d: Decision, id: string): MemberReason | undefined =>
  d.members.find((m) => m.serverId === id)?.reason;

interface Row {
  name: string;
  scenario: Scenario;
  expected: Record<string, unknown>;
  removed?: string[];
  reasons?: Record<string, MemberReason['kind']>;
}

const skipRows: Row[] = [
  {
    name: 'skips a group without scaling_policy as policy-disabled',
    scenario: { group: omit(group(), 'scaling_policy'), servers: [srv('a', 600)] },
    expected: { kind: 'skip', reason: 'policy-disabled', members: [] },
  },
  {
    name: 'skips a group whose scaling_policy is null as policy-disabled',
    scenario: { group: group({ scaling_policy: null }) },
    expected: { kind: 'skip', reason: 'policy-disabled' },
  },
  {
    name: 'skips a policy with enable false as policy-disabled',
    scenario: { group: group({ scaling_policy: policy(80, { enable: false }) }) },
    expected: { kind: 'skip', reason: 'policy-disabled', detail: 'scaling_policy.enable is false' },
  },
  {
    name: 'skips a policy without scaling_policy_by_session as policy-disabled',
    scenario: {
      group: group({ scaling_policy: omit(policy(80), 'scaling_policy_by_session') }),
    },
    expected: { kind: 'skip', reason: 'policy-disabled' },
  },
  {
    name: 'treats a policy without enable as enabled',
    scenario: {
      group: group({ scaling_policy: omit(policy(80), 'enable') }),
      servers: [srv('a', 600), srv('b', 600)],
    },
    expected: { kind: 'scale-in' },
    removed: ['a'],
  },
  {
    name: 'skips a group with server_group_status false as group-disabled',
    scenario: { group: group({ server_group_status: false }), servers: [srv('a', 600)] },
    expected: { kind: 'skip', reason: 'group-disabled' },
  },
  {
    name: 'skips a group carrying the protect tag as protected',
    scenario: {
      group: group({ tags: [{ key: PROTECT, value: 'yes' }] }),
      servers: [srv('a', 600), srv('b', 600)],
    },
    expected: { kind: 'skip', reason: 'protected' },
  },
  {
    name: 'evaluates a group carrying other tags',
    scenario: {
      group: group({ tags: [{ key: 'owner', value: PROTECT }] }),
      servers: [srv('a', 600), srv('b', 600)],
    },
    expected: { kind: 'scale-in' },
  },
  {
    name: 'uses the protect tag key of the limits',
    scenario: {
      group: group({ tags: [{ key: 'custom-protect' }] }),
      limits: { protectTagKey: 'custom-protect' },
    },
    expected: { kind: 'skip', reason: 'protected' },
  },
  {
    name: 'skips a group whose listing was incomplete as incomplete-data, naming the error',
    scenario: { servers: [srv('a', 600), srv('b', 600)], incomplete: 'listServers: HTTP 503' },
    expected: { kind: 'skip', reason: 'incomplete-data', detail: 'listServers: HTTP 503' },
  },
  {
    name: 'names incomplete-data before protected',
    scenario: { group: group({ tags: [{ key: PROTECT }] }), incomplete: 'page 3 failed' },
    expected: { kind: 'skip', reason: 'incomplete-data' },
  },
  {
    name: 'skips a listing with a duplicate server id as incomplete-data',
    scenario: { servers: [srv('b', 600), srv('a', 600), srv('b', 600)] },
    expected: { kind: 'skip', reason: 'incomplete-data', detail: 'duplicate server id b' },
  },
  {
    name: 'skips a listing with a server of another group as incomplete-data',
    scenario: { servers: [srv('a', 600), srv('b', 600, { server_group_id: 'sg-other' })] },
    expected: {
      kind: 'skip',
      reason: 'incomplete-data',
      detail: 'server b belongs to group sg-other',
    },
  },
  {
    name: 'names protected before group-disabled',
    scenario: { group: group({ tags: [{ key: PROTECT }], server_group_status: false }) },
    expected: { kind: 'skip', reason: 'protected' },
  },
  {
    name: 'names group-disabled before policy-disabled',
    scenario: { group: group({ server_group_status: false, scaling_policy: null }) },
    expected: { kind: 'skip', reason: 'group-disabled' },
  },
  {
    name: 'still counts usage for a skipped group',
    scenario: {
      group: group({ scaling_policy: null }),
      servers: [busy('a', 1), busy('b', 2)],
    },
    expected: { kind: 'skip', inService: 2, usedSessions: 3, usagePercent: 75 },
  },
];

const invalidPolicyRows: [string, ScalingPolicy, string][] = [
  ['max_scaling_amount 0', policy(80, { max_scaling_amount: 0 }), 'max_scaling_amount'],
  ['max_scaling_amount 101', policy(80, { max_scaling_amount: 101 }), 'max_scaling_amount'],
  ['max_scaling_amount 1.5', policy(80, { max_scaling_amount: 1.5 }), 'max_scaling_amount'],
  ['single_expansion_count 0', policy(80, { single_expansion_count: 0 }), 'single_expansion_count'],
  [
    'single_expansion_count 11',
    policy(80, { single_expansion_count: 11 }),
    'single_expansion_count',
  ],
  ['session_usage_threshold 0', policy(0), 'session_usage_threshold'],
  ['session_usage_threshold 101', policy(101), 'session_usage_threshold'],
  ['session_usage_threshold -5', policy(-5), 'session_usage_threshold'],
  ['shrink_after_session_idle_minutes 0', policy(80, {}, 0), 'shrink_after_session_idle_minutes'],
  ['shrink_after_session_idle_minutes -1', policy(80, {}, -1), 'shrink_after_session_idle_minutes'],
  ['shrink_after_session_idle_minutes 4', policy(80, {}, 4), 'idle_minutes: must be 5–120'],
  ['shrink_after_session_idle_minutes 121', policy(80, {}, 121), 'idle_minutes: must be 5–120'],
  [
    'cpu_usage_threshold 0',
    policy(80, { scaling_policy_by_resource: { cpu_usage_threshold: 0 } }),
    'scaling_policy_by_resource.cpu_usage_threshold: must be 1–100',
  ],
  [
    'gpu_usage_threshold 101',
    policy(80, { scaling_policy_by_resource: { gpu_usage_threshold: 101 } }),
    'scaling_policy_by_resource.gpu_usage_threshold: must be 1–100',
  ],
  [
    'a scaling_policy_by_resource that is not an object',
    policy(80, { scaling_policy_by_resource: 5 as never }),
    'scaling_policy.scaling_policy_by_resource: must be an object',
  ],
  [
    'a missing shrink_after_session_idle_minutes',
    scalingPolicyFactory({ scaling_policy_by_session: { session_usage_threshold: 80 } }),
    'shrink_after_session_idle_minutes: required to scale in',
  ],
];

const validBoundaryPolicies: [string, ScalingPolicy][] = [
  ['max_scaling_amount 1', policy(80, { max_scaling_amount: 1 })],
  ['max_scaling_amount 100', policy(80, { max_scaling_amount: 100 })],
  ['single_expansion_count 1', policy(80, { single_expansion_count: 1 })],
  ['single_expansion_count 10', policy(80, { single_expansion_count: 10 })],
  ['session_usage_threshold 1', policy(1)],
  ['session_usage_threshold 100', policy(100)],
  ['shrink_after_session_idle_minutes 5', policy(80, {}, 5)],
  ['shrink_after_session_idle_minutes 120', policy(80, {}, 120)],
  [
    'every resource threshold at 1 and 100',
    policy(80, {
      scaling_policy_by_resource: {
        cpu_usage_threshold: 1,
        mem_usage_threshold: 100,
        gpu_usage_threshold: 50,
      },
    }),
  ],
  ['no session_usage_threshold', policy(undefined)],
  [
    'no max_scaling_amount and no single_expansion_count',
    omit(policy(80), 'max_scaling_amount', 'single_expansion_count'),
  ],
];

const ruleRows: Row[] = [
  {
    name: 'reads s from product_info.sessions',
    scenario: { group: group({ product_info: { sessions: 4 } }), servers: [busy('a', 1)] },
    expected: { sessionsPerServer: 4, usagePercent: 25 },
  },
  {
    name: 'takes s as 1 when product_info.sessions is missing',
    scenario: { group: group({ product_info: {} }), servers: [busy('a', 1), srv('b', 5)] },
    expected: { sessionsPerServer: 1, usagePercent: 50 },
  },
  {
    name: 'takes s as 1 without product_info',
    scenario: { group: omit(group(), 'product_info'), servers: [busy('a', 1), srv('b', 5)] },
    expected: { sessionsPerServer: 1, usagePercent: 50 },
  },
  {
    name: 'takes s as 1 when product_info.sessions is 0',
    scenario: {
      group: group({ product_info: { sessions: 0 } }),
      servers: [busy('a', 1), srv('b', 5)],
    },
    expected: { sessionsPerServer: 1, usagePercent: 50 },
  },
  {
    name: 'reports usage 0 with no member in service',
    scenario: { servers: [busy('a', 2, { status: 'STOPPED' })] },
    expected: { kind: 'steady', inService: 0, usedSessions: 2, usagePercent: 0 },
  },
  {
    name: 'counts sessions on members out of service in used but not in n',
    scenario: {
      servers: [busy('a', 1), busy('m', 2, { maintain_status: true }), srv('b', 5)],
    },
    expected: { inService: 2, usedSessions: 3, usagePercent: 75 },
  },
  {
    name: 'scales out when usage is exactly at the threshold',
    scenario: {
      group: group({ scaling_policy: policy(50) }),
      servers: [busy('a', 2), srv('b', 600)],
    },
    expected: { kind: 'scale-out', usagePercent: 50, thresholdPercent: 50, recommended: 2 },
    reasons: { a: 'busy', b: 'anti-flap' },
  },
  {
    name: 'does not scale out one point below the threshold',
    scenario: {
      group: group({ scaling_policy: policy(51) }),
      servers: [busy('a', 2), srv('b', 600)],
    },
    expected: { kind: 'steady', usagePercent: 50, thresholdPercent: 51 },
    reasons: { b: 'anti-flap' },
  },
  {
    name: 'removes when usage after removal is one point below the threshold',
    scenario: {
      group: group({ scaling_policy: policy(51) }),
      servers: [busy('a', 2), srv('b', 600), srv('c', 600)],
    },
    expected: { kind: 'scale-in', usagePercent: 100 / 3, usageAfterPercent: 50 },
    removed: ['b'],
    reasons: { c: 'anti-flap' },
  },
  {
    name: 'caps the recommendation by max_scaling_amount minus auto-created servers',
    scenario: {
      group: group({
        scaling_policy: policy(50, { single_expansion_count: 5, max_scaling_amount: 3 }),
      }),
      servers: [
        busy('a', 2, { scaling_auto_create: true }),
        busy('b', 2, { scaling_auto_create: true, status: 'STOPPED' }),
        busy('c', 2),
      ],
    },
    expected: { kind: 'scale-out', recommended: 1 },
  },
  {
    name: 'recommends single_expansion_count when it is the smaller bound',
    scenario: {
      group: group({
        scaling_policy: policy(50, { single_expansion_count: 3, max_scaling_amount: 100 }),
      }),
      servers: [busy('a', 2, { scaling_auto_create: true })],
    },
    expected: { kind: 'scale-out', recommended: 3 },
  },
  {
    name: 'never recommends fewer than 0 servers',
    scenario: {
      group: group({ scaling_policy: policy(50, { max_scaling_amount: 1 }) }),
      servers: [
        busy('a', 2, { scaling_auto_create: true }),
        busy('b', 2, { scaling_auto_create: true }),
      ],
    },
    expected: { kind: 'scale-out', recommended: 0 },
  },
  {
    name: 'recommends 1 server without single_expansion_count or max_scaling_amount',
    scenario: {
      group: group({
        scaling_policy: omit(policy(50), 'single_expansion_count', 'max_scaling_amount'),
      }),
      servers: [busy('a', 2)],
    },
    expected: { kind: 'scale-out', recommended: 1 },
  },
  {
    name: 'never scales out without a threshold, even when full',
    scenario: {
      group: group({ scaling_policy: policy(undefined) }),
      servers: [busy('a', 2), busy('b', 2), srv('c', 600)],
    },
    expected: { kind: 'scale-in', thresholdPercent: undefined, usageAfterPercent: 100 },
    removed: ['c'],
  },
  {
    name: 'removes idle members longest idle first, ties by id',
    scenario: {
      group: group({ scaling_policy: policy(undefined) }),
      servers: [srv('d', 60), srv('c', 300), srv('b', 60), srv('a', 45), busy('z', 1)],
    },
    expected: { kind: 'scale-in' },
    removed: ['c', 'b', 'd', 'a'],
  },
  {
    name: 'removes down to the floor exactly',
    scenario: { servers: [srv('a', 100), srv('b', 200), srv('c', 300)] },
    expected: { kind: 'scale-in', inService: 3 },
    removed: ['c', 'b'],
    reasons: { a: 'floor' },
  },
  {
    name: 'keeps everything when the group is at the floor',
    scenario: { servers: [srv('a', 100), srv('b', 200)], limits: { minServersPerGroup: 2 } },
    expected: { kind: 'steady' },
    reasons: { a: 'floor', b: 'floor' },
  },
  {
    name: 'counts only members in service towards the floor',
    scenario: {
      servers: [srv('a', 100), srv('b', 200), srv('x', 900, { vm_status: 'SHUTOFF' })],
      limits: { minServersPerGroup: 1 },
    },
    expected: { kind: 'scale-in', inService: 2 },
    removed: ['b'],
    reasons: { a: 'floor', x: 'not-in-service' },
  },
  {
    name: 'removes every member with a floor of 0 and no session anywhere',
    scenario: {
      servers: [srv('a', 100), srv('b', 200)],
      limits: { minServersPerGroup: 0 },
    },
    expected: { kind: 'scale-in', usageAfterPercent: 0 },
    removed: ['b', 'a'],
  },
  {
    name: 'keeps the last member when sessions remain on members out of service',
    scenario: {
      servers: [srv('a', 100), srv('b', 200), busy('m', 1, { maintain_status: true })],
      limits: { minServersPerGroup: 0 },
    },
    expected: { kind: 'scale-in', usageAfterPercent: 50 },
    removed: ['b'],
    reasons: { a: 'anti-flap' },
  },
  {
    name: 'removes no more than maxRemovalsPerGroup',
    scenario: {
      servers: [srv('a', 100), srv('b', 200), srv('c', 300), srv('d', 400), srv('e', 500)],
      limits: { minServersPerGroup: 0, maxRemovalsPerGroup: 2 },
    },
    expected: { kind: 'scale-in' },
    removed: ['e', 'd'],
    reasons: { a: 'group-cap', b: 'group-cap', c: 'group-cap' },
  },
  {
    name: 'removes nothing with a group cap of 0',
    scenario: { servers: [srv('a', 100), srv('b', 200)], limits: { maxRemovalsPerGroup: 0 } },
    expected: { kind: 'steady' },
    reasons: { a: 'floor', b: 'group-cap' },
  },
  {
    name: 'stops before usage after removal reaches the threshold (anti-flap)',
    scenario: {
      group: group({ scaling_policy: policy(50) }),
      servers: [busy('a', 2), srv('b', 300), srv('c', 200), srv('d', 100)],
    },
    expected: { kind: 'scale-in', usagePercent: 25, usageAfterPercent: 100 / 3 },
    removed: ['b'],
    reasons: { c: 'anti-flap', d: 'anti-flap', a: 'busy' },
  },
  {
    name: 'removes while usage after removal stays strictly below the threshold',
    scenario: {
      group: group({ scaling_policy: policy(34) }),
      servers: [busy('a', 2), srv('b', 300), srv('c', 200), srv('d', 100)],
    },
    expected: { kind: 'scale-in', usageAfterPercent: 100 / 3 },
    removed: ['b'],
  },
  {
    name: 'is steady without idle members',
    scenario: { servers: [busy('a', 1), srv('b', 10)] },
    expected: { kind: 'steady', thresholdPercent: 80 },
    reasons: { a: 'busy', b: 'recently-used' },
  },
  {
    name: 'is steady with no members at all',
    scenario: { servers: [] },
    expected: { kind: 'steady', inService: 0, usagePercent: 0, members: [] },
  },
  {
    name: 'removes nothing when the session query failed',
    scenario: { servers: [srv('a', 600), srv('b', 600)], sessions: { error: 'HTTP 500' } },
    expected: { kind: 'steady' },
    reasons: { a: 'unknown-activity', b: 'unknown-activity' },
  },
  {
    name: 'uses shrink_after_session_idle_minutes as the idle threshold',
    scenario: {
      group: group({ scaling_policy: policy(80, {}, 120) }),
      servers: [srv('a', 120), srv('b', 119), srv('c', 500)],
    },
    expected: { kind: 'scale-in' },
    removed: ['c', 'a'],
    reasons: { b: 'recently-used' },
  },
  {
    name: 'keeps a member whose session is active',
    scenario: {
      servers: [srv('a', 600), srv('b', 600)],
      sessions: [sessionFactory({ machine_name: 'M-b', session_state: 'Disconnected' })],
    },
    expected: { kind: 'scale-in' },
    removed: ['a'],
    reasons: { b: 'active-session' },
  },
  {
    name: 'keeps members protected by tag, freeze or job',
    scenario: {
      servers: [
        srv('a', 600, { tags: [{ key: PROTECT }] }),
        srv('b', 600, { freeze: [{ effect: 2 }] }),
        srv('c', 600, { job_status: 'WAITING' }),
        srv('d', 600),
      ],
      limits: { minServersPerGroup: 0 },
    },
    expected: { kind: 'scale-in' },
    removed: ['d'],
    reasons: { a: 'protected', b: 'freeze-protected', c: 'job-running' },
  },
];

/** An in-use session on a machine that is no member, with only the keys given. */
const stray = (keys: Partial<SessionInfo>, state = 'Active'): SessionInfo => ({
  ...omit(
    sessionFactory({ id: 'ses-stray', session_state: state, end_time: null }),
    'machine_name',
    'vm_ip',
  ),
  ...keys,
});

// docs/huawei-api.md, "Capacity of one server": is_vdi → 1; otherwise
// product_info.sessions (at least 1), never raised by extra_session_size.
const capacityRows: Row[] = [
  {
    name: 'takes s as 1 for an is_vdi group whatever product_info.sessions says',
    scenario: {
      group: group({ is_vdi: true, product_info: { sessions: 4 } }),
      servers: [busy('a', 1), srv('b', 5)],
    },
    expected: { sessionsPerServer: 1, usagePercent: 50 },
  },
  {
    name: 'reads product_info.sessions when is_vdi is false',
    scenario: {
      group: group({ is_vdi: false, product_info: { sessions: 4 } }),
      servers: [busy('a', 1), srv('b', 5)],
    },
    expected: { sessionsPerServer: 4, usagePercent: 12.5 },
  },
  ...(['CPU', 'GPU', 'NPU'] as const).map(
    (type): Row => ({
      name: `does not add extra_session_size of type ${type} to s (undocumented: usage stays higher)`,
      scenario: {
        group: group({
          product_info: { sessions: 2 },
          extra_session_size: 8,
          extra_session_type: type,
        }),
        servers: [busy('a', 1), srv('b', 5)],
      },
      expected: { sessionsPerServer: 2, usagePercent: 25 },
    }),
  ),
  {
    name: 'keeps an idle server an is_vdi group needs below the threshold',
    scenario: {
      group: group({ is_vdi: true, product_info: { sessions: 10 }, scaling_policy: policy(60) }),
      servers: [busy('a', 1), srv('b', 600)],
      limits: { minServersPerGroup: 0 },
    },
    expected: { kind: 'steady', sessionsPerServer: 1, usagePercent: 50 },
    reasons: { b: 'anti-flap' },
  },
];

const joinRows: Row[] = [
  {
    name: 'keeps a server whose live session joins it only by machine_sid',
    scenario: {
      servers: [srv('a', 600, { sid: 'S-A' }), srv('b', 600, { sid: 'S-B' })],
      sessions: [stray({ machine_name: 'WIN-A', machine_sid: 'S-A' })],
      limits: { minServersPerGroup: 0 },
    },
    expected: { kind: 'scale-in' },
    removed: ['b'],
    reasons: { a: 'active-session' },
  },
  {
    name: 'keeps a server whose live session joins it only by vm_ip',
    scenario: {
      servers: [
        srv('a', 600, { host_address: [{ addr: '10.0.0.5' }, { addr: '10.0.1.5' }] }),
        srv('b', 600, { host_address: [{ addr: '10.0.0.6' }] }),
      ],
      sessions: [stray({ vm_ip: '10.0.1.5' }, 'Disconnected')],
      limits: { minServersPerGroup: 0 },
    },
    expected: { kind: 'scale-in' },
    removed: ['b'],
    reasons: { a: 'active-session' },
  },
  {
    name: 'takes the last activity of a session joined by sid',
    scenario: {
      servers: [srv('a', 600, { sid: 'S-A' })],
      sessions: [{ ...stray({ machine_sid: 'S-A' }, 'SignedOut'), end_time: ago(10) }],
      limits: { minServersPerGroup: 0 },
    },
    expected: { kind: 'steady' },
    reasons: { a: 'recently-used' },
  },
  ...(['Active', 'Disconnected', 'AppcInit', 'Hibernating'] as const).map(
    (state): Row => ({
      name: `holds every removal for an unmatched session in state ${state}`,
      scenario: {
        servers: [srv('a', 600), srv('b', 600)],
        sessions: [stray({ machine_name: 'WIN-GONE', vm_ip: '10.9.9.9' }, state)],
        limits: { minServersPerGroup: 0 },
      },
      expected: {
        kind: 'steady',
        hold: {
          reason: 'unmatched-session',
          detail: `session ses-stray (${state}; machine_name WIN-GONE, machine_sid missing, vm_ip 10.9.9.9) matches no member`,
        },
      },
      removed: [],
      reasons: { a: 'unmatched-session', b: 'unmatched-session' },
    }),
  ),
  ...(['SignedOut', 'InitFail'] as const).map(
    (state): Row => ({
      name: `ignores an unmatched session in the ended state ${state}`,
      scenario: {
        servers: [srv('a', 600), srv('b', 600)],
        sessions: [{ ...stray({ machine_name: 'WIN-GONE' }, state), end_time: ago(5) }],
        limits: { minServersPerGroup: 0 },
      },
      expected: { kind: 'scale-in' },
      removed: ['a', 'b'],
    }),
  ),
  {
    name: 'still recommends a scale-out while removals are held',
    scenario: {
      group: group({ scaling_policy: policy(50) }),
      servers: [busy('a', 2), srv('b', 600)],
      sessions: [stray({ machine_name: 'WIN-GONE' })],
    },
    expected: { kind: 'scale-out', hold: { reason: 'unmatched-session' } },
    reasons: { b: 'anti-flap' },
  },
  {
    name: 'holds nothing when the session query failed (every member is unknown already)',
    scenario: { servers: [srv('a', 600)], sessions: { error: 'HTTP 503' } },
    expected: { kind: 'steady' },
    reasons: { a: 'unknown-activity' },
  },
];

const taskRows: Row[] = [
  {
    name: 'keeps a server with a running task and removes the idle one',
    scenario: {
      servers: [srv('a', 600, { task_status: 'installing_app' }), srv('b', 600)],
      limits: { minServersPerGroup: 0 },
    },
    expected: { kind: 'scale-in' },
    removed: ['b'],
    reasons: { a: 'task-running' },
  },
  {
    name: 'keeps servers with an undocumented job_status, freeze effect or status',
    scenario: {
      servers: [
        srv('a', 600, { job_status: 'PAUSED' }),
        srv('b', 600, { freeze: [{ effect: 7 }] }),
        srv('c', 600, { status: 'RECOVERING' }),
        srv('d', 600),
      ],
      limits: { minServersPerGroup: 0 },
    },
    expected: { kind: 'scale-in' },
    removed: ['d'],
    reasons: { a: 'job-running', b: 'freeze-protected', c: 'not-in-service' },
  },
  {
    name: 'carries scaling_policy_by_resource into the decision',
    scenario: {
      group: group({
        scaling_policy: policy(80, {
          scaling_policy_by_resource: { cpu_usage_threshold: 70, gpu_usage_threshold: 90 },
        }),
      }),
      servers: [busy('a', 1)],
    },
    expected: { kind: 'steady', resourceThresholds: { cpuPercent: 70, gpuPercent: 90 } },
  },
];

describe('evaluateGroup', () => {
  it.each([...skipRows, ...ruleRows, ...capacityRows, ...joinRows, ...taskRows])(
    '$name',
    ({ scenario, expected, removed, reasons = {} }) => {
      const decision = evaluateGroup(input(scenario));
      expect(decision).toMatchObject(expected);
      if (removed !== undefined) expect(removedIds(decision)).toEqual(removed);
      for (const [id, kind] of Object.entries(reasons)) {
        expect(reasonOf(decision, id)?.kind).toBe(kind);
      }
    },
  );

  it.each(invalidPolicyRows)(
    'skips a policy with %s as invalid-policy naming the field',
    (_name, scaling_policy, field) => {
      const decision = evaluateGroup(input({ group: group({ scaling_policy }) }));
      expect(decision).toMatchObject({ kind: 'skip', reason: 'invalid-policy' });
      expect(decision.kind === 'skip' ? decision.detail : '').toContain(field);
    },
  );

  it('names every invalid field of a policy', () => {
    const bad = policy(0, { max_scaling_amount: 0, single_expansion_count: 0 }, 0);
    const decision = evaluateGroup(input({ group: group({ scaling_policy: bad }) }));
    expect(decision.kind === 'skip' ? decision.detail?.split('; ') : []).toEqual([
      'scaling_policy.max_scaling_amount: must be 1–100',
      'scaling_policy.single_expansion_count: must be 1–10',
      'scaling_policy.scaling_policy_by_session.session_usage_threshold: must be 1–100',
      'scaling_policy.scaling_policy_by_session.shrink_after_session_idle_minutes: must be 5–120',
    ]);
  });

  it.each(validBoundaryPolicies)('accepts a policy with %s', (_name, scaling_policy) => {
    const decision = evaluateGroup(
      input({ group: group({ scaling_policy }), servers: [srv('a', 600)] }),
    );
    expect(decision.kind).not.toBe('skip');
  });

  it('gives every member one verdict, sorted by id, removed ones with idle', () => {
    const decision = evaluateGroup(
      input({ servers: [srv('c', 600), busy('a', 1), srv('b', 10), srv('d', 700)] }),
    );
    expect(decision.members.map((m) => [m.serverId, m.action, m.reason.kind])).toEqual([
      ['a', 'keep', 'busy'],
      ['b', 'keep', 'recently-used'],
      ['c', 'remove', 'idle'],
      ['d', 'remove', 'idle'],
    ]);
  });

  it('describes each removal with its instance, machine and idle minutes', () => {
    const decision = evaluateGroup(
      input({ servers: [srv('a', 45, { instance_id: 'i-a' }), busy('b', 1)] }),
    );
    expect(decision).toMatchObject({
      kind: 'scale-in',
      remove: [{ serverId: 'a', instanceId: 'i-a', machineName: 'M-a', idleMinutes: 45 }],
    });
  });

  it('never throws on limits that are not numbers and then removes nothing', () => {
    const decision = evaluateGroup(
      input({
        servers: [srv('a', 600), srv('b', 600)],
        limits: { minServersPerGroup: Number.NaN, maxRemovalsPerGroup: Number.NaN },
      }),
    );
    expect(decision.kind).toBe('steady');
  });
});

describe('evaluateRemoval', () => {
  const servers = [busy('a', 1), srv('b', 600), srv('c', 300), srv('d', 100)];

  it('allows removing an idle member that keeps the floor and the threshold', () => {
    const verdict = evaluateRemoval({ ...input({ servers }), serverId: 'c' });
    expect(verdict).toMatchObject({
      allowed: true,
      removal: { serverId: 'c', machineName: 'M-c', idleMinutes: 300 },
      decision: { kind: 'scale-in' },
    });
  });

  it('allows a member the group decision holds back only by rank', () => {
    const verdict = evaluateRemoval({
      ...input({ servers, limits: { maxRemovalsPerGroup: 1 } }),
      serverId: 'd',
    });
    expect(reasonOf(verdict.decision, 'd')?.kind).toBe('group-cap');
    expect(verdict.allowed).toBe(true);
  });

  it.each<[string, Scenario, string, RegExp]>([
    ['a busy member', { servers }, 'a', /not idle: 1 session\(s\) in use/],
    [
      'an idle member while an in-use session matches no member',
      { servers, sessions: [stray({ machine_name: 'WIN-GONE' })] },
      'b',
      /holds its removals \(unmatched-session: session ses-stray/,
    ],
    [
      'a member with a running task',
      { servers: [...servers, srv('e', 600, { task_status: 'deleting' })] },
      'e',
      /not idle: task deleting running/,
    ],
    [
      'a recently used member',
      { servers: [...servers, srv('e', 5)] },
      'e',
      /not idle: used 5\.0 min ago/,
    ],
    ['a member of no group', { servers }, 'zz', /not a member/],
    [
      'a member of a skipped group',
      { servers, group: group({ scaling_policy: null }) },
      'b',
      /skipped \(policy-disabled/,
    ],
    [
      'a member of a group scaling out',
      { servers: [busy('a', 2), srv('b', 600)], group: group({ scaling_policy: policy(50) }) },
      'b',
      /scaling out/,
    ],
    [
      'a member whose removal breaks the floor',
      { servers: [srv('b', 600), srv('c', 600)], limits: { minServersPerGroup: 2 } },
      'b',
      /below the floor of 2/,
    ],
    [
      'a member whose removal brings usage to the threshold',
      { servers: [busy('a', 2), srv('b', 600)], group: group({ scaling_policy: policy(100) }) },
      'b',
      /not below the threshold of 100%/,
    ],
    [
      'any member when the group cap is 0',
      { servers, limits: { maxRemovalsPerGroup: 0 } },
      'b',
      /cap/,
    ],
    [
      'a member when sessions are unknown',
      { servers, sessions: { error: 'timeout' } },
      'b',
      /activity unknown: session query failed: timeout/,
    ],
  ])('refuses %s', (_name, scenario, serverId, reason) => {
    const verdict = evaluateRemoval({ ...input(scenario), serverId });
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed ? '' : verdict.reason).toMatch(reason);
  });
});
