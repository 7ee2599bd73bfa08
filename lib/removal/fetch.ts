import type { RemovalMode } from '../config.ts';
import { isTransient } from '../errors.ts';
import type { ApsClient } from '../huawei/aps-client.ts';
import type { EcsClient } from '../huawei/ecs-client.ts';
import type { AppServer, ServerGroup, SessionInfo } from '../huawei/schemas.ts';
import type { Log } from '../logger.ts';
import { evaluateGroup } from '../scaling/evaluate.ts';
import { assessMember } from '../scaling/idle.ts';
import { describeReason } from '../scaling/reasons.ts';
import { joinSessions, type SessionJoin } from '../scaling/session-join.ts';
import type { Decision, EvaluationLimits, Removal } from '../scaling/types.ts';
import type { DrainServices } from './drain.ts';
import { isMemberOf, type Listing, listGroup, NOT_LISTED } from './list-group.ts';
import {
  createEcsGroupResolver,
  type EcsGroupResolver,
  removeServers,
  type ServerRemoval,
} from './remover.ts';
import type { RemovalReport } from '../sweep/report.ts';

/** The clients one project's pipeline calls. */
export interface PipelineServices {
  aps: Pick<
    ApsClient,
    | 'listServerGroups'
    | 'getServerGroup'
    | 'listServers'
    | 'listSessions'
    | 'getServer'
    | 'batchDeleteServers'
    | 'getJob'
    | 'batchSetMaintenance'
  >;
  ecs: Pick<EcsClient, 'removeMember' | 'showServerGroup' | 'listServerGroups'>;
  /** Instance → ECS groups, one listing per project per invocation (functions/invocation.ts). */
  ecsGroupsOf?: EcsGroupResolver;
  log: Log;
  /** Drain records and group leases; required when `drainSeconds` > 0. */
  drains?: DrainServices;
}

/** What the pipeline needs to know besides the data: all from config or the event. */
export interface PipelineSettings {
  projectId: string;
  dryRun: boolean;
  removalMode: RemovalMode;
  limits: EvaluationLimits;
  sessionLookbackHours: number;
  /** The clock, epoch milliseconds. */
  now: () => number;
  /** Epoch ms by which a release's job polling stops (the invocation's end). */
  deadlineAt?: number | undefined;
  /** DRAIN_SECONDS: 0 or unset acts at once (docs/drain-lifecycle.md). */
  drainSeconds?: number;
}

/** A group's fetched data and its decision. */
export interface GroupEvaluation {
  group: ServerGroup;
  decision: Decision;
  servers: readonly AppServer[];
  sessions: readonly SessionInfo[] | undefined;
  /** A listing that failed: the decision is then `skip` / `incomplete-data` or nothing is idle. */
  error?: { message: string; transient: boolean; requestId?: string | undefined };
}

/**
 * Fetches one group's members and then, when a decision can use them, the
 * sessions of the look-back window (every page), then evaluates it. Never
 * throws for a failed listing: a failed member listing gives `skip` /
 * `incomplete-data`, a failed session listing leaves every member not idle;
 * both are named in `error`. Writes one audit line with the decision.
 */
export async function fetchAndEvaluate(
  group: ServerGroup,
  services: PipelineServices,
  settings: PipelineSettings,
  options: {
    /**
     * Set when the evaluation serves a request about one member (a
     * `remove-member` message): the decision line then names that member
     * instead of the group's own plan, which may list other servers.
     */
    forInstance?: string | undefined;
    /** Default `together`; see lib/sweep/list-group.ts. */
    listing?: Listing;
  } = {},
): Promise<GroupEvaluation> {
  const { forInstance, listing = 'together' } = options;
  const now = settings.now();
  // A group skipped on its own record (policy off or invalid, group disabled,
  // protect tag) needs no listing: no member or session can change that decision.
  const onRecord = evaluateGroup({
    group,
    servers: [],
    sessions: [],
    now,
    limits: settings.limits,
  });
  const { servers, sessions } =
    onRecord.kind === 'skip'
      ? {
          servers: { status: 'fulfilled', value: [] } as PromiseSettledResult<AppServer[]>,
          sessions: { status: 'fulfilled', value: [] } as PromiseSettledResult<SessionInfo[]>,
        }
      : await listGroup(group, services, settings, now, listing);
  const listed = 'status' in sessions ? sessions : undefined;
  const failure = [servers, listed].find((r) => r?.status === 'rejected') as
    | PromiseRejectedResult
    | undefined;
  const error = failure === undefined ? undefined : describeFailure(failure.reason);
  // A server listed under another group is not trusted as a member of this one.
  const members =
    servers.status === 'fulfilled' ? servers.value.filter((s) => isMemberOf(s, group.id)) : [];
  const decision = evaluateGroup({
    group,
    servers: members,
    sessions:
      listed === undefined
        ? NOT_LISTED
        : listed.status === 'fulfilled'
          ? listed.value
          : { error: error?.message ?? 'failed' },
    now,
    limits: settings.limits,
    incomplete: servers.status === 'rejected' ? error?.message : undefined,
  });
  const evaluation: GroupEvaluation = {
    group,
    decision,
    servers: members,
    sessions: listed?.status === 'fulfilled' ? listed.value : undefined,
  };
  if (error !== undefined) evaluation.error = error;
  // A failed listing is a failed call: ERROR with its cause (status, code, host, request id).
  services.log[error === undefined ? 'info' : 'error']('group evaluated', {
    audit: 'decision',
    projectId: settings.projectId,
    serverGroupId: group.id,
    serverGroupName: group.name,
    decision: decision.kind,
    ...(decision.kind === 'skip' ? { reason: decision.reason, detail: decision.detail } : {}),
    ...(decision.kind === 'scale-out' ? { recommended: decision.recommended } : {}),
    ...(decision.kind === 'scale-in' && forInstance === undefined
      ? { planned: decision.remove.map((r) => r.serverId) }
      : {}),
    ...(forInstance === undefined ? {} : { requestedInstanceId: forInstance }),
    usagePercent: decision.usagePercent,
    inService: decision.inService,
    usedSessions: decision.usedSessions,
    dryRun: settings.dryRun,
    ...(error !== undefined ? { error: error.message, requestId: error.requestId } : {}),
  });
  return evaluation;
}

/**
 * Removes one planned member, safely: re-reads the server right before
 * acting and removes it only while it is still a member of the group, has
 * zero sessions and is still idle by the evaluation's rules; then calls the
 * remover of `removalMode`. Already gone counts as done. Never throws: a
 * failure is the returned outcome. Writes one audit log line.
 */
export async function removeMember(
  evaluation: GroupEvaluation,
  removal: Removal,
  services: PipelineServices,
  settings: PipelineSettings,
): Promise<RemovalReport> {
  const report = await attemptRemoval(evaluation, removal, services, settings);
  const policy = evaluation.group.scaling_policy?.scaling_policy_by_session;
  services.log[report.outcome === 'failed' ? 'error' : 'info'](`removal ${report.outcome}`, {
    audit: 'removal',
    projectId: settings.projectId,
    serverGroupId: evaluation.group.id,
    serverId: removal.serverId,
    instanceId: report.instanceId,
    machineName: removal.machineName,
    idleMinutes: Math.floor(removal.idleMinutes),
    policy: {
      shrinkAfterSessionIdleMinutes: policy?.shrink_after_session_idle_minutes,
      sessionUsageThreshold: policy?.session_usage_threshold,
    },
    removalMode: settings.removalMode,
    outcome: report.outcome,
    detail: report.detail,
    requestId: report.requestId,
    dryRun: settings.dryRun,
  });
  return report;
}

async function attemptRemoval(
  evaluation: GroupEvaluation,
  removal: Removal,
  services: PipelineServices,
  settings: PipelineSettings,
): Promise<RemovalReport> {
  const base = {
    serverId: removal.serverId,
    instanceId: removal.instanceId,
    machineName: removal.machineName,
    idleMinutes: Math.floor(removal.idleMinutes),
  };
  if (settings.dryRun) return { ...base, outcome: 'would-remove' };
  try {
    const fresh = await services.aps.getServer(removal.serverId);
    if (fresh === undefined)
      return { ...base, outcome: 'already-removed', detail: 'server no longer exists' };
    if (fresh.server_group_id !== evaluation.group.id) {
      return { ...base, outcome: 'already-removed', detail: 'no longer a member of the group' };
    }
    if ((fresh.session_count ?? 0) > 0) {
      return {
        ...base,
        outcome: 'skipped-busy',
        detail: `${fresh.session_count} session(s) since evaluation`,
      };
    }
    const threshold =
      evaluation.group.scaling_policy?.scaling_policy_by_session?.shrink_after_session_idle_minutes;
    if (threshold === undefined) {
      return { ...base, outcome: 'skipped-changed', detail: 'the group has no idle threshold' };
    }
    const sessionsOfServer =
      evaluation.sessions === undefined
        ? { error: 'sessions unknown' }
        : sessionJoinOf(evaluation.servers, evaluation.sessions).of(fresh);
    const reason = assessMember(
      fresh,
      sessionsOfServer,
      settings.now(),
      threshold,
      settings.limits.protectTagKey,
    );
    if (reason.kind !== 'idle') {
      return { ...base, outcome: 'skipped-changed', detail: `now ${describeReason(reason)}` };
    }
    return await runRemover(evaluation.group.id, base, fresh, services, settings);
  } catch (error) {
    const failure = describeFailure(error);
    return withRequestId(
      {
        ...base,
        outcome: 'failed',
        detail: failure.message,
        // Read by remediation: a transient failure makes SQS redeliver the record.
        ...(failure.transient ? { retryable: true } : {}),
      },
      failure.requestId,
    );
  }
}

/**
 * The one place a server is removed or released, by `removalMode`
 * (lib/sweep/remover.ts: the instance's real ECS groups, or batch-delete of a
 * pay-per-use server): the server's checks are done by the caller (the
 * re-read above, or the drain check of lib/sweep/drain-settle.ts). Never
 * throws for an answered failure: it is the returned outcome.
 */
export async function runRemover(
  groupId: string,
  base: Omit<RemovalReport, 'outcome'>,
  fresh: AppServer,
  services: PipelineServices,
  settings: Pick<PipelineSettings, 'removalMode' | 'projectId' | 'now' | 'deadlineAt'>,
): Promise<RemovalReport> {
  const flavorId = fresh.product_info?.flavor_id;
  const [done] = await removeServers([fresh], {
    ...services,
    // Without the invocation's shared resolver, this removal lists ECS on its own.
    ecsGroupsOf: services.ecsGroupsOf ?? createEcsGroupResolver(services.ecs),
    projectId: settings.projectId,
    serverGroupId: groupId,
    removalMode: settings.removalMode,
    now: settings.now,
    deadlineAt: settings.deadlineAt,
  });
  const { serverId: _, instanceId, ...result } = done as ServerRemoval;
  return {
    ...base,
    ...(flavorId === undefined ? {} : { flavorId }),
    instanceId: instanceId ?? base.instanceId,
    ...result,
  };
}

// One join per group's session listing, however many of its members are
// removed: the same join (machine_name, machine_sid, vm_ip) as the evaluation.
const sessionJoins = new WeakMap<readonly SessionInfo[], SessionJoin>();
function sessionJoinOf(
  members: readonly AppServer[],
  sessions: readonly SessionInfo[],
): SessionJoin {
  let join = sessionJoins.get(sessions);
  if (join === undefined) {
    join = joinSessions(members, sessions);
    sessionJoins.set(sessions, join);
  }
  return join;
}

function withRequestId(report: RemovalReport, requestId: string | undefined): RemovalReport {
  return requestId === undefined ? report : { ...report, requestId };
}

/** The safe description of any failure: message, whether retrying may help, request id. */
export function describeFailure(error: unknown): {
  message: string;
  transient: boolean;
  requestId?: string | undefined;
} {
  const message = error instanceof Error ? error.message : String(error);
  const requestId = (error as { requestId?: unknown } | null)?.requestId;
  return {
    message,
    transient: isTransient(error),
    ...(typeof requestId === 'string' ? { requestId } : {}),
  };
}
