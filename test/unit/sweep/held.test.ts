import { beforeEach, describe, expect, it } from 'vitest';
import type { AppServer, SessionInfo } from '../../../lib/huawei/schemas.ts';
import { createEcsGroupResolver } from '../../../lib/removal/actuation/ecs-groups.ts';
import { fetchAndEvaluate } from '../../../lib/removal/plan/plan-group.ts';
import { assessMember } from '../../../lib/scaling/idle.ts';
import { joinSessions } from '../../../lib/scaling/session-join.ts';
import type { HeldGroup } from '../../../lib/sweep/held.ts';
import {
  heldServer,
  heldSession,
  keepForActing,
  narrowEcsLookups,
} from '../../../lib/sweep/held.ts';
import {
  FACTORY_EPOCH,
  isoAt,
  resetFactorySequences,
  serverFactory,
  serverGroupFactory,
  sessionFactory,
} from '../../helpers/factories.ts';
import {
  createFakeServices,
  ecsGroupIdOf,
  FAKE_NOW,
  fakeSettings,
} from '../../helpers/fake-services.ts';

beforeEach(() => resetFactorySequences());

const HOUR = 3_600_000;

/**
 * One group of five idle members, each joined to its sessions by a different
 * key (machine_name, sid only, address only), sessions with only some times,
 * and one member busy enough to stay: the evaluation chooses four.
 */
function fleet() {
  const group = serverGroupFactory();
  const at = (hours: number) => isoAt(FACTORY_EPOCH + hours * HOUR);
  const servers: AppServer[] = [
    serverFactory({ server_group_id: group.id, machine_name: 'APS-A' }),
    // Joined by sid alone.
    serverFactory({ server_group_id: group.id, machine_name: '', sid: 'S-B' }),
    // Joined by address alone; charging mode spot.
    serverFactory({
      server_group_id: group.id,
      machine_name: '',
      host_address: [{ addr: '10.0.0.3', version: 4, vpc_id: 'vpc-1' }],
      metadata: { charging_mode: '2', image_id: 'img-1' },
    }),
    serverFactory({ server_group_id: group.id, machine_name: 'APS-D', metadata: null }),
    serverFactory({ server_group_id: group.id, machine_name: 'APS-E' }),
  ];
  const sessions: SessionInfo[] = [
    sessionFactory({ app_server_group_id: group.id, machine_name: 'APS-A', end_time: at(2) }),
    // Only a start time: its idle time is measured from it.
    sessionFactory({
      app_server_group_id: group.id,
      machine_name: 'zz',
      machine_sid: 'S-B',
      end_time: null,
      last_update_status_time: null,
      start_time: at(3),
    }),
    // Joins by sid before address: the sid's member's, never the address's.
    sessionFactory({
      app_server_group_id: group.id,
      machine_name: 'ww',
      machine_sid: 'S-B',
      vm_ip: '10.0.0.3',
      end_time: at(22.5),
    }),
    // Only a status time.
    sessionFactory({
      app_server_group_id: group.id,
      machine_name: 'yy',
      vm_ip: '10.0.0.3',
      end_time: null,
      last_update_status_time: at(4),
    }),
    // Ended an hour ago on the least idle member, which the floor keeps.
    sessionFactory({ app_server_group_id: group.id, machine_name: 'APS-E', end_time: at(23) }),
    // Joins no member at all.
    sessionFactory({ app_server_group_id: group.id, machine_name: 'nobody', vm_ip: '10.9.9.9' }),
  ];
  return { group, servers, sessions };
}

async function evaluated() {
  const { group, servers, sessions } = fleet();
  const fake = createFakeServices({ groups: [group], servers, sessions });
  const evaluation = await fetchAndEvaluate(group, fake.services, fakeSettings());
  if (evaluation.decision.kind !== 'scale-in') throw new Error('expected a scale-in');
  return { evaluation: evaluation as HeldGroup['evaluation'], fake, servers, sessions };
}

describe('keepForActing', () => {
  it('keeps the chosen servers and their joined sessions, with only the fields acting reads', async () => {
    const { evaluation } = await evaluated();
    const held = keepForActing(evaluation);
    const chosen = evaluation.decision.remove.map((r) => r.serverId);
    expect(chosen).toHaveLength(4);
    expect(held.servers.map((s) => s.id).sort()).toEqual([...chosen].sort());
    expect(held.decision.members).toEqual([]);
    expect(held.decision.remove).toEqual(evaluation.decision.remove);
    for (const server of held.servers) {
      expect(
        Object.keys(server).every((k) =>
          ['id', 'machine_name', 'sid', 'host_address', 'metadata'].includes(k),
        ),
      ).toBe(true);
    }
    const spot = held.servers.find((s) => s.host_address !== undefined);
    expect(spot?.host_address).toEqual([{ addr: '10.0.0.3' }]);
    expect(spot?.metadata).toEqual({ charging_mode: '2' });
    expect(held.servers.find((s) => s.machine_name === 'APS-D')?.metadata).toBeNull();
    // The four joined sessions, by name, sid and address; none of another member or of nobody.
    expect(held.sessions?.map((s) => s.machine_name).sort()).toEqual(['APS-A', 'ww', 'yy', 'zz']);
    for (const session of held.sessions ?? []) {
      expect(session).not.toHaveProperty('login_user');
      expect(session).not.toHaveProperty('app_server_group_id');
    }
  });

  it('keeps the chosen servers and the listing, but no session, when the drain is on', async () => {
    const { evaluation } = await evaluated();
    const held = keepForActing(evaluation, { replanned: true });
    const ids = (list: readonly { id?: string; serverId?: string }[]) =>
      list.map((x) => x.id ?? x.serverId).sort();
    expect(ids(held.servers)).toEqual(ids(evaluation.decision.remove));
    expect(held.listed).toEqual(evaluation.listed);
    expect(held.sessions).toBeUndefined();
    // Of a server only its id and charging mode: the drain start reads no more, the re-check reads afresh.
    expect(held.servers.find((s) => s.metadata?.['charging_mode'] === '2')).toEqual({
      id: expect.any(String),
      metadata: { charging_mode: '2' },
    });
    for (const server of held.servers) {
      expect(Object.keys(server).every((k) => ['id', 'metadata'].includes(k))).toBe(true);
    }
    expect(held.servers.filter((s) => s.metadata === null)).toHaveLength(1);
    expect(held.decision.members).toEqual([]);
    expect(held.decision.remove).toEqual(evaluation.decision.remove);
    const { id, name, scaling_policy } = evaluation.group;
    expect(held.group).toEqual({ id, name, scaling_policy });
  });

  it('the re-check before acting judges every chosen server as the whole listing would', async () => {
    const { evaluation, servers, sessions } = await evaluated();
    const held = keepForActing(evaluation);
    const whole = joinSessions(servers, sessions);
    const kept = joinSessions(held.servers, held.sessions ?? []);
    // As re-read: the same server, and the same server under new keys.
    const fresh = servers
      .filter((s) => held.servers.some((h) => h.id === s.id))
      .flatMap((s) => [s, { ...s, machine_name: 'renamed' }, { ...s, sid: 'S-B' }]);
    for (const server of fresh) {
      const judge = (of: readonly SessionInfo[]) =>
        assessMember(server, of, FAKE_NOW, 60, 'protect');
      expect(judge(kept.of(server))).toEqual(judge(whole.of(server)));
    }
    // The times that decide: each session's own (end, status, else start).
    const idle = servers
      .slice(0, 3)
      .map((s) => assessMember(s, kept.of(s), FAKE_NOW, 60, 'protect'));
    expect(idle.map((r) => r.kind)).toEqual(['idle', 'idle', 'idle']);
    expect(idle.map((r) => ('idleMinutes' in r ? Math.round(r.idleMinutes) : 0))).toEqual([
      22 * 60,
      90,
      20 * 60,
    ]);
  });

  it('a field a server or session does not have stays absent', () => {
    expect(heldServer(serverFactory({ metadata: undefined, host_address: undefined }))).toEqual({
      id: expect.any(String),
      machine_name: expect.any(String),
    });
    const session = heldSession({ id: 's-1', session_state: 'SignedOut' });
    expect(session).toEqual({ id: 's-1', session_state: 'SignedOut' });
    expect(Object.keys(session)).toEqual(['id', 'session_state']);
  });

  it('a session keeps only the time the idle rules read: end, else status update, else start', () => {
    const times = { end_time: 'e', last_update_status_time: 'u', start_time: 's' };
    expect(heldSession({ id: '1', ...times })).toEqual({ id: '1', end_time: 'e' });
    expect(heldSession({ id: '2', ...times, end_time: null })).toEqual({
      id: '2',
      last_update_status_time: 'u',
    });
    expect(
      heldSession({ id: '3', ...times, end_time: null, last_update_status_time: null }),
    ).toEqual({ id: '3', start_time: 's' });
  });
});

describe('narrowEcsLookups', () => {
  it('indexes only the instances the held groups remove; another instance is looked up in its own record', async () => {
    const { evaluation, fake } = await evaluated();
    const services = { ...fake.services, ecsGroupsOf: createEcsGroupResolver(fake.services.ecs) };
    const group: HeldGroup = {
      projectId: 'p-1',
      services,
      evaluation: keepForActing(evaluation),
      report: {} as HeldGroup['report'],
      end: (r) => r,
    };
    const held = [group];
    narrowEcsLookups(held);
    const narrowed = held[0]?.services;
    expect(narrowed).not.toBe(services);
    const ecsGroupsOf = narrowed?.ecsGroupsOf;
    if (ecsGroupsOf === undefined) throw new Error('no resolver');
    const apsGroup = evaluation.group.id;
    for (const removal of evaluation.decision.remove) {
      expect(await ecsGroupsOf(removal.instanceId as string)).toEqual([ecsGroupIdOf(apsGroup)]);
    }
    expect(fake.calls.filter((c) => c === 'listEcsServerGroups')).toHaveLength(1);
    // The member the sweep keeps is no wanted instance: answered by its own record.
    const kept = [...fake.servers.values()].find(
      (s) => !evaluation.decision.remove.some((r) => r.serverId === s.id),
    );
    expect(await ecsGroupsOf(kept?.instance_id as string)).toEqual([ecsGroupIdOf(apsGroup)]);
    expect(fake.calls.filter((c) => c === 'listEcsServerGroups')).toHaveLength(1);
    expect(fake.calls.filter((c) => c === 'showEcsServer')).toHaveLength(1);
  });

  it('leaves services without a shared resolver as they are', async () => {
    const { evaluation, fake } = await evaluated();
    const held: HeldGroup[] = [
      {
        projectId: 'p-1',
        services: fake.services,
        evaluation: keepForActing(evaluation),
        report: {} as HeldGroup['report'],
        end: (r) => r,
      },
    ];
    narrowEcsLookups(held);
    expect(held[0]?.services).toBe(fake.services);
  });
});
