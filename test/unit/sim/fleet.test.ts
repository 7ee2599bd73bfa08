import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FleetValidationError,
  generateFleet,
  loadFleetFile,
  parseFleet,
  SimState,
  shiftFleet,
} from '../../../sim/index.ts';

const base = {
  projectId: 'p0',
  now: '2026-01-01T12:00:00.000Z',
  groups: [{ id: 'g1', name: 'one' }],
  servers: [
    {
      id: 's1',
      machine_name: 'APS-1',
      instance_id: 'i-1',
      server_group_id: 'g1',
      create_time: '2025-12-01T00:00:00Z',
    },
  ],
  sessions: [
    {
      id: 'x1',
      machine_name: 'APS-1',
      session_state: 'SignedOut',
      start_time: '2026-01-01T10:00:00Z',
    },
  ],
};

function messageOf(input: unknown): string {
  try {
    parseFleet(input);
  } catch (error) {
    expect(error).toBeInstanceOf(FleetValidationError);
    return (error as Error).message;
  }
  throw new Error('expected the fleet to be rejected');
}

describe('parseFleet', () => {
  it('accepts a minimal fleet', () => {
    expect(parseFleet(base).servers[0]?.id).toBe('s1');
  });

  it.each([
    [
      'a wrong type deep in a group',
      { ...base, groups: [{ id: 'g1', name: 'one', scaling_policy: { enable: 'yes' } }] },
      'groups[0].scaling_policy.enable',
    ],
    [
      'a string session_count',
      { ...base, servers: [{ ...base.servers[0], session_count: '1' }] },
      'servers[0].session_count',
    ],
    [
      'a bad instant',
      { ...base, sessions: [{ ...base.sessions[0], start_time: 'yesterday' }] },
      'sessions[0].start_time',
    ],
    [
      'an unknown server group',
      { ...base, servers: [{ ...base.servers[0], server_group_id: 'nope' }] },
      'servers[0].server_group_id: unknown server group "nope"',
    ],
    [
      'a duplicate machine name',
      {
        ...base,
        servers: [base.servers[0], { ...base.servers[0], id: 's2', instance_id: 'i-2' }],
      },
      'servers[1].machine_name: duplicate machine_name',
    ],
    ['a missing projectId', { ...base, projectId: undefined }, 'projectId'],
    ['an unknown top-level key', { ...base, server: [] }, 'Unrecognized key: "server"'],
  ])('names the path of %s', (_name, input, fragment) => {
    expect(messageOf(input)).toContain(fragment);
  });
});

describe('loadFleetFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-fleet-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file when it is not JSON', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"projectId": ');
    expect(() => loadFleetFile(path)).toThrow(`${path} is not valid JSON`);
  });

  it('names the file and the path when a field is wrong', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ ...base, now: 'soon' }));
    expect(() => loadFleetFile(path)).toThrow(`${path} is not a valid fleet: now:`);
  });
});

describe('shiftFleet', () => {
  it('moves every timestamp and now by the same delta', () => {
    const shifted = shiftFleet(parseFleet(base), 3_600_000);
    expect(shifted.now).toBe('2026-01-01T13:00:00.000Z');
    expect(shifted.servers[0]?.create_time).toBe('2025-12-01T01:00:00.000Z');
    expect(shifted.sessions?.[0]?.start_time).toBe('2026-01-01T11:00:00.000Z');
  });
});

describe('generateFleet', () => {
  it('gives the same fleet for the same seed and another for another seed', () => {
    const a = generateFleet({ groups: 20, serversPerGroup: 5, seed: 9 });
    const b = generateFleet({ groups: 20, serversPerGroup: 5, seed: 9 });
    const c = generateFleet({ groups: 20, serversPerGroup: 5, seed: 10 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('produces a fleet that passes the fleet schema', () => {
    const fleet = generateFleet({ groups: 50, serversPerGroup: 10, seed: 3 });
    expect(() => parseFleet(JSON.parse(JSON.stringify(fleet)))).not.toThrow();
    expect(fleet.groups).toHaveLength(50);
    expect(fleet.servers).toHaveLength(500);
  });

  it('mixes every kind of group and server the evaluation distinguishes', () => {
    const fleet = generateFleet({ groups: 300, serversPerGroup: 10, seed: 5 });
    const kinds = new Set(
      fleet.groups.map((g) => /generated (\S+) group/.exec(g.description ?? '')?.[1]),
    );
    expect([...kinds].sort()).toEqual(
      [
        'group-disabled',
        'invalid-policy',
        'normal',
        'over-threshold',
        'policy-off',
        'protected',
        'secondary',
      ].sort(),
    );
    const servers = fleet.servers;
    const sessions = fleet.sessions ?? [];
    expect(servers.some((s) => (s.session_count ?? 0) > 0)).toBe(true);
    expect(servers.some((s) => s.maintain_status === true)).toBe(true);
    expect(servers.some((s) => s.job_status === 'RUNNING')).toBe(true);
    expect(servers.some((s) => s.freeze?.some((f) => f.effect === 2))).toBe(true);
    expect(servers.some((s) => s.tags?.some((t) => t.key === 'aps-autoscaler:protect'))).toBe(true);
    expect(servers.some((s) => s.scaling_auto_create === true)).toBe(true);
    expect(servers.some((s) => s.status !== 'REGISTERED' || s.vm_status !== 'ACTIVE')).toBe(true);
    for (const state of ['Active', 'Disconnected', 'AppcInit', 'SignedOut']) {
      expect(sessions.some((s) => s.session_state === state)).toBe(true);
    }
    expect(fleet.groups.some((g) => g.scaling_policy === undefined)).toBe(true);
    expect(fleet.groups.some((g) => g.scaling_policy?.enable === false)).toBe(true);
  });

  it('loads into state with the member counts of the fleet', () => {
    const state = new SimState();
    state.load(generateFleet({ groups: 10, serversPerGroup: 7, seed: 1 }));
    expect(state.groups.map((g) => g.app_server_count)).toEqual(Array(10).fill(7));
    expect(state.servers).toHaveLength(70);
  });
});
