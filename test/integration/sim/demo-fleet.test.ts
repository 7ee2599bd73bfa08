import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppServer,
  AppServerSchema,
  JobSchema,
  ListAppServersResponseSchema,
  ListEcsServerGroupsResponseSchema,
  ListServerGroupsResponseSchema,
  ListSessionsResponseSchema,
  type ServerGroup,
  ServerGroupSchema,
  type SessionInfo,
  ShowEcsServerGroupResponseSchema,
} from '../../../lib/huawei/schemas.ts';
import { DEMO_FLEET_PATH, loadFleetFile } from '../../../sim/index.ts';
import { openSim, type SimHarness } from './harness.ts';

const PROTECT = 'aps-autoscaler:protect';
const LIMITS = { minServers: 1, maxRemovals: 10 };

type Outcome =
  | { kind: 'skip'; reason: string }
  | { kind: 'scale-out'; recommend: number }
  | { kind: 'scale-in' | 'steady'; remove: string[]; kept: Record<string, string> };

/**
 * A compact reading of the evaluation rules (README.md, "How it decides"), used only to check
 * that the demo fleet exercises what sim/README.md says it does.
 */
function oracle(
  g: ServerGroup,
  members: AppServer[],
  sessions: SessionInfo[],
  now: number,
): Outcome {
  const p = g.scaling_policy;
  const bySession = p?.scaling_policy_by_session;
  if (!p || p.enable === false || !bySession) return { kind: 'skip', reason: 'policy-disabled' };
  if (g.server_group_status === false) return { kind: 'skip', reason: 'group-disabled' };
  if (g.tags?.some((t) => t.key === PROTECT)) return { kind: 'skip', reason: 'protected' };
  const inRange = (v: number | undefined, min: number, max: number) =>
    v !== undefined && v >= min && v <= max;
  const threshold = bySession.session_usage_threshold;
  const idleMinutes = bySession.shrink_after_session_idle_minutes;
  if (
    !inRange(p.max_scaling_amount, 1, 100) ||
    !inRange(p.single_expansion_count, 1, 10) ||
    !inRange(threshold, 1, 100) ||
    !inRange(idleMinutes, 1, Number.MAX_SAFE_INTEGER)
  ) {
    return { kind: 'skip', reason: 'invalid-policy' };
  }
  const s = Math.max(1, g.product_info?.sessions ?? 1);
  const inService = (m: AppServer) =>
    m.status === 'REGISTERED' && m.vm_status === 'ACTIVE' && m.maintain_status === false;
  const n = members.filter(inService).length;
  const used = members.reduce((sum, m) => sum + (m.session_count ?? 0), 0);
  const usage = (count: number) => (count === 0 ? 0 : (100 * used) / (count * s));
  if (usage(n) >= (threshold as number)) {
    const auto = members.filter((m) => m.scaling_auto_create).length;
    return {
      kind: 'scale-out',
      recommend: Math.max(
        0,
        Math.min(p.single_expansion_count as number, (p.max_scaling_amount as number) - auto),
      ),
    };
  }
  const reasons: Record<string, string> = {};
  const lastActivity = new Map<string, number>();
  for (const m of members) {
    const own = sessions.filter((x) => x.machine_name === m.machine_name);
    const last = Math.max(
      Date.parse(m.create_time ?? ''),
      ...own.map((x) => Date.parse(x.end_time ?? x.last_update_status_time ?? x.start_time ?? '')),
    );
    lastActivity.set(m.id, last);
    if (!inService(m)) reasons[m.id] = 'not-in-service';
    else if ((m.session_count ?? 0) > 0) reasons[m.id] = 'busy';
    else if (
      own.some((x) => ['Active', 'Disconnected', 'AppcInit'].includes(x.session_state ?? ''))
    )
      reasons[m.id] = 'active-session';
    else if (m.job_status === 'RUNNING' || m.job_status === 'WAITING')
      reasons[m.id] = 'job-running';
    else if (![undefined, null, '', 'null'].includes(m.task_status as string | null | undefined))
      reasons[m.id] = 'task-running';
    else if (m.freeze?.some((f) => f.effect === 2)) reasons[m.id] = 'freeze-protected';
    else if (m.tags?.some((t) => t.key === PROTECT)) reasons[m.id] = 'protected';
    else if (!(last <= now - (idleMinutes as number) * 60_000)) reasons[m.id] = 'recently-used';
  }
  const candidates = members
    .filter((m) => reasons[m.id] === undefined)
    .sort(
      (a, b) =>
        (lastActivity.get(a.id) as number) - (lastActivity.get(b.id) as number) ||
        a.id.localeCompare(b.id),
    );
  const allowed = (k: number) =>
    k <= candidates.length &&
    k <= LIMITS.maxRemovals &&
    n - k >= LIMITS.minServers &&
    usage(n - k) < (threshold as number);
  let k = 0;
  while (allowed(k + 1)) k += 1;
  for (const m of candidates.slice(k)) {
    reasons[m.id] = n - (k + 1) < LIMITS.minServers ? 'kept-by-floor' : 'kept-by-anti-flap';
  }
  return {
    kind: k > 0 ? 'scale-in' : 'steady',
    remove: candidates.slice(0, k).map((m) => m.id),
    kept: reasons,
  };
}

describe('demo fleet', () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await openSim({ fleet: DEMO_FLEET_PATH });
  });
  afterAll(() => h.close());

  const listAll = async <T>(
    path: string,
    query: Record<string, string>,
    parse: (json: unknown) => { count: number; items: T[] },
  ) => {
    const items: T[] = [];
    for (let offset = 0; ; offset += 100) {
      const reply = await h.call({
        path: `${h.v1}/${path}`,
        query: { ...query, offset: String(offset), limit: '100' },
      });
      expect(reply.status).toBe(200);
      const body = parse(reply.json);
      items.push(...body.items);
      if (offset + 100 >= body.count) return items;
    }
  };
  const now = Date.parse('2026-01-01T12:00:00.000Z');
  const window = {
    query_begin_time: '2025-12-31T12:00:00.000Z',
    query_end_time: '2026-01-01T12:00:00.000Z',
  };

  it('validates as a fleet and has 8 groups and 31 servers', () => {
    const fleet = loadFleetFile(DEMO_FLEET_PATH);
    expect(fleet.now).toBe('2026-01-01T12:00:00.000Z');
    expect(fleet.groups).toHaveLength(8);
    expect(fleet.servers).toHaveLength(31);
  });

  it('serves groups, servers, sessions, ECS groups and jobs that parse with the project schemas', async () => {
    const groups = await listAll('app-server-groups', {}, (j) =>
      ListServerGroupsResponseSchema.parse(j),
    );
    expect(groups).toHaveLength(8);
    for (const g of groups) {
      ListAppServersResponseSchema.parse(
        (
          await h.call({
            path: `${h.v1}/app-servers`,
            query: { server_group_id: g.id, limit: 100 },
          })
        ).json,
      );
      ServerGroupSchema.parse((await h.call({ path: `${h.v1}/app-server-groups/${g.id}` })).json);
      // An APS group id is not an ECS group id.
      const byApsId = await h.call({ path: `${h.v1}/cloudservers/os-server-groups/${g.id}` });
      expect(byApsId.status).toBe(404);
    }
    const ecsList = ListEcsServerGroupsResponseSchema.parse(
      (await h.call({ path: `${h.v1}/cloudservers/os-server-groups`, query: { limit: 100 } })).json,
    );
    expect(ecsList.server_groups).toHaveLength(8);
    for (const e of ecsList.server_groups) {
      expect(groups.map((g) => g.id)).not.toContain(e.id);
      expect(e.policies).toEqual(['anti-affinity']);
      const shown = ShowEcsServerGroupResponseSchema.parse(
        (await h.call({ path: `${h.v1}/cloudservers/os-server-groups/${e.id}` })).json,
      );
      expect(shown.server_group.members).toEqual(e.members);
    }
    // Every instance but srv-fl-idle-b's is in exactly one ECS group.
    const members = ecsList.server_groups.flatMap((e) => e.members);
    expect(members).toHaveLength(30);
    expect(new Set(members).size).toBe(30);
    expect(members).not.toContain('5ca1ab1e-0007-4000-8000-000000000002');
    const servers = await listAll('app-servers', {}, (j) => ListAppServersResponseSchema.parse(j));
    expect(servers).toHaveLength(31);
    for (const s of servers) {
      AppServerSchema.parse((await h.call({ path: `${h.v1}/app-servers/${s.id}` })).json);
    }
    const sessions = await listAll('session/list-sessions', window, (j) =>
      ListSessionsResponseSchema.parse(j),
    );
    expect(sessions).toHaveLength(19);
    const del = await h.call({ method: 'DELETE', path: `${h.v1}/app-servers/srv-po-idle-3` });
    const job = await h.call({
      path: `/v2/${h.sim.projectId}/job/${(del.json as { job_id: string }).job_id}`,
    });
    JobSchema.parse(job.json);
    h.sim.reset();
  });

  it('exercises every decision and member reason, as sim/README.md lists them', async () => {
    const groups = await listAll('app-server-groups', {}, (j) =>
      ListServerGroupsResponseSchema.parse(j),
    );
    const outcomes: Record<string, Outcome> = {};
    for (const g of groups) {
      const members = await listAll('app-servers', { server_group_id: g.id }, (j) =>
        ListAppServersResponseSchema.parse(j),
      );
      const sessions = await listAll(
        'session/list-sessions',
        { ...window, app_server_group_id: g.id },
        (j) => ListSessionsResponseSchema.parse(j),
      );
      outcomes[g.id] = oracle(g, members, sessions, now);
    }
    expect(outcomes).toEqual({
      'sg-policy-off': { kind: 'skip', reason: 'policy-disabled' },
      'sg-disabled': { kind: 'skip', reason: 'group-disabled' },
      'sg-protected': { kind: 'skip', reason: 'protected' },
      'sg-invalid-policy': { kind: 'skip', reason: 'invalid-policy' },
      'sg-scale-out': { kind: 'scale-out', recommend: 2 },
      'sg-scale-in': {
        kind: 'scale-in',
        remove: ['srv-si-idle-1'],
        kept: {
          'srv-si-busy': 'busy',
          'srv-si-disconnected': 'active-session',
          'srv-si-recent': 'recently-used',
          'srv-si-idle-2': 'kept-by-anti-flap',
          'srv-si-maintenance': 'not-in-service',
        },
      },
      'sg-floor': {
        kind: 'scale-in',
        remove: ['srv-fl-idle-a', 'srv-fl-idle-b'],
        kept: { 'srv-fl-idle-c': 'kept-by-floor', 'srv-fl-maintenance': 'not-in-service' },
      },
      'sg-steady': {
        kind: 'steady',
        remove: [],
        kept: {
          'srv-st-busy': 'busy',
          'srv-st-job-running': 'job-running',
          'srv-st-frozen': 'freeze-protected',
          'srv-st-protected': 'protected',
          'srv-st-task-running': 'task-running',
        },
      },
    });
  });

  it('keeps every skip group removable but for its skip reason', async () => {
    for (const id of ['sg-policy-off', 'sg-disabled', 'sg-protected', 'sg-invalid-policy']) {
      const members = h.sim.state.membersOf(id);
      expect(members).toHaveLength(3);
      for (const m of members)
        expect(m).toMatchObject({ session_count: 0, maintain_status: false, status: 'REGISTERED' });
    }
  });
});
