import { describeFailure } from '../../errors.ts';
import type { AppServer, ServerGroup, SessionInfo } from '../../huawei/schemas.ts';
import { settingsAudit } from '../../scaling/effective-settings.ts';
import { evaluateGroup } from '../../scaling/evaluate.ts';
import type { GroupEvaluation, RemovalServices, RemovalSettings } from '../types.ts';
import { isMemberOf, type Listing, listGroup, NOT_LISTED } from './list-group.ts';

/**
 * Fetches one group's members and then, when a decision can use them, the
 * sessions of the look-back window (every page), then evaluates it. Never
 * throws for a failed listing: a failed member listing gives `skip` /
 * `incomplete-data`, a failed session listing leaves every member not idle;
 * both are named in `error`. Writes one audit line with the decision.
 */
export async function fetchAndEvaluate(
  group: ServerGroup,
  services: RemovalServices,
  settings: RemovalSettings,
  options: {
    /**
     * Set when the evaluation serves a request about one member (a
     * `remove-member` message): the decision line then names that member
     * instead of the group's own plan, which may list other servers.
     */
    forInstance?: string | undefined;
    /** Default `together`; see lib/removal/list-group.ts. */
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
  return evaluation;
}
