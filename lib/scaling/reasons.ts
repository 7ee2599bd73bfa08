import type { MemberReason } from './types.ts';

/** A short human-readable rendering of a member reason, for logs and refusals. */
export function describeReason(reason: MemberReason): string {
  switch (reason.kind) {
    case 'not-in-service':
      return reason.unknown === true
        ? `not in service (unknown-${reason.detail}: ${JSON.stringify(reason.value)})`
        : `not in service (${reason.detail} is ${reason.value})`;
    case 'protected':
      return 'carries the protect tag';
    case 'freeze-protected':
      return reason.effect === 2
        ? 'frozen with effect 2'
        : `frozen with unknown-effect: ${reason.effect}`;
    case 'job-running':
      return `job ${reason.jobStatus}`;
    case 'task-running':
      return `task ${reason.taskStatus} running`;
    case 'busy':
      return `${reason.sessionCount} session(s) in use`;
    case 'active-session':
      return `session ${reason.sessionId} is ${reason.state}`;
    case 'unknown-activity':
      return `activity unknown: ${reason.detail}`;
    case 'recently-used':
      return `used ${reason.idleMinutes.toFixed(1)} min ago, threshold ${reason.thresholdMinutes} min`;
    case 'floor':
      return 'removal would break the floor';
    case 'group-cap':
      return 'removal would exceed the per-group cap';
    case 'anti-flap':
      return 'removal would bring usage to the threshold';
    case 'unmatched-session':
      return 'removals held: an in-use session matches no member';
    case 'held':
      return reason.detail;
    case 'recently-created':
      return `created ${reason.ageMinutes.toFixed(1)} min ago, minimum age ${reason.minimumMinutes} min`;
    case 'cooldown':
      return 'removals held: the group scaled out recently';
    case 'group-skipped':
      return `its group is skipped (${reason.skip})`;
    case 'idle':
      return `idle for ${reason.idleMinutes.toFixed(1)} min`;
  }
}
