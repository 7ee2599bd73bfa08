import type { Fleet } from '../../sim/fleet.ts';
import {
  BATCH_SIZE,
  type GroupNeeds,
  type MinimumRequests,
  minimumSweepRequests,
} from './ideal.ts';

// The lower bound of a sweep's API calls, derived from the generated fleet's
// own records with a second, deliberately plain reading of the rules in
// docs/how-it-decides.md. Nothing here
// calls lib/scaling: what is shared with the client is only the fleet (the
// same generated data) and the rules as written, so a client that lists what
// it need not list, or removes what the rules keep, shows up as a ratio above
// 1.00 or a removal count that disagrees.

export interface FleetExpectation {
  /** What each group's sweep needs to list and remove, in fleet order. */
  groups: GroupNeeds[];
  /** Servers a sweep with these limits removes (0 when the sweep cap aborts it or a dry run). */
  removals: number;
  /** Of those, the ones whose instance is in no ECS server group (`not-in-ecs-group`). */
  notInEcsGroup: number;
  /**
   * Of those, the ones the remover refuses in this mode, before any call
   * (docs/how-it-decides.md, "What each mode does"): in no ECS group (`remove-member`), or
   * neither pay-per-use nor spot (`release`: `prepaid`, `unknown-charging-mode`).
   */
  refused: number;
  /** Groups skipped on their own record (members listed, no sessions) and groups over the threshold. */
  skippedOnRecord: number;
  scaleOut: number;
  /**
   * Per group, in fleet order: its sessions in the look-back window whatever
   * its decision (what a listing of members and sessions together pages
   * through, as remediate's does; a group over its threshold included).
   */
  sessionsInWindow: number[];
  minimum: MinimumRequests;
}

export interface FleetExpectationOptions {
  lookbackHours: number;
  limits: { minServersPerGroup: number; maxRemovalsPerGroup: number; protectTagKey: string };
  maxRemovalsPerSweep: number;
  /** Dry run: nothing is re-read or removed. */
  dryRun: boolean;
  /** Default remove-member (one call per ECS group holding each server); release batch-deletes ⌈n ÷ 20⌉ per group. */
  removalMode?: 'remove-member' | 'release';
  /** DRAIN_SECONDS > 0: maintenance calls and a group re-read per acting group (bench/lib/ideal.ts). */
  drain?: boolean;
}

type Group = Fleet['groups'][number];
type Server = Fleet['servers'][number];

/** Charging modes `release` deletes: pay-per-use ("0") and spot ("2"). */
const RELEASABLE: ReadonlySet<string> = new Set(['0', '2']);
type Session = NonNullable<Fleet['sessions']>[number];

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const LIVE = new Set(['Active', 'Disconnected', 'AppcInit']);
const ENDED = new Set(['SignedOut', 'InitFail']);

const intIn = (v: unknown, min: number, max: number): boolean =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

/** The group's policy if its own record lets it be evaluated, else undefined. */
function policyOf(
  group: Group,
  protectTagKey: string,
): { threshold: number | undefined; shrink: number } | undefined {
  if ((group.tags ?? []).some((t) => t?.key === protectTagKey)) return undefined;
  if (group.server_group_status === false) return undefined;
  const policy = group.scaling_policy as Record<string, unknown> | null | undefined;
  if (policy == null || policy['enable'] === false) return undefined;
  const bySession = policy['scaling_policy_by_session'] as Record<string, unknown> | null;
  if (bySession == null) return undefined;
  const { single_expansion_count: single, max_scaling_amount: max } = policy;
  const threshold = bySession['session_usage_threshold'];
  const shrink = bySession['shrink_after_session_idle_minutes'];
  if (single !== undefined && !intIn(single, 1, 10)) return undefined;
  if (max !== undefined && !intIn(max, 1, 100)) return undefined;
  if (threshold !== undefined && !intIn(threshold, 1, 100)) return undefined;
  if (!intIn(shrink, 1, Number.MAX_SAFE_INTEGER)) return undefined;
  return { threshold: threshold as number | undefined, shrink: shrink as number };
}

const inService = (s: Server): boolean =>
  s.status === 'REGISTERED' && s.vm_status === 'ACTIVE' && s.maintain_status === false;

function sessionTime(x: Session): number {
  const text = x.end_time ?? x.last_update_status_time ?? x.start_time;
  return text == null ? Number.NaN : Date.parse(text);
}

/**
 * How long a member has been idle (ms) if it may be removed on its own merits
 * (before floor, cap and threshold), else undefined.
 */
function idleMs(
  s: Server,
  sessions: readonly Session[],
  now: number,
  shrink: number,
  key: string,
): number | undefined {
  if (!inService(s) || (s.tags ?? []).some((t) => t?.key === key)) return undefined;
  if ((s.freeze ?? []).some((f) => f?.effect === 2)) return undefined;
  if (s.job_status === 'WAITING' || s.job_status === 'RUNNING') return undefined;
  if (s.session_count !== 0) return undefined;
  if (sessions.some((x) => LIVE.has(x.session_state ?? ''))) return undefined;
  let last = s.create_time == null ? Number.NaN : Date.parse(s.create_time);
  for (const x of sessions) {
    if (!ENDED.has(x.session_state ?? '')) return undefined;
    const at = sessionTime(x);
    if (Number.isNaN(at)) return undefined;
    if (Number.isNaN(last) || at > last) last = at;
  }
  return !Number.isNaN(last) && now - last >= shrink * MINUTE_MS ? now - last : undefined;
}

/**
 * ECS server groups holding each instance, as the simulator serves them: the
 * fleet's `ecsServerGroups`, or one per APS group holding its members.
 */
function ecsMemberships(fleet: Fleet): { groups: number; of: Map<string, number> } {
  const of = new Map<string, number>();
  if (fleet.ecsServerGroups === undefined) {
    for (const s of fleet.servers) if (s.server_group_id != null) of.set(s.instance_id, 1);
    return { groups: fleet.groups.length, of };
  }
  for (const g of fleet.ecsServerGroups) {
    for (const m of new Set(g.members)) of.set(m, (of.get(m) ?? 0) + 1);
  }
  return { groups: fleet.ecsServerGroups.length, of };
}

/**
 * Reads a fleet directly (no HTTP, no client, no lib/scaling): per group,
 * whether its own record already skips it (protect tag, disabled, policy off
 * or invalid: only its members are listed, to name them), whether its members alone put it over the
 * threshold (scale-out: no session history needed), else its member and
 * windowed session counts and the removals the rules allow.
 */
export function expectFleet(fleet: Fleet, options: FleetExpectationOptions): FleetExpectation {
  const now = Date.parse(fleet.now);
  const begin = now - options.lookbackHours * HOUR_MS;
  const { minServersPerGroup: floor, maxRemovalsPerGroup: cap, protectTagKey } = options.limits;
  const members = new Map<string, Server[]>();
  for (const server of fleet.servers) {
    if (server.server_group_id == null) continue;
    const list = members.get(server.server_group_id) ?? [];
    list.push(server);
    members.set(server.server_group_id, list);
  }
  const byMachine = new Map<string, Session[]>();
  const windowed = new Map<string, number>();
  const groupOfMachine = new Map(fleet.servers.map((s) => [s.machine_name, s.server_group_id]));
  for (const x of fleet.sessions ?? []) {
    const start = Date.parse(x.start_time);
    if (start < begin || start > now) continue;
    const groupId = x.app_server_group_id ?? groupOfMachine.get(x.machine_name);
    if (groupId != null) windowed.set(groupId, (windowed.get(groupId) ?? 0) + 1);
    const list = byMachine.get(x.machine_name) ?? [];
    list.push(x);
    byMachine.set(x.machine_name, list);
  }

  const ecs = ecsMemberships(fleet);
  const groups: GroupNeeds[] = [];
  let skippedOnRecord = 0;
  let scaleOut = 0;
  let notInEcsGroup = 0;
  let refused = 0;
  const release = options.removalMode === 'release';
  for (const group of fleet.groups) {
    const policy = policyOf(group, protectTagKey);
    const list = members.get(group.id) ?? [];
    if (policy === undefined) {
      // Its members are listed all the same, to be named on the report with the skip.
      skippedOnRecord++;
      groups.push({ servers: list.length, sessions: null, removals: 0, skippedOnRecord: true });
      continue;
    }
    const perServer = Math.max(1, Math.floor(Number(group.product_info?.sessions) || 1));
    const n = list.filter(inService).length;
    const used = list.reduce((sum, s) => sum + Math.max(0, s.session_count ?? 0), 0);
    const { threshold } = policy;
    if (threshold !== undefined && n > 0 && 100 * used >= threshold * n * perServer) {
      scaleOut++;
      groups.push({ servers: list.length, sessions: null, removals: 0 });
      continue;
    }
    // The k longest idle are removed, ties by id (docs/how-it-decides.md).
    const idle = list
      .map((s) => ({
        s,
        ms: idleMs(s, byMachine.get(s.machine_name) ?? [], now, policy.shrink, protectTagKey),
      }))
      .filter((x): x is { s: Server; ms: number } => x.ms !== undefined)
      .sort((a, b) => b.ms - a.ms || (a.s.id < b.s.id ? -1 : a.s.id > b.s.id ? 1 : 0));
    let k = Math.min(idle.length, cap, Math.max(0, n - floor));
    const below = (left: number) =>
      threshold === undefined ||
      (left > 0 ? 100 * used < threshold * left * perServer : used === 0);
    while (k > 0 && !below(n - k)) k--;
    const chosen = idle.slice(0, k).map((x) => x.s);
    const held = chosen.map((s) => ecs.of.get(s.instance_id) ?? 0);
    const inEcs = held.filter((n) => n > 0).length;
    notInEcsGroup += k - inEcs;
    // Release refuses by charging mode, remove-member a server in no ECS group (docs/how-it-decides.md).
    const releasable = chosen.filter((s) => RELEASABLE.has(s.metadata?.charging_mode ?? '')).length;
    const acted = release ? releasable : inEcs;
    refused += k - acted;
    groups.push({
      servers: list.length,
      sessions: windowed.get(group.id) ?? 0,
      removals: k,
      removeCalls: release
        ? Math.ceil(releasable / BATCH_SIZE)
        : held.reduce((sum, n) => sum + n, 0),
      drained: acted,
    });
  }
  const planned = groups.reduce((sum, g) => sum + g.removals, 0);
  const acts = !options.dryRun && planned <= options.maxRemovalsPerSweep;
  const needs = acts
    ? groups
    : groups.map((g) => ({ ...g, removals: 0, removeCalls: 0, drained: 0 }));
  return {
    groups: needs,
    removals: acts ? planned : 0,
    notInEcsGroup: acts ? notInEcsGroup : 0,
    refused: acts ? refused : 0,
    skippedOnRecord,
    scaleOut,
    sessionsInWindow: fleet.groups.map((g) => windowed.get(g.id) ?? 0),
    minimum: minimumSweepRequests({
      groups: needs,
      ...(release ? {} : { ecsGroups: ecs.groups }),
      ...(options.drain ? { drain: { lift: !release } } : {}),
    }),
  };
}
