import { describe, expect, it } from 'vitest';
import { describeReason } from '../../../lib/scaling/reasons.ts';
import type { MemberReason } from '../../../lib/scaling/types.ts';

describe('describeReason', () => {
  it.each<[MemberReason, string]>([
    [{ kind: 'idle', idleMinutes: 42.26 }, 'idle for 42.3 min'],
    [
      { kind: 'not-in-service', detail: 'vm_status', value: 'SHUTOFF' },
      'not in service (vm_status is SHUTOFF)',
    ],
    [{ kind: 'job-running', jobStatus: 'WAITING' }, 'job WAITING'],
    [
      { kind: 'not-in-service', detail: 'status', value: 'RECOVERING', unknown: true },
      'not in service (unknown-status: "RECOVERING")',
    ],
    [{ kind: 'task-running', taskStatus: 'installing_app' }, 'task installing_app running'],
    [{ kind: 'freeze-protected', effect: 2 }, 'frozen with effect 2'],
    [{ kind: 'freeze-protected', effect: 7 }, 'frozen with unknown-effect: 7'],
    [
      { kind: 'unmatched-session', idleMinutes: 90 },
      'removals held: an in-use session matches no member',
    ],
    [{ kind: 'floor', idleMinutes: 1 }, 'removal would break the floor'],
  ])('renders %j', (reason, text) => {
    expect(describeReason(reason)).toBe(text);
  });
});
