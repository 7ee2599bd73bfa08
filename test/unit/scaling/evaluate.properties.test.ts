import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  AppServer,
  ServerGroup,
  SessionInfo,
  SessionState,
} from '../../../lib/huawei/schemas.ts';
import { nameSkippedMembers } from '../../../lib/removal/plan/skipped-members.ts';
import { VERDICT_KINDS } from '../../../lib/report/verdicts.ts';
import { HOLD_UNTIL_TAG } from '../../../lib/scaling/churn.ts';
import { evaluateGroup, evaluateRemoval } from '../../../lib/scaling/evaluate.ts';
import { assessMember } from '../../../lib/scaling/idle.ts';
import { countPlannedRemovals, planRemovals } from '../../../lib/scaling/plan.ts';
import type { Decision, EvaluateGroupInput } from '../../../lib/scaling/types.ts';
import {
  isoAt,
  serverFactory,
  serverGroupFactory,
  sessionFactory,
} from '../../helpers/factories.ts';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const MINUTE = 60_000;
const PROTECT = 'aps-autoscaler:protect';
const HOLD = { key: HOLD_UNTIL_TAG, value: isoAt(NOW + 60 * MINUTE) };
const GROUP_ID = 'sg-prop';
const RUNS = { numRuns: 1000, seed: 20_240_601 } as const;
const BUSY: ReadonlySet<string> = new Set(['Active', 'Disconnected', 'AppcInit']);
const ENDED: ReadonlySet<string> = new Set(['SignedOut', 'InitFail']);

// Groups are generated as specs of plain numbers, so the test can judge
// idleness from the spec (an oracle) instead of re-reading the strings.
type TimeSpec = { minutesAgo: number } | 'bad' | 'absent';
type TimeField = 'end_time' | 'last_update_status_time' | 'start_time';

interface ServerSpec {
  /** `RECOVERING` stands for a value the SDK does not document. */
  status: 'REGISTERED' | 'MAINTAINING' | 'STOPPED' | 'RECOVERING';
  vmStatus: 'ACTIVE' | 'SHUTOFF' | 'THAWING' | null;
  maintain: boolean | undefined;
  sessionCount: number | undefined;
  /** `PAUSED` and `''` stand for undocumented values. */
  job: 'SUCCESS' | 'FAILED' | 'WAITING' | 'RUNNING' | 'PAUSED' | '' | null;
  /** `null` (JSON), `'null'`, `''` and undefined mean no task. */
  task: string | null | undefined;
  /** 0 and 4 stand for undocumented effects. */
  freezeEffect: 0 | 1 | 2 | 3 | 4 | undefined;
  protect: boolean;
  /** An `aps-autoscaler:hold-until` tag an hour after now. */
  hold?: boolean;
  autoCreate: boolean;
  created: TimeSpec;
  hasMachine: boolean;
  /** Whether the server has a `sid` and an address (the other join keys). */
  hasOtherKeys: boolean;
}

/** The one key a session carries to join its server by. */
type JoinKey = 'name' | 'sid' | 'ip';

interface SessionSpec {
  /** A member's index; the member count itself stands for a server that is not a member. */
  server: number;
  key: JoinKey;
  state: SessionState | undefined;
  field: TimeField | 'none';
  time: TimeSpec;
  noise: number;
}

interface GroupSpec {
  servers: ServerSpec[];
  sessions: SessionSpec[];
  sessionsFailed: boolean;
  threshold: number | undefined;
  shrink: number;
  single: number;
  max: number;
  perServer: number | undefined;
  groupProtected: boolean;
  /** An `aps-autoscaler:hold-until` tag an hour after now on the group. */
  groupHold?: boolean;
  /** MIN_SERVER_AGE_MINUTES and SCALE_OUT_COOLDOWN_MINUTES; absent: 0. */
  minAge?: number;
  cooldown?: number;
  min: number;
  cap: number;
}

const minutes = fc.integer({ min: -10, max: 400 });

/** Mostly `usual`, now and then one of `others`: enough normal servers to remove. */
function mostly<T>(usual: T, ...others: T[]): fc.Arbitrary<T> {
  return fc.oneof(
    { weight: 11, arbitrary: fc.constant(usual) },
    { weight: 1, arbitrary: fc.constantFrom(...others) },
  );
}

const timeSpec = (badWeight: number, absentWeight: number): fc.Arbitrary<TimeSpec> =>
  fc.oneof(
    { weight: 20, arbitrary: minutes.map((m) => ({ minutesAgo: m })) },
    { weight: badWeight, arbitrary: fc.constant<TimeSpec>('bad') },
    { weight: absentWeight, arbitrary: fc.constant<TimeSpec>('absent') },
  );

const serverSpec: fc.Arbitrary<ServerSpec> = fc.record({
  status: mostly<ServerSpec['status']>('REGISTERED', 'MAINTAINING', 'STOPPED', 'RECOVERING'),
  vmStatus: mostly<ServerSpec['vmStatus']>('ACTIVE', 'SHUTOFF', 'THAWING', null),
  maintain: mostly<boolean | undefined>(false, true, undefined),
  sessionCount: fc.oneof(
    { weight: 8, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  job: mostly<ServerSpec['job']>('SUCCESS', 'FAILED', 'WAITING', 'RUNNING', 'PAUSED', '', null),
  task: mostly<ServerSpec['task']>('null', null, undefined, '', 'installing_app', 'RESHAPING'),
  freezeEffect: mostly<ServerSpec['freezeEffect']>(undefined, 0, 1, 2, 3, 4),
  protect: mostly(false, true),
  hold: mostly(false, true),
  autoCreate: fc.boolean(),
  created: timeSpec(1, 1),
  hasMachine: mostly(true, false),
  hasOtherKeys: mostly(true, false),
});

const sessionSpec = (servers: number): fc.Arbitrary<SessionSpec> =>
  fc.record({
    server: fc.integer({ min: 0, max: servers }),
    key: fc.constantFrom<JoinKey>('name', 'name', 'name', 'name', 'sid', 'ip'),
    state: fc.oneof(
      { weight: 8, arbitrary: fc.constant<SessionState | undefined>('SignedOut') },
      {
        weight: 5,
        arbitrary: fc.constantFrom<SessionState | undefined>(
          'InitFail',
          'Active',
          'Disconnected',
          'AppcInit',
          undefined,
        ),
      },
    ),
    field: fc.constantFrom<TimeField | 'none'>(
      ...Array<TimeField>(6).fill('end_time'),
      'last_update_status_time',
      'last_update_status_time',
      'start_time',
      'start_time',
      'none',
    ),
    time: timeSpec(1, 0),
    noise: minutes,
  });

const groupSpec: fc.Arbitrary<GroupSpec> = fc
  .array(serverSpec, { maxLength: 12 })
  .chain((servers) =>
    fc.record({
      servers: fc.constant(servers),
      sessions: fc.array(sessionSpec(servers.length), { maxLength: 16 }),
      sessionsFailed: mostly(false, true),
      threshold: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined, freq: 4 }),
      shrink: fc.integer({ min: 5, max: 120 }),
      single: fc.integer({ min: 1, max: 10 }),
      max: fc.integer({ min: 1, max: 100 }),
      perServer: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined, freq: 5 }),
      groupProtected: mostly(false, true),
      groupHold: mostly(false, true),
      minAge: mostly(0, 30, 200),
      cooldown: mostly(0, 60, 300),
      min: fc.integer({ min: 0, max: 4 }),
      cap: fc.integer({ min: 0, max: 6 }),
    }),
  );

const idleServer: ServerSpec = {
  status: 'REGISTERED',
  vmStatus: 'ACTIVE',
  maintain: false,
  sessionCount: 0,
  job: 'SUCCESS',
  task: 'null',
  freezeEffect: undefined,
  protect: false,
  autoCreate: false,
  created: { minutesAgo: 300 },
  hasMachine: true,
  hasOtherKeys: true,
};

/**
 * Groups where the anti-flap rule binds: idle servers beside busy ones, and
 * a threshold above today's usage but at most the usage once every idle
 * server is gone, so the rule (not the floor or the cap) decides how many go.
 */
const antiFlapSpec: fc.Arbitrary<GroupSpec> = fc
  .integer({ min: 1, max: 6 })
  .chain((perServer) =>
    fc.record({
      idle: fc.integer({ min: 1, max: 8 }),
      // A busy server holds at most what it can: usage stays ≤ 100 %.
      busy: fc.array(fc.integer({ min: 1, max: perServer }), { minLength: 1, maxLength: 6 }),
      perServer: fc.constant(perServer),
    }),
  )
  .chain(({ idle, busy, perServer }) => {
    const used = busy.reduce((a, b) => a + b, 0);
    const low = Math.floor((100 * used) / ((idle + busy.length) * perServer)) + 1;
    const high = Math.min(100, Math.floor((100 * used) / (busy.length * perServer)));
    const threshold =
      low <= high ? fc.integer({ min: low, max: high }) : fc.integer({ min: 1, max: 100 });
    return fc.record({
      servers: fc.shuffledSubarray(
        [
          ...Array.from({ length: idle }, () => idleServer),
          ...busy.map((count) => ({ ...idleServer, sessionCount: count })),
        ],
        { minLength: idle + busy.length, maxLength: idle + busy.length },
      ),
      sessions: fc.constant([]),
      sessionsFailed: fc.constant(false),
      threshold,
      shrink: fc.integer({ min: 5, max: 120 }),
      single: fc.constant(1),
      max: fc.constant(100),
      perServer: fc.constant<number | undefined>(perServer),
      groupProtected: fc.constant(false),
      min: fc.constant(0),
      cap: fc.constant(12),
    });
  });

function serverId(i: number): string {
  // A permutation of 0..999, so id order differs from generation order.
  return `srv-${String((i * 919) % 1000).padStart(3, '0')}`;
}

function timeText(time: TimeSpec, now: number): string | undefined {
  if (time === 'absent') return undefined;
  if (time === 'bad') return 'not-a-time';
  return isoAt(now - time.minutesAgo * MINUTE);
}

function buildServer(spec: ServerSpec, i: number): AppServer {
  const server: AppServer = serverFactory({
    id: serverId(i),
    machine_name: `APS-${i}`,
    server_group_id: GROUP_ID,
    instance_id: `ins-${i}`,
    status: spec.status,
    vm_status: spec.vmStatus,
    job_status: spec.job,
    sid: `S-1-5-21-${i}`,
    host_address: [{ addr: `10.0.${i}.1`, version: 4 }],
    freeze: spec.freezeEffect === undefined ? [] : [{ effect: spec.freezeEffect }],
    tags: [
      spec.protect ? { key: PROTECT, value: '1' } : { key: 'team', value: 'x' },
      ...(spec.hold === true ? [HOLD] : []),
    ],
    scaling_auto_create: spec.autoCreate,
  });
  if (spec.maintain === undefined) delete server.maintain_status;
  else server.maintain_status = spec.maintain;
  if (spec.sessionCount === undefined) delete server.session_count;
  else server.session_count = spec.sessionCount;
  const created = timeText(spec.created, NOW);
  if (created === undefined) delete server.create_time;
  else server.create_time = created;
  if (!spec.hasMachine) delete server.machine_name;
  if (!spec.hasOtherKeys) {
    delete server.sid;
    delete server.host_address;
  }
  if (spec.task === undefined) delete server.task_status;
  else server.task_status = spec.task;
  return server;
}

const FIELDS: readonly TimeField[] = ['end_time', 'last_update_status_time', 'start_time'];

function buildSession(spec: SessionSpec, j: number): SessionInfo {
  const session = sessionFactory({ id: `ses-${String(j).padStart(3, '0')}` });
  delete session.machine_name;
  delete session.machine_sid;
  delete session.vm_ip;
  if (spec.key === 'name') session.machine_name = `APS-${spec.server}`;
  if (spec.key === 'sid') session.machine_sid = `S-1-5-21-${spec.server}`;
  if (spec.key === 'ip') session.vm_ip = `10.0.${spec.server}.1`;
  if (spec.state === undefined) delete session.session_state;
  else session.session_state = spec.state;
  // Fields preferred over the chosen one are null; less preferred ones carry
  // an unrelated time the evaluation must ignore.
  const chosen = spec.field === 'none' ? FIELDS.length : FIELDS.indexOf(spec.field);
  FIELDS.forEach((field, k) => {
    if (k < chosen) session[field] = null;
    else if (k === chosen) session[field] = timeText(spec.time, NOW) ?? null;
    else session[field] = isoAt(NOW - spec.noise * MINUTE);
  });
  return session;
}

function buildInput(spec: GroupSpec, now = NOW): EvaluateGroupInput {
  const group: ServerGroup = serverGroupFactory({
    id: GROUP_ID,
    tags: [...(spec.groupProtected ? [{ key: PROTECT }] : []), ...(spec.groupHold ? [HOLD] : [])],
    product_info: spec.perServer === undefined ? {} : { sessions: spec.perServer },
    scaling_policy: {
      enable: true,
      max_scaling_amount: spec.max,
      single_expansion_count: spec.single,
      scaling_policy_by_session: {
        ...(spec.threshold === undefined ? {} : { session_usage_threshold: spec.threshold }),
        shrink_after_session_idle_minutes: spec.shrink,
      },
    },
  });
  return {
    group,
    servers: spec.servers.map(buildServer),
    sessions: spec.sessionsFailed ? { error: 'HTTP 503' } : spec.sessions.map(buildSession),
    now,
    limits: {
      minServersPerGroup: spec.min,
      maxRemovalsPerGroup: spec.cap,
      protectTagKey: PROTECT,
      churn: { minServerAgeMinutes: spec.minAge ?? 0, scaleOutCooldownMinutes: spec.cooldown ?? 0 },
    },
  };
}

const inService = (s: ServerSpec): boolean =>
  s.status === 'REGISTERED' && s.vmStatus === 'ACTIVE' && s.maintain === false;

/** Whether a session joins server `i` of the spec (it carries one key only). */
function joins(spec: GroupSpec, session: SessionSpec, i: number): boolean {
  const s = spec.servers[i];
  if (session.server !== i || s === undefined) return false;
  return session.key === 'name' ? s.hasMachine : s.hasOtherKeys;
}

const inUse = (session: SessionSpec): boolean =>
  session.state === undefined || !ENDED.has(session.state);

/** Whether an in-use session joins no member (then nothing may be removed). */
function oracleHold(spec: GroupSpec): boolean {
  // A scale-out (an auto-created member) within the cooldown holds removals.
  const cooldown = spec.cooldown ?? 0;
  const recent = spec.servers.some(
    (s) =>
      cooldown > 0 &&
      s.autoCreate &&
      typeof s.created === 'object' &&
      s.created.minutesAgo < cooldown,
  );
  if (recent) return true;
  if (spec.sessionsFailed) return false;
  return spec.sessions.some(
    (session) => inUse(session) && !spec.servers.some((_, i) => joins(spec, session, i)),
  );
}

const NO_TASK: ReadonlySet<unknown> = new Set([undefined, null, '', 'null']);

/** When server `i` was last active (epoch ms) if it is idle-eligible, judged from the spec. */
function oracleLastActivity(spec: GroupSpec, i: number): number | undefined {
  const s = spec.servers[i]!;
  const frozen = s.freezeEffect !== undefined && s.freezeEffect !== 1 && s.freezeEffect !== 3;
  if (!inService(s) || s.protect || frozen || s.hold === true) return undefined;
  const jobDone = s.job === null || s.job === 'SUCCESS' || s.job === 'FAILED';
  if (!jobDone || !NO_TASK.has(s.task) || s.sessionCount !== 0) return undefined;
  const keyless = !s.hasMachine && !s.hasOtherKeys;
  if (spec.sessionsFailed || keyless || s.created === 'bad') return undefined;
  const minAge = spec.minAge ?? 0;
  if (minAge > 0 && typeof s.created === 'object' && s.created.minutesAgo < minAge)
    return undefined;
  let last = s.created === 'absent' ? undefined : NOW - s.created.minutesAgo * MINUTE;
  for (const session of spec.sessions.filter((x) => joins(spec, x, i))) {
    if (session.state === undefined || !ENDED.has(session.state)) return undefined;
    if (session.field === 'none' || typeof session.time !== 'object') return undefined;
    const at = NOW - session.time.minutesAgo * MINUTE;
    if (last === undefined || at > last) last = at;
  }
  return last;
}

function oracle(spec: GroupSpec, now = NOW) {
  const n = spec.servers.filter(inService).length;
  const used = spec.servers.reduce((sum, s) => sum + (s.sessionCount ?? 0), 0);
  const perServer = Math.max(1, spec.perServer ?? 1);
  const idle = spec.servers.flatMap((_, i) => {
    const last = oracleLastActivity(spec, i);
    return last !== undefined && now - last >= spec.shrink * MINUTE
      ? [{ id: serverId(i), last }]
      : [];
  });
  idle.sort((a, b) => a.last - b.last || (a.id < b.id ? -1 : 1));
  const belowAfter = (k: number): boolean =>
    spec.threshold === undefined ||
    (n - k > 0 ? (100 * used) / ((n - k) * perServer) < spec.threshold : used === 0);
  const scaleOut =
    spec.threshold !== undefined && n > 0 && (100 * used) / (n * perServer) >= spec.threshold;
  const hold = oracleHold(spec);
  let k = 0;
  while (
    !scaleOut &&
    !hold &&
    k < idle.length &&
    k + 1 <= spec.cap &&
    n - (k + 1) >= spec.min &&
    belowAfter(k + 1)
  ) {
    k++;
  }
  return { n, used, perServer, idle, scaleOut, hold, k };
}

const removedIds = (d: Decision): string[] =>
  d.kind === 'scale-in' ? d.remove.map((r) => r.serverId) : [];

const evaluable = (spec: GroupSpec): boolean => !spec.groupProtected && spec.groupHold !== true;

describe('evaluateGroup properties', () => {
  it('never removes a server with sessions or an active, disconnected or initialising session', () => {
    fc.assert(
      fc.property(groupSpec, (spec) => {
        const input = buildInput(spec);
        const sessions = Array.isArray(input.sessions) ? input.sessions : [];
        for (const id of removedIds(evaluateGroup(input))) {
          const server = input.servers.find((s) => s.id === id)!;
          expect(server.session_count).toBe(0);
          const addrs = (server.host_address ?? []).map((a) => a.addr);
          const live = sessions.filter(
            (x) =>
              ((x.machine_name !== undefined && x.machine_name === server.machine_name) ||
                (x.machine_sid !== undefined && x.machine_sid === server.sid) ||
                (x.vm_ip !== undefined && addrs.includes(x.vm_ip))) &&
              BUSY.has(x.session_state ?? ''),
          );
          expect(live).toEqual([]);
        }
      }),
      RUNS,
    );
  });

  it('never leaves fewer than the floor in service', () => {
    fc.assert(
      fc.property(groupSpec, (spec) => {
        const removed = removedIds(evaluateGroup(buildInput(spec))).length;
        if (removed > 0) expect(oracle(spec).n - removed).toBeGreaterThanOrEqual(spec.min);
      }),
      RUNS,
    );
  });

  it('never removes more than maxRemovalsPerGroup', () => {
    fc.assert(
      fc.property(groupSpec, (spec) => {
        expect(removedIds(evaluateGroup(buildInput(spec))).length).toBeLessThanOrEqual(spec.cap);
      }),
      RUNS,
    );
  });

  it('keeps usage after removal strictly below the threshold', () => {
    fc.assert(
      fc.property(groupSpec, (spec) => {
        const decision = evaluateGroup(buildInput(spec));
        if (decision.kind !== 'scale-in' || spec.threshold === undefined) return;
        const { n, used, perServer } = oracle(spec);
        const left = n - decision.remove.length;
        if (left === 0) expect(used).toBe(0);
        else expect((100 * used) / (left * perServer)).toBeLessThan(spec.threshold);
        expect(decision.usageAfterPercent).toBeLessThan(spec.threshold);
      }),
      RUNS,
    );
  });

  it('stops at the anti-flap bound: usage after removal stays below the threshold, one more would reach it', () => {
    let bound = 0;
    let scaledIn = 0;
    const runs = 1000;
    fc.assert(
      fc.property(antiFlapSpec, (spec) => {
        const decision = evaluateGroup(buildInput(spec));
        const threshold = spec.threshold as number;
        const { n, used, perServer, idle } = oracle(spec);
        const removed = removedIds(decision).length;
        const held = decision.members.filter((m) => m.reason.kind === 'anti-flap').length;
        if (decision.kind === 'scale-out' || held === 0) return;
        bound++;
        // Every idle server is either removed or held by the rule (floor 0, cap 12).
        expect(removed + held).toBe(idle.length);
        const left = n - removed;
        // After: strictly below the threshold ...
        expect(100 * used).toBeLessThan(threshold * left * perServer);
        // ... and removing one more would reach it, so the rule (not a limit) stopped here.
        expect(100 * used).toBeGreaterThanOrEqual(threshold * (left - 1) * perServer);
        if (decision.kind === 'scale-in') {
          scaledIn++;
          expect(decision.usageAfterPercent).toBeLessThan(threshold);
          expect(decision.thresholdPercent).toBe(threshold);
        }
      }),
      { numRuns: runs, seed: RUNS.seed },
    );
    // The rule is what most runs exercise, with and without a partial scale-in.
    expect(bound / runs).toBeGreaterThan(0.9);
    expect(scaledIn / runs).toBeGreaterThan(0.3);
    expect(bound - scaledIn).toBeGreaterThan(0.05 * runs);
  });

  it('removes only idle servers', () => {
    fc.assert(
      fc.property(groupSpec, (spec) => {
        const idle = new Set(oracle(spec).idle.map((x) => x.id));
        for (const id of removedIds(evaluateGroup(buildInput(spec)))) {
          expect(idle.has(id)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('removes the largest allowed number of the longest idle servers', () => {
    fc.assert(
      fc.property(groupSpec.filter(evaluable), (spec) => {
        const expected = oracle(spec);
        const decision = evaluateGroup(buildInput(spec));
        expect(decision.kind).toBe(
          expected.scaleOut ? 'scale-out' : expected.k > 0 ? 'scale-in' : 'steady',
        );
        expect(removedIds(decision)).toEqual(expected.idle.slice(0, expected.k).map((x) => x.id));
        expect(decision.inService).toBe(expected.n);
        expect(decision.usedSessions).toBe(expected.used);
      }),
      RUNS,
    );
  });

  it('gives the same decision for the same input, whatever the listing order', () => {
    const shuffled = groupSpec.chain((spec) => {
      const input = buildInput(spec);
      const sessions = Array.isArray(input.sessions) ? input.sessions : [];
      const all = <T>(items: readonly T[]) =>
        fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
      return fc.tuple(fc.constant(input), all(input.servers), all(sessions));
    });
    fc.assert(
      fc.property(shuffled, ([input, servers, sessions]) => {
        const first = evaluateGroup(input);
        expect(evaluateGroup(structuredClone(input))).toEqual(first);
        const reordered = Array.isArray(input.sessions) ? sessions : input.sessions;
        expect(evaluateGroup({ ...input, servers, sessions: reordered })).toEqual(first);
      }),
      RUNS,
    );
  });

  it('never removes fewer servers as time passes, all else equal', () => {
    fc.assert(
      fc.property(groupSpec, fc.integer({ min: 0, max: 600 }), (spec, laterMinutes) => {
        const before = removedIds(evaluateGroup(buildInput(spec, NOW))).length;
        const later = buildInput(spec, NOW);
        const after = removedIds(evaluateGroup({ ...later, now: NOW + laterMinutes * MINUTE }));
        expect(after.length).toBeGreaterThanOrEqual(before);
      }),
      RUNS,
    );
  });

  it('never throws on arbitrary policies, products and limits', () => {
    const anyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 1, 10, 100, 101));
    const loose = (keys: Record<string, fc.Arbitrary<unknown>>) =>
      fc.oneof(fc.anything(), fc.record(keys, { requiredKeys: [] }));
    const policy = loose({
      enable: fc.oneof(fc.boolean(), fc.anything()),
      max_scaling_amount: fc.oneof(anyNumber, fc.anything()),
      single_expansion_count: fc.oneof(anyNumber, fc.anything()),
      scaling_policy_by_session: loose({
        session_usage_threshold: fc.oneof(anyNumber, fc.anything()),
        shrink_after_session_idle_minutes: fc.oneof(anyNumber, fc.anything()),
      }),
    });
    fc.assert(
      fc.property(
        groupSpec,
        policy,
        fc.anything(),
        anyNumber,
        anyNumber,
        (spec, scaling_policy, product_info, min, cap) => {
          const input = buildInput(spec);
          const group = { ...input.group, scaling_policy, product_info } as unknown as ServerGroup;
          const limits = { ...input.limits, minServersPerGroup: min, maxRemovalsPerGroup: cap };
          const decision = evaluateGroup({ ...input, group, limits });
          expect(['skip', 'scale-out', 'scale-in', 'steady']).toContain(decision.kind);
          if (decision.kind === 'scale-in') {
            const bySession = (
              scaling_policy as { scaling_policy_by_session: Record<string, unknown> }
            ).scaling_policy_by_session;
            const shrink = bySession['shrink_after_session_idle_minutes'];
            expect(Number.isSafeInteger(shrink) && (shrink as number) >= 5).toBe(true);
          }
          const id = input.servers[0]?.id ?? 'none';
          expect(() => evaluateRemoval({ ...input, group, limits, serverId: id })).not.toThrow();
        },
      ),
      RUNS,
    );
  });
});

describe('evaluateRemoval properties', () => {
  it('allows only idle in-service members whose removal keeps the floor', () => {
    fc.assert(
      fc.property(groupSpec, fc.nat(12), (spec, pick) => {
        const input = buildInput(spec);
        const id = input.servers[pick]?.id ?? 'absent';
        const verdict = evaluateRemoval({ ...input, serverId: id });
        if (!verdict.allowed) return;
        const expected = oracle(spec);
        expect(expected.idle.map((x) => x.id)).toContain(id);
        expect(expected.n - 1).toBeGreaterThanOrEqual(spec.min);
        expect(spec.cap).toBeGreaterThanOrEqual(1);
        expect(verdict.decision.kind === 'scale-in' || verdict.decision.kind === 'steady').toBe(
          true,
        );
      }),
      RUNS,
    );
  });
});

describe('planRemovals properties', () => {
  it('never lets a sweep remove more than maxRemovalsPerSweep', () => {
    fc.assert(
      fc.property(
        fc.array(groupSpec, { maxLength: 6 }),
        fc.integer({ min: 0, max: 20 }),
        (specs, cap) => {
          const decisions = specs.map((spec) => evaluateGroup(buildInput(spec)));
          const planned = decisions.reduce((sum, d) => sum + removedIds(d).length, 0);
          const plan = planRemovals(countPlannedRemovals(decisions), { maxRemovalsPerSweep: cap });
          expect(plan.planned).toBe(planned);
          const acted = plan.kind === 'proceed' ? plan.planned : 0;
          expect(acted).toBeLessThanOrEqual(cap);
          expect(plan.kind).toBe(planned > cap ? 'aborted' : 'proceed');
        },
      ),
      RUNS,
    );
  });
});

describe('the group generator', () => {
  it('covers every decision kind and every member reason', () => {
    const kinds = new Map<string, number>();
    const reasons = new Map<string, number>();
    for (const spec of fc.sample(groupSpec, RUNS)) {
      const input = buildInput(spec);
      // As the planner makes it: a skipped group's members named with the skip.
      const decision = nameSkippedMembers(evaluateGroup(input), input.servers);
      kinds.set(decision.kind, (kinds.get(decision.kind) ?? 0) + 1);
      for (const m of decision.members)
        reasons.set(m.reason.kind, (reasons.get(m.reason.kind) ?? 0) + 1);
    }
    for (const kind of ['skip', 'scale-out', 'scale-in', 'steady']) {
      expect(kinds.get(kind) ?? 0).toBeGreaterThanOrEqual(50);
    }
    // Every verdict kind the report page knows (lib/report/verdicts.ts).
    expect([...reasons.keys()].sort()).toEqual([...VERDICT_KINDS].sort());
  });
});

describe('signals of issue 9 (task, job, freeze, unmatched sessions, capacity)', () => {
  const noTask = (v: string) => v !== '' && v !== 'null';
  const undocumentedJob = fc
    .string({ maxLength: 12 })
    .filter((v) => v !== 'SUCCESS' && v !== 'FAILED');
  const undocumentedEffect = fc.integer().filter((e) => e !== 1 && e !== 3);

  it('never calls a server with a task, an unfinished or unknown job, or a blocking freeze idle', () => {
    const signal = fc.oneof(
      fc
        .string({ maxLength: 24 })
        .filter(noTask)
        .map((v) => ({ task_status: v })),
      undocumentedJob.map((v) => ({ job_status: v })),
      undocumentedEffect.map((e) => ({ freeze: [{ effect: 1 }, { effect: e }] })),
    );
    fc.assert(
      fc.property(signal, fc.integer({ min: 5, max: 120 }), (overrides, shrink) => {
        const server = serverFactory({
          id: 'srv-x',
          machine_name: 'APS-X',
          create_time: isoAt(NOW - 1000 * MINUTE),
          ...overrides,
        });
        const reason = assessMember(server, [], NOW, shrink, PROTECT);
        expect(reason.kind).not.toBe('idle');
        const spec = { ...idleServer };
        const input = buildInput({
          servers: [spec, spec],
          sessions: [],
          sessionsFailed: false,
          threshold: undefined,
          shrink,
          single: 1,
          max: 100,
          perServer: undefined,
          groupProtected: false,
          min: 0,
          cap: 12,
        });
        const servers = [{ ...input.servers[0]!, ...overrides }, input.servers[1]!];
        const decision = evaluateGroup({ ...input, servers });
        expect(removedIds(decision)).not.toContain(servers[0]!.id);
        expect(removedIds(decision)).toContain(servers[1]!.id);
      }),
      RUNS,
    );
  });

  it('never removes anything while an in-use session matches no member', () => {
    const strayKey = fc.string({ minLength: 1, maxLength: 8 }).map((v) => `stray-${v}`);
    const inUseState = fc.oneof(
      fc.constantFrom<string | undefined>('Active', 'Disconnected', 'AppcInit', undefined),
      fc.string({ maxLength: 12 }).filter((v) => !ENDED.has(v)),
    );
    const stray = fc.record(
      { machine_name: strayKey, machine_sid: strayKey, vm_ip: strayKey },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(groupSpec, stray, inUseState, fc.nat(12), (spec, keys, state, pick) => {
        const input = buildInput(spec);
        if (!Array.isArray(input.sessions)) return;
        const session: SessionInfo = { id: 'ses-stray', ...keys };
        if (state !== undefined) session.session_state = state;
        const sessions = [...input.sessions, session];
        const decision = evaluateGroup({ ...input, sessions });
        expect(removedIds(decision)).toEqual([]);
        if (decision.kind !== 'skip') {
          expect(decision.hold?.reason).toBe('unmatched-session');
        }
        const id = input.servers[pick]?.id ?? 'absent';
        expect(evaluateRemoval({ ...input, sessions, serverId: id }).allowed).toBe(false);
      }),
      RUNS,
    );
  });

  it('never takes a server to hold more sessions than the documented reading', () => {
    const capacity = fc.record({
      is_vdi: fc.option(fc.boolean(), { nil: undefined }),
      sessions: fc.option(fc.integer({ min: -2, max: 12 }), { nil: undefined }),
      extra_session_size: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
      extra_session_type: fc.option(fc.constantFrom('CPU', 'GPU', 'XPU'), { nil: undefined }),
    });
    fc.assert(
      fc.property(groupSpec.filter(evaluable), capacity, (spec, c) => {
        const input = buildInput(spec);
        const group: ServerGroup = {
          ...input.group,
          product_info: c.sessions === undefined ? {} : { sessions: c.sessions },
        };
        if (c.is_vdi !== undefined) group.is_vdi = c.is_vdi;
        if (c.extra_session_size !== undefined) group.extra_session_size = c.extra_session_size;
        if (c.extra_session_type !== undefined) group.extra_session_type = c.extra_session_type;
        const documented = c.is_vdi === true ? 1 : Math.max(1, c.sessions ?? 1);
        const decision = evaluateGroup({ ...input, group });
        expect(decision.sessionsPerServer).toBeLessThanOrEqual(documented);
        expect(decision.sessionsPerServer).toBe(documented);
        // Paid extra sessions change nothing (undocumented: the reading that removes less).
        const plain = { ...group };
        delete plain.extra_session_size;
        delete plain.extra_session_type;
        expect(decision).toEqual(evaluateGroup({ ...input, group: plain }));
      }),
      RUNS,
    );
  });

  it('gives the same decision for the same input with every new signal present', () => {
    fc.assert(
      fc.property(groupSpec, fc.boolean(), (spec, vdi) => {
        const input = buildInput(spec);
        const group = { ...input.group, is_vdi: vdi };
        const first = evaluateGroup({ ...input, group });
        expect(evaluateGroup(structuredClone({ ...input, group }))).toEqual(first);
      }),
      RUNS,
    );
  });
});
