import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRemediateHandler } from '../../../functions/remediate.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { HOLD_UNTIL_TAG } from '../../../lib/scaling/churn.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, loadEvent, sqsEvent } from '../../../scripts/lib/lambda.ts';
import type { Simulator } from '../../../sim/server.ts';
import { capturingLogger, depsFor, startFrozenSimulator } from '../../helpers/stack.ts';

// The demo fleet (events/fleets/demo.json): sg-scale-in has two idle servers
// (srv-si-idle-1, srv-si-idle-2), shrink after 30 min; its servers were
// created 2025-12-20, the fleet's now is 2026-01-01T12:00Z.
const GROUP = 'sg-scale-in';

describe('the churn guard and holds against the simulator', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startFrozenSimulator();
  });
  afterEach(() => sim.close());

  const admin = async (path: string, body: unknown) => {
    const response = await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { servers?: { id: string }[] };
  };
  const sweep = (env: Record<string, string> = {}) => {
    const { logger, logs } = capturingLogger();
    const handler = createSweepHandler(depsFor(sim, { env, logger }));
    const run = () =>
      handler(
        loadEvent('schedule.json'),
        fakeContext({ remainingMs: 60_000, now: () => sim.now().getTime() }),
      ) as Promise<SweepReport>;
    return { logs, run };
  };
  const groupOf = (report: SweepReport) => report.groups.find((g) => g.serverGroupId === GROUP)!;
  const removedOf = (report: SweepReport) =>
    groupOf(report)
      .removals.filter((r) => r.outcome === 'removed')
      .map((r) => r.serverId)
      .sort();

  it('removes nothing from a group inside its scale-out cooldown, and scales it in after', async () => {
    await admin('/_sim/scale-out', { group_id: GROUP, count: 1 });
    await admin('/_sim/clock', { advanceMinutes: 20 });
    const inside = await sweep({ SCALE_OUT_COOLDOWN_MINUTES: '30' }).run();
    expect(groupOf(inside).hold?.reason).toBe('cooldown');
    expect(removedOf(inside)).toEqual([]);
    expect(groupOf(inside).members?.find((m) => m.serverId === 'srv-si-idle-1')?.reason.kind).toBe(
      'cooldown',
    );
    await admin('/_sim/clock', { advanceMinutes: 11 });
    const after = await sweep({ SCALE_OUT_COOLDOWN_MINUTES: '30' }).run();
    expect(groupOf(after).hold).toBeUndefined();
    expect(removedOf(after)).toContain('srv-si-idle-1');
  });

  it('keeps a server younger than MIN_SERVER_AGE_MINUTES as recently-created', async () => {
    const { servers } = await admin('/_sim/scale-out', { group_id: GROUP, count: 1 });
    const young = servers![0]!.id;
    await admin('/_sim/clock', { advanceMinutes: 60 });
    const report = await sweep({ MIN_SERVER_AGE_MINUTES: '90' }).run();
    const verdict = groupOf(report).members?.find((m) => m.serverId === young);
    expect(verdict).toMatchObject({ action: 'keep', reason: { kind: 'recently-created' } });
    expect(removedOf(report)).not.toContain(young);
    expect(removedOf(report)).toContain('srv-si-idle-1');
  });

  it('holds a group until its hold-until instant and releases it after', async () => {
    const end = sim.now().getTime() + 60 * 60_000;
    sim.state.getGroup(GROUP)!.tags!.push({
      key: HOLD_UNTIL_TAG,
      value: new Date(end).toISOString().replace('Z', '+00:00'),
    });
    const before = await sweep().run();
    expect(groupOf(before)).toMatchObject({ decision: 'skip', reason: 'held' });
    expect(groupOf(before).detail).toContain(new Date(end).toISOString());
    expect(removedOf(before)).toEqual([]);
    await admin('/_sim/clock', { advanceMinutes: 60 });
    const after = await sweep().run();
    expect(groupOf(after).decision).toBe('scale-in');
    expect(removedOf(after)).toContain('srv-si-idle-1');
  });

  // The planner's decision log WARNs once per group, whichever trigger evaluated it.
  const unparsedWarns = (logs: { lines: Record<string, unknown>[] }) =>
    logs.lines.filter(
      (l) => l.level === 'WARN' && l.message === 'hold tag does not parse: held until it is fixed',
    );

  it('holds a group whose hold-until does not parse, with one WARN naming the tag (inline)', async () => {
    sim.state.getGroup(GROUP)!.tags!.push({ key: HOLD_UNTIL_TAG, value: 'monday 9am' });
    const { logs, run } = sweep();
    const report = await run();
    expect(groupOf(report)).toMatchObject({ decision: 'skip', reason: 'held' });
    const warns = unparsedWarns(logs);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({
      serverGroupId: GROUP,
      holds: [{ tag: HOLD_UNTIL_TAG, value: 'monday 9am' }],
    });
  });

  it('WARNs alike for a server hold tag that does not parse when remediate evaluates the group (fanout)', async () => {
    const server = sim.state.membersOf(GROUP).find((s) => s.id === 'srv-si-idle-1')!;
    server.tags = [...(server.tags ?? []), { key: HOLD_UNTIL_TAG, value: 'soon' }];
    const { logger, logs } = capturingLogger();
    const remediate = createRemediateHandler(depsFor(sim, { logger }));
    const body = { type: 'evaluate-group', projectId: sim.projectId, serverGroupId: GROUP };
    const response = await remediate(
      sqsEvent([JSON.stringify(body)]),
      fakeContext({ now: () => sim.now().getTime() }),
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sim.state.membersOf(GROUP).map((s) => s.id)).toContain('srv-si-idle-1');
    const warns = unparsedWarns(logs);
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({
      serverGroupId: GROUP,
      holds: [{ tag: HOLD_UNTIL_TAG, value: 'soon', serverId: 'srv-si-idle-1' }],
    });
  });
});
