import 'aws-sdk-client-mock-vitest/extend';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../../functions/sweep.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import type { Simulator } from '../../../sim/server.ts';
import {
  capturingLogger,
  depsFor,
  mutatingCalls,
  startFrozenSimulator,
} from '../../helpers/stack.ts';

// What the demo fleet must look like after one sweep with the default limits
// (sim/README.md lists the expected decision of every group). Three members
// are planned; srv-fl-idle-b's instance is in no ECS server group.
const PLANNED = ['srv-fl-idle-a', 'srv-fl-idle-b', 'srv-si-idle-1'];
const EXPECTED_REMOVALS = ['srv-fl-idle-a', 'srv-si-idle-1'];
/** The ECS group (its own id, not the APS group id) holding each removed server's instance. */
const ECS_GROUP_OF: Record<string, string> = {
  'srv-fl-idle-a': 'ec5e0000-0007-4000-8000-00000000e0c5',
  'srv-si-idle-1': 'ec5e0000-0006-4000-8000-00000000e0c5',
};
const EXPECTED_DECISIONS = {
  'sg-policy-off': 'skip',
  'sg-disabled': 'skip',
  'sg-protected': 'skip',
  'sg-invalid-policy': 'skip',
  'sg-scale-out': 'scale-out',
  'sg-scale-in': 'scale-in',
  'sg-floor': 'scale-in',
  'sg-steady': 'steady',
};

const removedIds = (report: SweepReport) =>
  report.groups
    .flatMap((g) => g.removals)
    .filter((r) => r.outcome === 'removed')
    .map((r) => r.serverId)
    .sort();

describe('sweep handler against the simulator', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startFrozenSimulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  const sweep = (
    env: Record<string, string> = {},
    event: unknown = loadEvent('schedule.json'),
    extra = {},
  ) => {
    const { logger, logs } = capturingLogger();
    const handler = createSweepHandler({ ...depsFor(sim, { env, logger }), ...extra });
    return {
      logs,
      run: () =>
        handler(event, fakeContext({ remainingMs: 60_000, now: () => sim.now().getTime() })),
    };
  };

  it('takes the demo fleet to exactly the expected state', async () => {
    const report = await sweep().run();
    expect(report.status).toBe('completed');
    expect(Object.fromEntries(report.groups.map((g) => [g.serverGroupId, g.decision]))).toEqual(
      EXPECTED_DECISIONS,
    );
    expect(removedIds(report)).toEqual(EXPECTED_REMOVALS);
    for (const id of EXPECTED_REMOVALS)
      expect(sim.state.getServer(id)?.server_group_id).not.toBe(
        ['srv-si-idle-1'].includes(id) ? 'sg-scale-in' : 'sg-floor',
      );
    expect(
      sim.state
        .membersOf('sg-floor')
        .map((s) => s.id)
        .sort(),
    ).toEqual(['srv-fl-idle-b', 'srv-fl-idle-c', 'srv-fl-maintenance']);
    expect(sim.state.membersOf('sg-scale-in')).toHaveLength(5);
    // Each remove_member went to the ECS group holding the instance, never to an APS group id.
    const removals = mutatingCalls(sim);
    expect(removals.map((c) => [c.route, c.status, c.path]).sort()).toEqual(
      EXPECTED_REMOVALS.map((id) => [
        'ecsAction',
        200,
        `/v1/${sim.projectId}/cloudservers/os-server-groups/${ECS_GROUP_OF[id]}/action`,
      ]).sort(),
    );
    expect(report.totals.outcomes.removed).toBe(2);
    const notInEcs = report.groups
      .flatMap((g) => g.removals)
      .filter((r) => r.outcome === 'not-in-ecs-group');
    expect(notInEcs.map((r) => r.serverId)).toEqual(['srv-fl-idle-b']);
    expect(notInEcs[0]?.detail).toMatch(/sg-floor/);
    // One ECS listing for the whole sweep, shared by both acting groups.
    expect(sim.calls.filter((c) => c.route === 'listEcsServerGroups')).toHaveLength(1);
    expect(report.totals.recommendedScaleOut).toBe(2);
    expect(report.requests.requests).toBe(sim.calls.length);
  });

  it('writes one audit line per decision and per removal', async () => {
    const { run, logs } = sweep();
    await run();
    const decisions = logs.lines.filter((l) => l['audit'] === 'decision');
    const removals = logs.lines.filter((l) => l['audit'] === 'removal');
    expect(decisions).toHaveLength(8);
    expect(removals.map((l) => l['serverId']).sort()).toEqual(PLANNED);
    expect(removals[0]).toMatchObject({
      projectId: sim.projectId,
      outcome: 'removed',
      requestId: expect.any(String),
      instanceId: expect.any(String),
      idleMinutes: expect.any(Number),
      policy: { shrinkAfterSessionIdleMinutes: 30 },
    });
  });

  it('makes zero mutating calls in dry-run and reports what it would remove', async () => {
    const report = await sweep({}, loadEvent('schedule-dry-run.json')).run();
    expect(report.dryRun).toBe(true);
    expect(mutatingCalls(sim)).toEqual([]);
    // What an acting run would do: srv-fl-idle-b is in no ECS group (a read-only ECS listing says so).
    expect(report.totals.outcomes['would-remove']).toBe(2);
    expect(report.totals.outcomes['not-in-ecs-group']).toBe(1);
    expect(report.totals.outcomes.removed).toBe(0);
  });

  it('honours DRY_RUN even when the event says dryRun false', async () => {
    const report = await sweep({ DRY_RUN: 'true' }, { detail: { dryRun: false } }).run();
    expect(report.dryRun).toBe(true);
    expect(mutatingCalls(sim)).toEqual([]);
  });

  it('aborts without removing anything when the sweep cap is exceeded', async () => {
    const report = await sweep({ MAX_REMOVALS_PER_SWEEP: '2' }).run();
    expect(report.status).toBe('aborted');
    expect(report.abortReason).toMatch(/3.*2|cap/);
    expect(mutatingCalls(sim)).toEqual([]);
    expect(report.totals.outcomes['skipped-aborted']).toBe(3);
  });

  it('reports a dry run over the cap as aborted, not as what it would remove', async () => {
    const report = await sweep({ MAX_REMOVALS_PER_SWEEP: '2', DRY_RUN: 'true' }).run();
    expect(report.status).toBe('aborted');
    expect(report.totals.outcomes['skipped-aborted']).toBe(3);
    expect(report.totals.outcomes['would-remove']).toBe(0);
    expect(
      report.groups.flatMap((g) => g.removals).every((r) => r.outcome === 'skipped-aborted'),
    ).toBe(true);
    expect(mutatingCalls(sim)).toEqual([]);
  });

  it('skips a removal when the server got a session between evaluation and action', async () => {
    // A user logs on to srv-si-idle-1 just before the pre-removal re-read.
    const racingFetch: typeof fetch = async (input, init) => {
      if (String(input).includes('/app-servers/srv-si-idle-1'))
        sim.state.setSessionCount('srv-si-idle-1', 1);
      return fetch(input, init);
    };
    const report = await sweep({}, loadEvent('schedule.json'), { fetch: racingFetch }).run();
    const removal = report.groups
      .flatMap((g) => g.removals)
      .find((r) => r.serverId === 'srv-si-idle-1');
    expect(removal?.outcome).toBe('skipped-busy');
    expect(sim.state.getServer('srv-si-idle-1')?.server_group_id).toBe('sg-scale-in');
    expect(removedIds(report)).toEqual(['srv-fl-idle-a']);
  });

  it('removes nothing the second time the same sweep runs', async () => {
    await sweep().run();
    const before = mutatingCalls(sim).length;
    const second = await sweep().run();
    expect(mutatingCalls(sim).length).toBe(before);
    // Only the member in no ECS group is planned again, and nothing is called for it.
    expect(second.totals.plannedRemovals).toBe(1);
    expect(second.totals.outcomes['not-in-ecs-group']).toBe(1);
    expect(second.totals.outcomes.removed).toBe(0);
  });

  it('release mode batch-deletes the pay-per-use servers, follows the job and keeps the prepaid one', async () => {
    const report = await sweep({ REMOVAL_MODE: 'release' }).run();
    const released = ['srv-fl-idle-a', 'srv-fl-idle-b'];
    expect(removedIds(report)).toEqual(released);
    const prepaid = report.groups.flatMap((g) => g.removals).filter((r) => r.outcome === 'prepaid');
    expect(prepaid.map((r) => r.serverId)).toEqual(['srv-si-idle-1']);
    expect(sim.state.getServer('srv-si-idle-1')?.server_group_id).toBe('sg-scale-in');
    const mutations = mutatingCalls(sim);
    expect(mutations.length).toBeGreaterThan(0);
    expect(mutations.every((c) => c.route === 'batchDeleteAppServers' && c.status === 200)).toBe(
      true,
    );
    expect(sim.calls.filter((c) => c.route === 'getJob').length).toBeGreaterThanOrEqual(
      mutations.length,
    );
    // Release mode never lists ECS.
    expect(sim.calls.filter((c) => c.route === 'listEcsServerGroups')).toEqual([]);
    for (const id of released) expect(sim.state.getServer(id)).toBeUndefined();
  });

  it('names the scope swept and lists only the configured enterprise project', async () => {
    const plain = await sweep().run();
    expect(plain.scope).toEqual({
      projects: [sim.projectId],
      region: 'cn-north-4',
      enterpriseProjectId: 'default',
    });
    expect(
      sim.calls
        .filter((c) => c.route === 'listServerGroups')
        .every((c) => !c.query.includes('enterprise_project_id')),
    ).toBe(true);
    sim.reset();
    const scoped = await sweep({ ENTERPRISE_PROJECT_ID: 'eps-1234' }).run();
    expect(scoped.scope?.enterpriseProjectId).toBe('eps-1234');
    const listings = sim.calls.filter((c) => c.route === 'listServerGroups');
    expect(listings.length).toBeGreaterThan(0);
    expect(listings.every((c) => c.query.includes('enterprise_project_id=eps-1234'))).toBe(true);
    // No demo group is in that enterprise project: nothing is evaluated or removed.
    expect(scoped.groups).toEqual([]);
    expect(mutatingCalls(sim)).toEqual([]);
  });

  it('removes nothing from a group whose member listing keeps failing', async () => {
    sim.setFaults({ seed: 1, routes: { listAppServers: { error500: 1 } } });
    const { run, logs } = sweep({}, loadEvent('schedule.json'));
    const report = await run();
    expect(mutatingCalls(sim)).toEqual([]);
    const scaleIn = report.groups.find((g) => g.serverGroupId === 'sg-scale-in');
    expect(scaleIn).toMatchObject({ decision: 'skip', reason: 'incomplete-data' });
    expect(scaleIn?.error).toMatch(/500/);
    expect(report.requests.retries).toBeGreaterThan(0);
    // A group skipped on its record stays skipped for its own reason, not failed:
    // only its servers go unnamed, the row says why, and a WARN line names the cause.
    const off = report.groups.find((g) => g.serverGroupId === 'sg-policy-off');
    expect(off).toMatchObject({ decision: 'skip', reason: 'policy-disabled' });
    expect(off?.error).toBeUndefined();
    expect(off?.membersNotListed).toMatch(/500/);
    const warn = logs.lines.find(
      (l) =>
        l['message'] === 'skipped group members not listed' &&
        l['serverGroupId'] === off?.serverGroupId,
    );
    expect(warn?.['level']).toBe('WARN');
    expect(warn?.['error']).toMatch(/500/);
  });

  it('treats every member as not idle when the session listing fails', async () => {
    sim.setFaults({ seed: 1, routes: { listSessions: { error503: 1 } } });
    const report = await sweep().run();
    expect(mutatingCalls(sim)).toEqual([]);
    expect(report.groups.find((g) => g.serverGroupId === 'sg-floor')?.error).toMatch(/503/);
  });

  it('stops starting groups when the invocation runs out of time and names the ones left', async () => {
    // Every request takes one second of a manual clock; 13.5 s budget, a
    // third of it in reserve, one group at a time: the listing, the four
    // groups skipped on their own record (their members listed, to be named;
    // no sessions) and three more fit (a group over its threshold by its
    // members alone lists no sessions).
    let now = sim.now().getTime();
    const slowFetch: typeof fetch = (input, init) => {
      now += 1_000;
      return fetch(input, init);
    };
    const { logger } = capturingLogger();
    const handler = createSweepHandler({
      ...depsFor(sim, { logger, env: { MAX_CONCURRENCY: '1' }, fetch: slowFetch }),
      now: () => now,
    });
    const report = await handler(
      loadEvent('schedule.json'),
      fakeContext({ remainingMs: 13_500, now: () => now }),
    );
    expect(report.status).toBe('partial');
    expect(report.notVisited).toEqual([{ projectId: sim.projectId, serverGroupId: 'sg-steady' }]);
    expect(report.notVisitedCount).toBe(1);
    expect(report.groups).toHaveLength(7);
    // No time is left to act either: the planned removals are reported, not done.
    expect(report.totals.outcomes['skipped-deadline']).toBe(3);
    expect(mutatingCalls(sim)).toEqual([]);
  });

  it('fans out one evaluate-group message per group with SendMessageBatch', async () => {
    const sqsMock = mockClient(SQSClient);
    sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const queue = 'http://127.0.0.1:9324/000000000000/remediation';
    const report = await sweep({ SWEEP_MODE: 'fanout', REMEDIATION_QUEUE_URL: queue }).run();
    expect(report.mode).toBe('fanout');
    expect(report.enqueued).toEqual({ sent: 8, failed: [] });
    expect(sqsMock).toReceiveCommandTimes(SendMessageBatchCommand, 1);
    const entries = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((e) => JSON.parse(e.MessageBody ?? '{}').serverGroupId).sort()).toEqual(
      Object.keys(EXPECTED_DECISIONS).sort(),
    );
    expect(JSON.parse(entries[0]?.MessageBody ?? '{}')).toEqual({
      type: 'evaluate-group',
      projectId: sim.projectId,
      serverGroupId: expect.any(String),
    });
    expect(mutatingCalls(sim)).toEqual([]);
    sqsMock.restore();
  });

  it('rejects a malformed schedule event naming the field, before any request', async () => {
    await expect(
      sweep({}, { detail: { projects: [{ projectId: 'p', region: 'nowhere' }] } }).run(),
    ).rejects.toThrow('detail.projects[0].region');
    expect(sim.calls).toEqual([]);
  });

  it('never logs the access key, secret key or security token', async () => {
    sim.setFaults({ seed: 3, routes: { '*': { error500: 0.3, error503: 0.2 } } });
    const { run, logs } = sweep();
    const report = await run();
    const text = logs.raw.join('\n') + JSON.stringify(report);
    expect(logs.raw.length).toBeGreaterThan(5);
    expect(text).not.toContain(sim.credentials.sk);
    expect(text).not.toContain(sim.credentials.ak);
  });
});
