import { parseApiTime } from '../huawei/api-time.ts';
import type { AppServer, TmsTag } from '../huawei/schemas.ts';
import type { AssessedReason, ChurnSettings, Decision, RemovalHold, UnparsedTag } from './types.ts';

/** The tag holding a group or a server until an instant (ISO 8601 with offset). */
export const HOLD_UNTIL_TAG = 'aps-autoscaler:hold-until';

const MS_PER_MINUTE = 60_000;
// An instant with a date, a time and an explicit offset: a bare local time
// would mean a different moment to every reader.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** A hold in force: its tag value, and its end, or the tag when its value does not parse. */
export type Hold = { value: string; until: number } | { value: string; unparsed: UnparsedTag };

/**
 * The hold a `aps-autoscaler:hold-until` tag puts on a group or server at
 * `now` (epoch ms): none without the tag or once its instant has passed; a
 * value that is not an ISO instant with offset holds for ever (fail safe)
 * and is flagged `unparsed`, for the planner's WARN (lib/removal/plan/plan-group.ts).
 */
export function holdOf(tags: readonly TmsTag[] | null | undefined, now: number): Hold | undefined {
  if (!Array.isArray(tags)) return undefined;
  const tag = tags.find((t) => t !== null && typeof t === 'object' && t.key === HOLD_UNTIL_TAG);
  if (tag === undefined) return undefined;
  const value = typeof tag.value === 'string' ? tag.value.trim() : '';
  const until = INSTANT.test(value) ? parseApiTime(value) : undefined;
  if (until === undefined) return { value, unparsed: { tag: HOLD_UNTIL_TAG, value } };
  return now < until ? { value, until } : undefined;
}

/** A hold as reports and refusals show it, e.g. `hold-until 2026-12-14T09:00:00+01:00`. */
export function describeHold(hold: Hold): string {
  return 'unparsed' in hold
    ? `tag ${HOLD_UNTIL_TAG} does not parse (${JSON.stringify(hold.value)}): held`
    : `${HOLD_UNTIL_TAG} ${new Date(hold.until).toISOString()}`;
}

/** A hold tag that does not parse, flagged where it was found: the group's (no `serverId`) or a member's. */
export type UnparsedHold = UnparsedTag & { serverId?: string };

/** Every hold tag of a decision that does not parse: the group's, then its members' in id order. */
export function unparsedHolds(decision: Decision): UnparsedHold[] {
  const holds: UnparsedHold[] = [];
  if (decision.kind === 'skip' && decision.unparsed !== undefined) holds.push(decision.unparsed);
  for (const member of decision.members) {
    const { reason } = member;
    if (reason.kind === 'held' && reason.unparsed !== undefined) {
      holds.push({ ...reason.unparsed, serverId: member.serverId });
    }
  }
  return holds;
}

/**
 * The last scale-out APS made in a group, epoch ms: the newest `create_time`
 * of its members with `scaling_auto_create` (docs/huawei-api.md); none when
 * no such member remains.
 */
export function lastScaleOut(servers: readonly AppServer[]): number | undefined {
  let last: number | undefined;
  for (const server of servers) {
    if (server.scaling_auto_create !== true) continue;
    const at = parseApiTime(server.create_time ?? undefined);
    if (at !== undefined && (last === undefined || at > last)) last = at;
  }
  return last;
}

/** The cooldown hold of a group at `now`, when its last scale-out is too recent. */
export function cooldownOf(
  servers: readonly AppServer[],
  now: number,
  churn: ChurnSettings | undefined,
): RemovalHold | undefined {
  const minutes = churn?.scaleOutCooldownMinutes ?? 0;
  if (minutes <= 0) return undefined;
  const last = lastScaleOut(servers);
  if (last === undefined || now - last >= minutes * MS_PER_MINUTE) return undefined;
  const ends = new Date(last + minutes * MS_PER_MINUTE).toISOString();
  return {
    reason: 'cooldown',
    detail: `scaled out at ${new Date(last).toISOString()}, cooldown of ${minutes} min until ${ends}`,
  };
}

/**
 * Turns an `idle` member into one kept by a churn rule: a hold on the server
 * (`held`), then a server younger than MIN_SERVER_AGE_MINUTES
 * (`recently-created`). Any other reason is returned unchanged.
 */
export function guardMember(
  server: AppServer,
  reason: AssessedReason,
  now: number,
  churn: ChurnSettings | undefined,
): AssessedReason {
  if (reason.kind !== 'idle') return reason;
  const hold = holdOf(server.tags, now);
  if (hold !== undefined) {
    const held = { kind: 'held' as const, detail: describeHold(hold) };
    return 'unparsed' in hold ? { ...held, unparsed: hold.unparsed } : held;
  }
  const minimum = churn?.minServerAgeMinutes ?? 0;
  const created = parseApiTime(server.create_time ?? undefined);
  if (minimum > 0 && created !== undefined && now - created < minimum * MS_PER_MINUTE) {
    return {
      kind: 'recently-created',
      ageMinutes: (now - created) / MS_PER_MINUTE,
      minimumMinutes: minimum,
    };
  }
  return reason;
}
