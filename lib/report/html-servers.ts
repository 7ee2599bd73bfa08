import type { RemovalReport } from '../removal/outcome.ts';
import type { MemberReason } from '../scaling/types.ts';
import type { GroupReport } from '../sweep/report.ts';
import { bucketOf, total } from './counts.ts';
import { escapeHtml } from './html-text.ts';
import { isVerdictKind, verdictLabel } from './verdicts.ts';

/** The CSS class of a verdict kind; unknown kinds (a report read from JSON) share one. */
export function verdictClass(kind: string): string {
  return isVerdictKind(kind) ? `v-${kind}` : 'v-other';
}

/** Why a member got its verdict, in words: `2 sessions`, `idle 45 of 60 min`, `vm_status STOPPED`. */
export function reasonText(reason: MemberReason): string {
  switch (reason.kind) {
    case 'not-in-service':
      return `${reason.detail} ${reason.value}`;
    case 'protected':
      return 'protect tag';
    case 'freeze-protected':
      return `freeze effect ${reason.effect}`;
    case 'job-running':
      return `job ${reason.jobStatus}`;
    case 'task-running':
      return `task ${reason.taskStatus}`;
    case 'busy':
      return `${reason.sessionCount} session${reason.sessionCount === 1 ? '' : 's'}`;
    case 'active-session':
      return `session ${reason.sessionId} ${reason.state}`;
    case 'unknown-activity':
      return reason.detail;
    case 'recently-used':
      return `idle ${Math.floor(reason.idleMinutes)} of ${reason.thresholdMinutes} min`;
    case 'held':
      return reason.detail;
    case 'recently-created':
      return `created ${Math.floor(reason.ageMinutes)} of ${reason.minimumMinutes} min ago`;
    case 'group-skipped':
      return reason.skip;
    default:
      return `idle ${Math.floor(reason.idleMinutes)} min`;
  }
}

/** What became of a planned removal, in words, e.g. `drain undone: session-arrived`. */
function outcomeText(removal: RemovalReport): string {
  const words = [removal.outcome === 'drain-undone' ? 'drain undone' : removal.outcome];
  const { undoReason, detail } = removal;
  if (undoReason !== undefined && detail?.startsWith(undoReason) !== true) words.push(undoReason);
  if (detail !== undefined) words.push(detail);
  if (removal.requestId !== undefined) words.push(`request id ${removal.requestId}`);
  return words.join(': ');
}

function toneOf(removal: RemovalReport | undefined): string {
  if (removal === undefined) return '';
  const bucket = bucketOf(removal.outcome);
  return bucket === 'failed' ? ' bad' : bucket === 'refused' || bucket === 'undone' ? ' warn' : '';
}

/** One server: name and id, verdict and reason, and its removal's outcome when it had one. */
function serverItem(
  server: { machineName: string | undefined; serverId: string },
  kind: string,
  why: string,
  removal: RemovalReport | undefined,
): string {
  const outcome = removal === undefined ? '' : ` → <b>${escapeHtml(outcomeText(removal))}</b>`;
  return (
    `<li class="${verdictClass(kind)}${toneOf(removal)}"><b>${escapeHtml(server.machineName ?? '(no name)')}</b> ` +
    `<code>${escapeHtml(server.serverId)}</code> ${escapeHtml(`${verdictLabel(kind)}, ${why}`)}${outcome}</li>`
  );
}

/**
 * Every server of a group named (name and id) with its verdict and reason
 * and, for a planned removal, its outcome; failures and refusals marked. A
 * skipped group's servers carry its skip (`group skipped, policy-disabled`),
 * or a marked line says they could not be listed and why. A group whose
 * member verdicts the report left out (MEMBER_DETAIL_GROUPS) lists its
 * removals; its bar counts the rest.
 */
export function serverList(group: GroupReport): string {
  const byId = new Map(group.removals.map((r) => [r.serverId, r]));
  const items: string[] = [];
  for (const member of group.members ?? []) {
    const removal = byId.get(member.serverId);
    items.push(serverItem(member, member.reason.kind, reasonText(member.reason), removal));
    byId.delete(member.serverId);
  }
  for (const removal of byId.values()) {
    items.push(serverItem(removal, 'idle', `idle ${removal.idleMinutes} min`, removal));
  }
  if (group.membersNotListed !== undefined) {
    // Its group was skipped all the same; only the names are missing, and the row says so.
    items.push(
      `<li class="v-other bad">servers could not be listed: ${escapeHtml(group.membersNotListed)}</li>`,
    );
  } else if (items.length === 0 && group.decision === 'skip' && total(group.memberReasons) === 0) {
    // A report kept before skipped groups' members were listed, or a group with none.
    return '<small>no server verdicts: the group was skipped (see its decision)</small>';
  }
  return items.length === 0 ? '' : `<ul class="srv">${items.join('')}</ul>`;
}
