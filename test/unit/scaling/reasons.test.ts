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
    [{ kind: 'floor', idleMinutes: 1 }, 'removal would break the floor'],
  ])('renders %j', (reason, text) => {
    expect(describeReason(reason)).toBe(text);
  });
});
