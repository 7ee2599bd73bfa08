import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ApsClient, createApsClient } from '../../../lib/huawei/aps-client.ts';
import { createEcsClient, type EcsClient } from '../../../lib/huawei/ecs-client.ts';
import type { HttpCore } from '../../../lib/huawei/http.ts';
import { HUAWEI_OPERATIONS, iamPolicyOf, operationOf } from '../../../lib/huawei/operations.ts';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const POLICY = JSON.parse(read('docs/huawei-iam-policy.json')) as ReturnType<typeof iamPolicyOf>;
const POLICY_ACTIONS = POLICY.Statement.flatMap((s) => s.Action);

/** An HTTP core that answers every request with one body fitting any client method, and records it. */
function recordingCore(calls: { method: string; path: string }[]): HttpCore {
  const answer = {
    count: 0,
    items: [],
    server_groups: [],
    server_group: { id: 'g', name: 'g', members: [] },
    server: { id: 'instance-1' },
    job_id: 'job-1',
    status: 'SUCCESS',
  };
  return {
    async request(req: { method: string; path: string }) {
      calls.push({ method: req.method, path: req.path });
      return { status: 200, data: answer as never, requestId: 'r-1' };
    },
    stats: { requests: 0, retries: 0, throttled: 0 } as unknown as HttpCore['stats'],
  };
}

/** One call of every client method: a method without one fails the test below. */
const APS_CALLS: { [K in keyof ApsClient]: (aps: ApsClient) => Promise<unknown> } = {
  listServerGroups: async (aps) => {
    for await (const _ of aps.listServerGroups());
  },
  getServerGroup: (aps) => aps.getServerGroup('sg-1'),
  listServers: (aps) => aps.listServers({ serverGroupId: 'sg-1' }),
  listSessions: (aps) => aps.listSessions({ begin: new Date(0), end: new Date(1) }),
  getServer: (aps) => aps.getServer('srv-1'),
  batchDeleteServers: (aps) => aps.batchDeleteServers(['srv-1']),
  getJob: (aps) => aps.getJob('job-1'),
  batchSetMaintenance: (aps) => aps.batchSetMaintenance(['srv-1'], true),
  logoffSessions: (aps) =>
    aps.logoffSessions({ sessionIds: ['s-1'], message: 'bye', delaySeconds: 300 }),
};
const ECS_CALLS: { [K in keyof EcsClient]: (ecs: EcsClient) => Promise<unknown> } = {
  removeMember: (ecs) => ecs.removeMember('ecs-group-1', 'instance-1'),
  showServerGroup: (ecs) => ecs.showServerGroup('ecs-group-1'),
  serverGroupsOf: (ecs) => ecs.serverGroupsOf('instance-1'),
  listServerGroups: async (ecs) => {
    for await (const _ of ecs.listServerGroups());
  },
};

async function callsOfEveryMethod() {
  const calls: { method: string; path: string }[] = [];
  const options = { http: recordingCore(calls), endpoint: 'https://x', projectId: 'p-1' };
  const aps = createApsClient(options);
  const ecs = createEcsClient(options);
  expect(Object.keys(aps).sort()).toEqual(Object.keys(APS_CALLS).sort());
  expect(Object.keys(ecs).sort()).toEqual(Object.keys(ECS_CALLS).sort());
  for (const call of Object.values(APS_CALLS)) await call(aps);
  for (const call of Object.values(ECS_CALLS)) await call(ecs);
  return calls;
}

describe('the Huawei operations the clients call', () => {
  it('are each in the operation list, and the policy file allows each one', async () => {
    const calls = await callsOfEveryMethod();
    expect(calls.length).toBeGreaterThanOrEqual(Object.keys(APS_CALLS).length);
    for (const { method, path } of calls) {
      const op = operationOf(method, path);
      expect(op, `${method} ${path} is not in lib/huawei/operations.ts`).toBeDefined();
      expect(POLICY_ACTIONS, `${method} ${path}`).toContain(op?.action);
    }
  });

  it('lists no operation that no client calls', async () => {
    const used = new Set((await callsOfEveryMethod()).map((c) => operationOf(c.method, c.path)));
    expect(HUAWEI_OPERATIONS.filter((op) => !used.has(op))).toEqual([]);
  });

  it('docs/huawei-iam-policy.json is the policy of the list, the log-off action in it', () => {
    expect(POLICY).toEqual(iamPolicyOf());
    expect(POLICY_ACTIONS).toContain('workspace:session:logoffUserSession');
  });

  it('docs/huawei-api.md names the source page of every action', () => {
    const api = read('docs/huawei-api.md');
    for (const op of HUAWEI_OPERATIONS) {
      expect(api).toMatch(
        new RegExp(`\`${op.action}\`[^\\n]*\`(api-workspace|api-ecs)/\\w+\\.html\``),
      );
    }
  });

  it('the IAM table of docs/deploying.md is the list, row by row', () => {
    const rows = read('docs/deploying.md')
      .split('\n')
      .filter((line) => /^\| (APS|ECS) \|/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    expect(rows.map((r) => [r[1], r[3], r[4]])).toEqual(
      HUAWEI_OPERATIONS.map((op) => [
        op.service,
        `\`${op.method} ${op.path}\``,
        `\`${op.action}\``,
      ]),
    );
  });
});
