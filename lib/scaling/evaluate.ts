import type { AppServer, ServerGroup } from '../huawei/schemas.ts';
import { cooldownOf, describeHold, guardMember, holdOf } from './churn.ts';
import { resolveEffectiveSettings } from './effective-settings.ts';
import { assessMember, hasTag, isInService, isSessionQueryFailure } from './idle.ts';
import { checkPolicy, type Gate, sessionsPerServer } from './policy.ts';
import { describeReason } from './reasons.ts';
import { describeUnmatched, joinSessions } from './session-join.ts';
import type {
  AssessedReason,
  Decision,
  DecisionBase,
  EvaluatedBase,
  EvaluateGroupInput,
  HeldReason,
  MemberReason,
  MemberVerdict,
  Removal,
  RemovalVerdict,
  SkipDecision,
} from './types.ts';

function validCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** `100 × used / (n × s)`, 0 when `n` is 0 (the usage % of docs/how-it-decides.md). */
function usagePercent(used: number, n: number, s: number): number {
  return n > 0 ? (100 * used) / (n * s) : 0;
}

/**
 * Whether usage with `remaining` in-service servers stays strictly below
 * `threshold`; with none left, only when no session is in use at all.
 * Compared without division so a boundary is never lost to rounding.
 */
function belowThreshold(used: number, remaining: number, s: number, threshold: number): boolean {
  if (remaining <= 0) return used === 0;
  return 100 * used < threshold * remaining * s;
}

function byId(a: AppServer, b: AppServer): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A reason to distrust the listing itself; the smallest offending id is named. */
function inconsistency(group: ServerGroup, sorted: readonly AppServer[]): string | undefined {
  for (let i = 0; i < sorted.length; i++) {
    const server = sorted[i]!;
    if (i > 0 && sorted[i - 1]!.id === server.id) return `duplicate server id ${server.id}`;
    const owner = server.server_group_id;
    if (owner !== undefined && owner !== group.id) {
      return `server ${server.id} belongs to group ${owner}`;
    }
  }
  return undefined;
}

function gate(input: EvaluateGroupInput, sorted: readonly AppServer[]): Gate {
  if (input.incomplete !== undefined) {
    return { skip: 'incomplete-data', detail: input.incomplete || 'incomplete listing' };
  }
  const conflict = inconsistency(input.group, sorted);
  if (conflict !== undefined) return { skip: 'incomplete-data', detail: conflict };
  if (hasTag(input.group.tags, input.limits.protectTagKey)) {
    return { skip: 'protected', detail: `group tagged ${input.limits.protectTagKey}` };
  }
  const hold = holdOf(input.group.tags, input.now);
  if (hold !== undefined) {
    const held = { skip: 'held' as const, detail: describeHold(hold) };
    return 'unparsed' in hold ? { ...held, unparsed: hold.unparsed } : held;
  }
  if (input.group.server_group_status === false) {
    return { skip: 'group-disabled', detail: 'server_group_status is false' };
  }
  return checkPolicy(input.group);
}

function verdict(
  server: AppServer,
  action: 'keep' | 'remove',
  reason: MemberReason,
): MemberVerdict {
  return {
    serverId: server.id,
    machineName: server.machine_name,
    instanceId: server.instance_id,
    action,
    reason,
  };
}

function removalOf(server: AppServer, idleMinutes: number, logoff?: string[]): Removal {
  const removal: Removal = {
    serverId: server.id,
    instanceId: server.instance_id,
    machineName: server.machine_name,
    idleMinutes,
  };
  if (logoff !== undefined) removal.logoffSessionIds = logoff;
  return removal;
}

/** A finite whole number at least 0; anything else becomes `fallback`. */
function wholeOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.floor(value)) : fallback;
}

/**
 * Evaluates one group against its scaling policy (docs/how-it-decides.md).
 * Pure: no I/O, no clock, never throws on any input.
 *
 * Skip reasons are checked in this order: `incomplete-data` (`input.incomplete`
 * set, a duplicate server id, or a server of another group), `protected`
 * (the group carries the protect tag), `held` (its `aps-autoscaler:hold-until`
 * is in force or does not parse, lib/scaling/churn.ts), `group-disabled`
 * (`server_group_status === false`), `policy-disabled` (no `scaling_policy`,
 * `enable === false`, or no `scaling_policy_by_session`), `invalid-policy`
 * (every out-of-range field is named in `detail`). In the policy, `enable`
 * defaults to true, `session_usage_threshold` is optional (without it there is
 * no scale-out and no anti-flap bound), `single_expansion_count` defaults to 1,
 * a missing `max_scaling_amount` caps nothing, and
 * `shrink_after_session_idle_minutes` is required. Then the group's own
 * floor and cap at `now` are resolved from its tags and schedule
 * (lib/scaling/effective-settings.ts): `unknown-schedule` or
 * `invalid-override` skips it; otherwise they are kept in `settings`, with
 * their sources, and replace `limits.minServersPerGroup` and
 * `limits.maxRemovalsPerGroup` below.
 *
 * Otherwise: scale-out when usage % ≥ threshold (a recommendation; every idle
 * member is kept as `anti-flap`); else scale-in of the `k` longest-idle members
 * (ties by id) allowed by the floor, `maxRemovalsPerGroup` and the anti-flap
 * rule; else steady. A failed session query leaves every member
 * `unknown-activity`, so nothing is removed. Sessions join members as
 * `joinSessions` does (machine_name, machine_sid, vm_ip); with
 * `limits.logoffDisconnectedAfterMinutes`, a member whose in-use sessions are
 * all abandoned is a candidate whose removal names them (`logoffSessionIds`).
 * An in-use session that joins no member sets `hold` (`unmatched-session`)
 * and every idle member is kept as `unmatched-session` (unless the group
 * scales out); a scale-out within SCALE_OUT_COOLDOWN_MINUTES does the same as
 * `cooldown`. An idle member with a hold in force is kept as `held`, one
 * younger than MIN_SERVER_AGE_MINUTES as `recently-created`.
 * Members are sorted by id; a non-finite limit removes nothing.
 */
export function evaluateGroup(input: EvaluateGroupInput): Decision {
  const { group, limits, now } = input;
  const sorted = [...input.servers].sort(byId);
  const s = sessionsPerServer(group);
  let n = 0;
  let used = 0;
  let autoCreated = 0;
  for (const server of sorted) {
    if (isInService(server)) n++;
    used += validCount(server.session_count);
    if (server.scaling_auto_create === true) autoCreated++;
  }
  const base: DecisionBase = {
    groupId: group.id,
    groupName: group.name,
    members: [],
    inService: n,
    usedSessions: used,
    sessionsPerServer: s,
    usagePercent: usagePercent(used, n, s),
  };

  const checked = gate(input, sorted);
  if ('skip' in checked) {
    const skip: SkipDecision = { ...base, kind: 'skip', reason: checked.skip };
    if (checked.detail !== '') skip.detail = checked.detail;
    if (checked.unparsed !== undefined) skip.unparsed = checked.unparsed;
    return skip;
  }
  const resolved = resolveEffectiveSettings(
    group.tags,
    now,
    limits,
    limits.learnedFloorOf?.(group.id, now),
  );
  if (!resolved.ok)
    return { ...base, kind: 'skip', reason: resolved.reason, detail: resolved.detail };
  base.settings = resolved.settings;
  const { threshold, shrinkMinutes, singleExpansion, maxScaling, resource } = checked.policy;
  const evaluated: EvaluatedBase = base;
  if (resource !== undefined) evaluated.resourceThresholds = resource;

  const sessions = input.sessions;
  const join = isSessionQueryFailure(sessions) ? undefined : joinSessions(sorted, sessions);
  const unmatched = join === undefined ? undefined : describeUnmatched(join.unmatchedInUse);
  const hold =
    unmatched === undefined
      ? cooldownOf(sorted, now, limits.churn)
      : { reason: 'unmatched-session' as const, detail: unmatched };
  if (hold !== undefined) evaluated.hold = hold;
  const assessed: { server: AppServer; reason: AssessedReason }[] = sorted.map((server) => ({
    server,
    reason: guardMember(
      server,
      assessMember(
        server,
        join === undefined ? sessions : join.of(server),
        now,
        shrinkMinutes,
        limits.protectTagKey,
        limits.logoffDisconnectedAfterMinutes,
      ),
      now,
      limits.churn,
    ),
  }));
  const candidates = assessed
    .flatMap(({ server, reason }) =>
      reason.kind === 'idle'
        ? [{ server, idleMinutes: reason.idleMinutes, logoff: reason.logoff }]
        : [],
    )
    .sort((a, b) => b.idleMinutes - a.idleMinutes || byId(a.server, b.server));

  const scaleOut = threshold !== undefined && n > 0 && 100 * used >= threshold * n * s;
  const floor = wholeOr(resolved.settings.floor.value, Number.POSITIVE_INFINITY);
  const cap = wholeOr(resolved.settings.maxRemovals.value, 0);
  // Usage after removal only grows with k, so the allowed k form a prefix:
  // start from the bound of the cap and the floor and walk down.
  let k =
    scaleOut || hold !== undefined ? 0 : Math.min(candidates.length, cap, Math.max(0, n - floor));
  while (k > 0 && threshold !== undefined && !belowThreshold(used, n - k, s, threshold)) k--;

  const held = new Map<string, HeldReason>();
  const removed = new Set<string>();
  candidates.forEach(({ server, idleMinutes, logoff }, rank) => {
    if (rank < k) {
      removed.add(server.id);
      return;
    }
    // The first constraint the (rank + 1)-th removal would break.
    const wanted = rank + 1;
    let kind: HeldReason['kind'] = 'anti-flap';
    if (!scaleOut && hold !== undefined) kind = hold.reason;
    else if (!scaleOut && n - wanted < floor) kind = 'floor';
    else if (!scaleOut && wanted > cap) kind = 'group-cap';
    held.set(
      server.id,
      logoff === undefined ? { kind, idleMinutes } : { kind, idleMinutes, logoff },
    );
  });

  base.members = assessed.map(({ server, reason }) => {
    if (removed.has(server.id)) return verdict(server, 'remove', reason);
    return verdict(server, 'keep', held.get(server.id) ?? reason);
  });

  if (scaleOut && threshold !== undefined) {
    const room = maxScaling === undefined ? singleExpansion : maxScaling - autoCreated;
    const recommended = Math.max(0, Math.min(singleExpansion, room));
    return { ...evaluated, kind: 'scale-out', recommended, thresholdPercent: threshold };
  }
  if (k > 0) {
    return {
      ...evaluated,
      kind: 'scale-in',
      remove: candidates.slice(0, k).map((c) => removalOf(c.server, c.idleMinutes, c.logoff)),
      usageAfterPercent: usagePercent(used, n - k, s),
      thresholdPercent: threshold,
    };
  }
  return { ...evaluated, kind: 'steady', thresholdPercent: threshold };
}

/**
 * Checks a request to remove one specific member (a `remove-member` queue
 * message) against fresh data: allowed only when the group is neither skipped
 * nor scaling out, the member (matched on `AppServer.id`) is idle, and
 * removing it alone keeps the per-group cap (at least 1), the floor and the
 * anti-flap rule. `decision` is the group's own decision, unchanged.
 */
export function evaluateRemoval(input: EvaluateGroupInput & { serverId: string }): RemovalVerdict {
  const decision = evaluateGroup(input);
  const refuse = (reason: string): RemovalVerdict => ({ allowed: false, reason, decision });
  if (decision.kind === 'skip') {
    const detail = decision.detail === undefined ? '' : `: ${decision.detail}`;
    return refuse(`group ${decision.groupId} is skipped (${decision.reason}${detail})`);
  }
  if (decision.kind === 'scale-out') {
    return refuse(
      `group ${decision.groupId} is scaling out (usage ${decision.usagePercent}% ≥ ${decision.thresholdPercent}%)`,
    );
  }
  if (decision.hold !== undefined) {
    return refuse(
      `group ${decision.groupId} holds its removals (${decision.hold.reason}: ${decision.hold.detail})`,
    );
  }
  const member = decision.members.find((m) => m.serverId === input.serverId);
  if (member === undefined) {
    return refuse(`server ${input.serverId} is not a member of group ${decision.groupId}`);
  }
  const { reason } = member;
  if (
    reason.kind !== 'idle' &&
    reason.kind !== 'floor' &&
    reason.kind !== 'group-cap' &&
    reason.kind !== 'anti-flap'
  ) {
    return refuse(`server ${member.serverId} is not idle: ${describeReason(reason)}`);
  }
  const n = decision.inService;
  const settings = decision.settings;
  const floor = wholeOr(settings?.floor.value ?? Number.NaN, Number.POSITIVE_INFINITY);
  if (wholeOr(settings?.maxRemovals.value ?? Number.NaN, 0) < 1) {
    const from = settings === undefined ? '' : ` (max-removals from ${settings.maxRemovals.from})`;
    return refuse(`the per-group cap allows no removal${from}`);
  }
  if (n - 1 < floor) {
    return refuse(
      `removing server ${member.serverId} would leave ${n - 1} in service, below the floor of ${floor}`,
    );
  }
  const threshold = decision.thresholdPercent;
  const s = decision.sessionsPerServer;
  if (threshold !== undefined && !belowThreshold(decision.usedSessions, n - 1, s, threshold)) {
    return refuse(
      `removing server ${member.serverId} would bring usage to ${usagePercent(decision.usedSessions, n - 1, s)}%, not below the threshold of ${threshold}%`,
    );
  }
  const removal: Removal = {
    serverId: member.serverId,
    instanceId: member.instanceId,
    machineName: member.machineName,
    idleMinutes: reason.idleMinutes,
  };
  if (reason.logoff !== undefined) removal.logoffSessionIds = reason.logoff;
  return { allowed: true, removal, decision };
}
