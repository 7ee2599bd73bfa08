import { describe, expect, it } from 'vitest';
import type { AppServer, SessionInfo } from '../../../lib/huawei/schemas.ts';
import { describeUnmatched, isInUse, joinSessions } from '../../../lib/scaling/session-join.ts';
import { omit, serverFactory, sessionFactory } from '../../helpers/factories.ts';

/** A server with all three join keys. */
const server = (n: number, overrides: Partial<AppServer> = {}): AppServer =>
  serverFactory({
    id: `srv-${n}`,
    machine_name: `APS-${n}`,
    sid: `S-1-5-21-${n}`,
    host_address: [{ addr: `10.0.0.${n}` }],
    ...overrides,
  });

/** A session carrying only the keys given (the factory's defaults are dropped). */
function session(keys: Partial<SessionInfo>, state = 'Active'): SessionInfo {
  const base = omit(sessionFactory({ session_state: state }), 'machine_name', 'vm_ip');
  return { ...base, ...keys };
}

describe('joinSessions', () => {
  const a = server(1);
  const b = server(2);

  it.each<[string, Partial<SessionInfo>, AppServer | undefined]>([
    ['machine_name', { machine_name: 'APS-1' }, a],
    ['machine_sid ↔ sid', { machine_sid: 'S-1-5-21-2' }, b],
    ['vm_ip ↔ host_address[].addr', { vm_ip: '10.0.0.1' }, a],
    [
      'machine_name first, even when the sid names another member',
      { machine_name: 'APS-1', machine_sid: 'S-1-5-21-2' },
      a,
    ],
    [
      'the sid when the machine_name names no member',
      { machine_name: 'WIN-X', machine_sid: 'S-1-5-21-2', vm_ip: '10.0.0.1' },
      b,
    ],
    [
      'the address when neither name nor sid names a member',
      { machine_name: 'WIN-X', machine_sid: 'S-X', vm_ip: '10.0.0.2' },
      b,
    ],
    [
      'no member when no key matches',
      { machine_name: 'WIN-X', machine_sid: 'S-X', vm_ip: '10.9.9.9' },
      undefined,
    ],
    ['no member when the session has no key', {}, undefined],
    ['no member for an empty machine_name', { machine_name: '' }, undefined],
  ])('joins by %s', (_name, keys, expected) => {
    const s = session(keys);
    const join = joinSessions([a, b], [s]);
    expect(join.of(a)).toEqual(expected === a ? [s] : []);
    expect(join.of(b)).toEqual(expected === b ? [s] : []);
    expect(join.unmatchedInUse).toEqual(expected === undefined ? [s] : []);
  });

  it('joins a key shared by two members to both', () => {
    const twin = server(3, { machine_name: 'APS-1' });
    const s = session({ machine_name: 'APS-1' });
    const join = joinSessions([a, twin], [s]);
    expect(join.of(a)).toEqual([s]);
    expect(join.of(twin)).toEqual([s]);
  });

  it('finds a re-read server by its own keys (the pipeline re-check)', () => {
    const s = session({ machine_sid: 'S-1-5-21-1' });
    const join = joinSessions([a], [s]);
    expect(join.of(omit(a, 'machine_name', 'host_address'))).toEqual([s]);
    expect(join.of(omit(a, 'sid'))).toEqual([]);
  });

  it('gives a re-read server the unmatched sessions that name its new keys', () => {
    const s = session({ machine_sid: 'S-NEW' });
    const join = joinSessions([a], [s]);
    expect(join.of(a)).toEqual([]);
    expect(join.unmatchedInUse).toEqual([s]);
    expect(join.of({ ...a, sid: 'S-NEW' })).toEqual([s]);
  });

  it.each<[string, string | undefined, boolean]>([
    ['Active', 'Active', true],
    ['Disconnected', 'Disconnected', true],
    ['AppcInit', 'AppcInit', true],
    ['an unknown state', 'Hibernating', true],
    ['no state', undefined, true],
    ['SignedOut', 'SignedOut', false],
    ['InitFail', 'InitFail', false],
  ])('counts an unmatched session in state %s as in use: %s', (_name, state, inUse) => {
    const s = session({ machine_name: 'WIN-GONE' });
    if (state === undefined) delete s.session_state;
    else s.session_state = state;
    expect(isInUse(s)).toBe(inUse);
    expect(joinSessions([a], [s]).unmatchedInUse).toEqual(inUse ? [s] : []);
  });
});

describe('describeUnmatched', () => {
  it('names the smallest session id with its keys and how many more there are', () => {
    const later = { ...session({ machine_name: 'WIN-B' }), id: 'ses-b' };
    const first = { ...session({ vm_ip: '10.9.9.9' }, 'Disconnected'), id: 'ses-a' };
    expect(describeUnmatched([later, first])).toBe(
      'session ses-a (Disconnected; machine_name missing, machine_sid missing, vm_ip 10.9.9.9) matches no member (and 1 more)',
    );
    expect(describeUnmatched([])).toBeUndefined();
  });
});
