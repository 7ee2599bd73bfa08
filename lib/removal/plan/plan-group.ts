import { describeFailure } from '../../errors.ts';
import type { AppServer, ServerGroup } from '../../huawei/schemas.ts';
import { unparsedHolds } from '../../scaling/churn.ts';
import { settingsAudit } from '../../scaling/effective-settings.ts';
import { evaluateGroup } from '../../scaling/evaluate.ts';
import type { Decision } from '../../scaling/types.ts';
import type { GroupEvaluation, RemovalServices, RemovalSettings } from '../types.ts';
import { isMemberOf, type Listing, listGroup, NOT_LISTED } from './list-group.ts';
import { nameSkippedMembers } from './skipped-members.ts';

export interface FetchOptions {
  /**
   * Set when the evaluation serves a request about one member (a
   * `remove-member` message): the decision line then names that member
   * instead of the group's own plan, which may list other servers.
   */
  forInstance?: string | undefined;
  /** Default `together`; see lib/removal/plan/list-group.ts. */
  listing?: Listing;
  /**
   * List the members of a group skipped on its own record (one member
   * listing, no sessions) so its report line names each of them with the
   * skip as its verdict. Default false: a re-check under the lifecycle needs
   * no names, and a skipped group never changes on them.
   */
  nameSkipped?: boolean;
}

/**
 * Fetches one group's members and then, when a decision can use them, the
 * sessions of the look-back window (every page), then evaluates it. Never
 * throws for a failed listing: a failed member listing gives `skip` /
 * `incomplete-data`, a failed session listing leaves every member not idle;
 * both are named in `error`. A group skipped on its own record lists nothing,
 * or with `nameSkipped` only its members; that listing failing leaves the
 * decision as it is and is named in `membersNotListed` (a WARN line). Writes
 * one audit line with the decision, and a WARN naming every hold tag of the
 * group or its members that does not parse (lib/scaling/churn.ts).
 */
export async function fetchAndEvaluate(
  group: ServerGroup,
  services: RemovalServices,
  settings: RemovalSettings,
  options: FetchOptions = {},
): Promise<GroupEvaluation> {
  const { listing = 'together', nameSkipped = false } = options;
  const now = settings.now();
  // A group skipped on its own record (policy off or invalid, group disabled,
  // protect tag) needs no sessions: no member or session can change that decision.
  const onRecord = evaluateGroup({
    group,
    servers: [],
    sessions: [],
    now,
    limits: settings.limits,
  });
  const evaluation =
    onRecord.kind !== 'skip'
      ? await listedEvaluation(group, services, settings, now, listing)
      : nameSkipped
        ? await namedSkip(group, services, settings, now, onRecord)
        : { group, decision: onRecord, servers: [], sessions: [] };
  logDecision(evaluation, services, settings, options.forInstance);
  return evaluation;
}

async function listedEvaluation(
  group: ServerGroup,
  services: RemovalServices,
  settings: RemovalSettings,
  now: number,
  listing: Listing,
): Promise<GroupEvaluation> {
  const { servers, sessions } = await listGroup(group, services, settings, now, listing);
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
    decision: nameSkippedMembers(decision, members),
    servers: members,
    sessions: listed?.status === 'fulfilled' ? listed.value : undefined,
    listed: { atMs: now, members: members.length },
  };
  if (error !== undefined) evaluation.error = error;
  return evaluation;
}

// A group skipped on its record, its members listed to be named: their
// figures (in service, sessions in use) are the listing's, the sessions are
// never asked for (undefined: a what-if over this data sees none as idle).
async function namedSkip(
  group: ServerGroup,
  services: RemovalServices,
  settings: RemovalSettings,
  now: number,
  onRecord: Decision,
): Promise<GroupEvaluation> {
  let listed: AppServer[];
  try {
    listed = await services.aps.listServers({ serverGroupId: group.id });
  } catch (failure) {
    const error = describeFailure(failure);
    // The group was skipped whatever its members are: only their names are lost.
    services.log.warn('skipped group members not listed', {
      projectId: settings.projectId,
      serverGroupId: group.id,
      serverGroupName: group.name,
      error: error.message,
      requestId: error.requestId,
    });
    return {
      group,
      decision: onRecord,
      servers: [],
      sessions: undefined,
      membersNotListed: error.message,
    };
  }
  const members = listed.filter((s) => isMemberOf(s, group.id));
  const decision = evaluateGroup({
    group,
    servers: members,
    sessions: NOT_LISTED,
    now,
    limits: settings.limits,
  });
  return {
    group,
    decision: nameSkippedMembers(decision, members),
    servers: members,
    sessions: undefined,
  };
}

function logDecision(
  evaluation: GroupEvaluation,
  services: RemovalServices,
  settings: RemovalSettings,
  forInstance: string | undefined,
): void {
  const { group, decision, error } = evaluation;
  // A failed listing is a failed call: ERROR with its cause (status, code, host, request id).
  const audit = settingsAudit(decision);
  services.log[error !== undefined ? 'error' : audit.warn ? 'warn' : 'info']('group evaluated', {
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
    ...audit.fields,
    dryRun: settings.dryRun,
    ...(error !== undefined ? { error: error.message, requestId: error.requestId } : {}),
  });
  // Every trigger's evaluation comes here (inline, fanout, plan): one WARN per group.
  const holds = unparsedHolds(decision);
  if (holds.length > 0) {
    services.log.warn('hold tag does not parse: held until it is fixed', {
      projectId: settings.projectId,
      serverGroupId: group.id,
      serverGroupName: group.name,
      holds,
    });
  }
}
