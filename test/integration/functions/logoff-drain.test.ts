import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRemediateHandler } from '../../../functions/remediate.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { LEASE_TTL_MS } from '../../../lib/removal/lease/group-lease.ts';
import { createDrainStore } from '../../../lib/removal/store/drain-store.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, loadEvent, sqsEvent } from '../../../scripts/lib/lambda.ts';
import type { LocalDynamoDb } from '../../../scripts/lib/local-dynamodb.ts';
import type { Simulator } from '../../../sim/server.ts';
import { useDrainStack } from '../../helpers/drain-stack.ts';
import { capturingLogger, depsFor } from '../../helpers/stack.ts';

// The log-off of abandoned sessions through the one removal lifecycle, end to
// end: the simulator over real HTTP (it ends a logged-off session after its
// delay on the virtual clock, and POST /_sim/reconnect brings its user back),
// drain records in a real local DynamoDB, the drain period on the virtual clock.

const DELAY_SECONDS = 60;
const DRAIN_SECONDS = 120;
const QUEUE = 'http://127.0.0.1:9324/000000000000/aps-autoscaler-remediation';
// The demo fleet's server whose one session (sess-011) is Disconnected since 11:00, an hour
// before the simulator's now (sim/README.md).
const DISC = 'srv-si-disconnected';
const DISC_INSTANCE = '5ca1ab1e-0006-4000-8000-000000000002';
const SESSION = 'sess-011';
const ENV = {
  DRAIN_SECONDS: String(DRAIN_SECONDS),
  LOGOFF_DISCONNECTED_AFTER_MINUTES: '30',
  LOGOFF_DELAY_SECONDS: String(DELAY_SECONDS),
  LOGOFF_MESSAGE: 'Logged off in a minute.',
};

describe('log-off of abandoned sessions while a server drains, simulator + local DynamoDB', () => {
  const stack = useDrainStack();
  let sim: Simulator;
  let dynamo: LocalDynamoDb;
  beforeEach(() => {
    ({ sim, dynamo } = stack);
  });

  const env = () => ({ ...ENV, DRAIN_TABLE_NAME: dynamo.tableName });
  const inMaintenance = () =>
    sim.state.servers.filter((s) => s.maintain_status === true).map((s) => s.id);
  const sessionState = () => sim.state.sessions.find((s) => s.id === SESSION)?.session_state;
  const reconnect = async () => {
    const reply = await fetch(`${sim.url}/_sim/reconnect`, {
      method: 'POST',
      body: JSON.stringify({ session_id: SESSION }),
      headers: { 'content-type': 'application/json' },
    });
    expect(reply.status).toBe(200);
  };
  const logoffBodies = () =>
    sim.calls.filter((c) => c.route === 'logoffSessions').map((c) => JSON.parse(c.body ?? '{}'));
  const records = () =>
    createDrainStore({
      tableName: dynamo.tableName,
      client: async () => dynamo.client,
    }).listDrains(sim.projectId);
  // sg-scale-in without its usage threshold, so the anti-flap rule lets every idle member go.
  const everyIdleMemberGoes = () => {
    const policy = sim.state.getGroup('sg-scale-in')?.scaling_policy;
    if (policy == null) throw new Error('sg-scale-in has no policy');
    policy.scaling_policy_by_session = { shrink_after_session_idle_minutes: 30 };
  };

  describe('inline sweep', () => {
    async function sweep(options: { during?: () => Promise<void>; killed?: boolean } = {}) {
      const { logger, logs } = capturingLogger();
      const sleeps: number[] = [];
      const handler = createSweepHandler({
        ...depsFor(sim, { env: env(), logger }),
        dynamo: async () => dynamo.client,
        sleep: async (ms) => {
          if (options.killed) throw new Error('killed');
          sleeps.push(ms);
          sim.clock.advance(Math.min(ms, 30_000));
          await options.during?.();
          sim.clock.advance(Math.max(0, ms - 30_000));
        },
      });
      const context = fakeContext({ remainingMs: 600_000, now: () => sim.now().getTime() });
      const report = (await handler(loadEvent('schedule.json'), context)) as SweepReport;
      const disc = [...report.groups.flatMap((g) => g.removals), ...(report.recovered ?? [])].find(
        (r) => r.serverId === DISC,
      );
      return { report, disc, logs, sleeps };
    }

    it('logs off the abandoned session while draining, then removes the server with no session left', async () => {
      everyIdleMemberGoes();
      const operatorMaintained = inMaintenance();
      const { disc, sleeps, logs } = await sweep();
      expect(sleeps).toEqual([DRAIN_SECONDS * 1_000]);
      expect(logoffBodies()).toEqual([
        {
          session_ids: [SESSION],
          message_type: 1,
          message: ENV.LOGOFF_MESSAGE,
          delay_time: DELAY_SECONDS,
        },
      ]);
      expect(logs.lines.filter((l) => l.message === 'sessions logged off')).toHaveLength(1);
      expect(sessionState()).toBe('SignedOut');
      expect(disc).toMatchObject({ outcome: 'removed', drainedSeconds: DRAIN_SECONDS });
      expect(sim.state.getServer(DISC)?.server_group_id).not.toBe('sg-scale-in');
      expect(inMaintenance()).toEqual(operatorMaintained);
      expect(await records()).toEqual([]);
    });

    it('keeps the server whose user reconnects during the delay: the drain is undone', async () => {
      everyIdleMemberGoes();
      const operatorMaintained = inMaintenance();
      const { disc } = await sweep({ during: reconnect });
      expect(disc).toMatchObject({ outcome: 'drain-undone', undoReason: 'session-arrived' });
      expect(sessionState()).toBe('Active');
      expect(sim.state.getServer(DISC)).toMatchObject({
        server_group_id: 'sg-scale-in',
        maintain_status: false,
        session_count: 1,
      });
      expect(inMaintenance()).toEqual(operatorMaintained);
      expect(await records()).toEqual([]);
    });

    it('a sweep killed after the log-off leaves the drain to the next sweep, which removes the server', async () => {
      everyIdleMemberGoes();
      const operatorMaintained = inMaintenance();
      await expect(sweep({ killed: true })).rejects.toThrow('killed');
      expect((await records()).find((r) => r.serverId === DISC)?.logoffSessionIds).toEqual([
        SESSION,
      ]);
      // Recovery waits out the dead owner's promise: the period, then one lease period.
      sim.clock.advance(DRAIN_SECONDS * 1_000 + LEASE_TTL_MS);
      const { disc } = await sweep();
      expect(disc).toMatchObject({ outcome: 'removed' });
      expect(sessionState()).toBe('SignedOut');
      expect(inMaintenance()).toEqual(operatorMaintained);
    });

    it('undoes the drain at once when the log-off call fails, reported failed and retryable', async () => {
      everyIdleMemberGoes();
      sim.setFaults({ routes: { logoffSessions: { error503: 1 } } });
      const operatorMaintained = inMaintenance();
      const { disc, report, logs } = await sweep();
      expect(disc).toMatchObject({ outcome: 'failed', retryable: true });
      expect(disc?.detail).toMatch(/^log-off failed: .*503.*; drain undone, maintenance lifted$/);
      expect(
        logs.lines.some(
          (l) => l.level === 'ERROR' && l.serverId === DISC && l.outcome === 'failed',
        ),
      ).toBe(true);
      expect(sessionState()).toBe('Disconnected');
      expect(sim.state.getServer(DISC)).toMatchObject({
        server_group_id: 'sg-scale-in',
        maintain_status: false,
      });
      // The other chosen servers are not held back by it.
      expect(report.totals.outcomes.removed).toBeGreaterThan(0);
      expect(inMaintenance()).toEqual(operatorMaintained);
      expect(await records()).toEqual([]);
    });
  });

  describe('queue path: evaluate-group or remove-member, then finish-removal after the delay', () => {
    function remediate() {
      const handler = createRemediateHandler({
        ...depsFor(sim, { env: { ...env(), REMEDIATION_QUEUE_URL: QUEUE } }),
        dynamo: async () => dynamo.client,
      });
      return (bodies: string[]) =>
        handler(
          sqsEvent(bodies),
          fakeContext({ now: () => sim.now().getTime() }),
        ) as Promise<SQSBatchResponse>;
    }
    const followUps = () =>
      stack.sqs
        .commandCalls(SendMessageBatchCommand)
        .flatMap((call) => (call.args[0].input.Entries ?? []).map((e) => e.MessageBody ?? ''));
    const evaluateGroup = JSON.stringify({
      type: 'evaluate-group',
      projectId: 'placeholder',
      serverGroupId: 'sg-scale-in',
    });
    const removeMember = JSON.stringify({
      type: 'remove-member',
      projectId: 'placeholder',
      serverGroupId: 'sg-scale-in',
      instanceUuid: DISC_INSTANCE,
      reason: 'alarm 7',
    });
    const withProject = (body: string) => body.replace('placeholder', sim.projectId);

    // Drains through `message`, optionally reconnects during the delay, then delivers
    // the finish-removal follow-ups once their delay has passed; the server's end.
    async function drainAndFinish(message: string, during?: () => Promise<void>) {
      const run = remediate();
      const operatorMaintained = inMaintenance();
      expect((await run([withProject(message)])).batchItemFailures).toEqual([]);
      expect(inMaintenance()).toContain(DISC);
      expect(logoffBodies().map((b) => b.session_ids)).toEqual([[SESSION]]);
      sim.clock.advance(30_000);
      await during?.();
      sim.clock.advance((DRAIN_SECONDS - 30) * 1_000);
      expect((await run(followUps())).batchItemFailures).toEqual([]);
      expect(inMaintenance()).toEqual(operatorMaintained);
      expect(await records()).toEqual([]);
      return sim.state.getServer(DISC);
    }

    it('evaluate-group: removes the server once its abandoned session is logged off', async () => {
      everyIdleMemberGoes();
      const server = await drainAndFinish(evaluateGroup);
      expect(server?.server_group_id).not.toBe('sg-scale-in');
      expect(sessionState()).toBe('SignedOut');
    });

    it('a failed log-off undoes the drain and hands the message back to SQS', async () => {
      sim.setFaults({ routes: { logoffSessions: { error503: 1 } } });
      const operatorMaintained = inMaintenance();
      const response = await remediate()([withProject(removeMember)]);
      expect(response.batchItemFailures).toHaveLength(1);
      expect(followUps()).toEqual([]);
      expect(sim.state.getServer(DISC)).toMatchObject({
        server_group_id: 'sg-scale-in',
        maintain_status: false,
      });
      expect(sessionState()).toBe('Disconnected');
      expect(inMaintenance()).toEqual(operatorMaintained);
      expect(await records()).toEqual([]);
    });

    it('remove-member: keeps the server whose user reconnects during the delay', async () => {
      const server = await drainAndFinish(removeMember, reconnect);
      expect(server).toMatchObject({ server_group_id: 'sg-scale-in', maintain_status: false });
      expect(sessionState()).toBe('Active');
      const removed = sim.calls.flatMap((c) => c.removed);
      expect(removed).not.toContain(DISC);
    });
  });
});
