import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { invokeLocal } from '../../../scripts/lib/invoke-local.ts';
import { type LocalSqs, startLocalSqs } from '../../../sim/local-sqs.ts';
import { type Simulator, startSimulator } from '../../../sim/server.ts';
import { mutatingCalls } from '../../helpers/stack.ts';

// Everything that runs the Serverless CLI lives in this one file: its runs
// share .esbuild/ in the repo and must not overlap.
const run = promisify(execFile);
const repo = new URL('../../../', import.meta.url).pathname;

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

describe('serverless.yml packaged for a deployed stage', () => {
  let dir: string;
  let template: Template;
  const resource = (type: string, name?: string) => {
    const found = Object.entries(template.Resources).find(
      ([key, r]) => r.Type === type && (name === undefined || key === name),
    );
    if (!found) throw new Error(`no ${type} ${name ?? ''} in the template`);
    return found[1].Properties;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aps-package-'));
    // `package` must work offline, without AWS credentials.
    await run('npx', ['osls', 'package', '--stage', 'prod', '--package', dir], {
      cwd: repo,
      timeout: 120_000,
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
    });
    template = JSON.parse(
      readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
    );
  }, 150_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs both functions on nodejs22.x', () => {
    const sweep = resource('AWS::Lambda::Function', 'SweepLambdaFunction');
    const remediate = resource('AWS::Lambda::Function', 'RemediateLambdaFunction');
    expect(sweep.Runtime).toBe('nodejs22.x');
    expect(remediate.Runtime).toBe('nodejs22.x');
    expect(sweep.Handler).toBe('functions/sweep.handler');
    expect(remediate.Handler).toBe('functions/remediate.handler');
  });

  it('schedules the sweep every 15 minutes', () => {
    expect(resource('AWS::Events::Rule').ScheduleExpression).toBe('rate(15 minutes)');
  });

  it('wires remediate to the queue with partial batch responses and bounded concurrency', () => {
    const mapping = resource('AWS::Lambda::EventSourceMapping');
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping.BatchSize).toBe(10);
    expect(mapping.MaximumBatchingWindowInSeconds).toBeGreaterThan(0);
    expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: expect.any(Number) });
    expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': ['RemediationQueue', 'Arn'] });
  });

  it('gives the queue a dead-letter redrive and a visibility timeout of at least six function timeouts', () => {
    const queue = resource('AWS::SQS::Queue', 'RemediationQueue');
    const remediate = resource('AWS::Lambda::Function', 'RemediateLambdaFunction');
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (remediate.Timeout as number));
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['RemediationDeadLetterQueue', 'Arn'] },
      maxReceiveCount: expect.any(Number),
    });
  });

  it('grants only SendMessage and GetQueueUrl on the two queues beyond the event source and logs', () => {
    const role = resource('AWS::IAM::Role');
    const statements = (
      role.Policies as {
        PolicyDocument: { Statement: { Action: string[]; Resource: unknown }[] };
      }[]
    ).flatMap((p) => p.PolicyDocument.Statement);
    const sqs = statements.filter((s) => s.Action.some((a) => a.startsWith('sqs:')));
    const ours = sqs.find((s) => s.Action.includes('sqs:SendMessage'));
    expect(ours?.Action.sort()).toEqual(['sqs:GetQueueUrl', 'sqs:SendMessage']);
    expect(ours?.Resource).toEqual([
      { 'Fn::GetAtt': ['RemediationQueue', 'Arn'] },
      { 'Fn::GetAtt': ['RemediationDeadLetterQueue', 'Arn'] },
    ]);
    // The only other SQS statement is the event source's own receive/delete on the queue.
    const others = sqs.filter((s) => s !== ours);
    expect(others.flatMap((s) => s.Action).sort()).toEqual([
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    expect(statements.flatMap((s) => s.Action).some((a) => a === '*' || a === 'sqs:*')).toBe(false);
  });

  it('takes the key pair from SSM, never from the repository', () => {
    const env = (
      resource('AWS::Lambda::Function', 'SweepLambdaFunction').Environment as {
        Variables: Record<string, unknown>;
      }
    ).Variables;
    expect(env.HUAWEICLOUD_SDK_AK).toBe('{{resolve:ssm:/aps-autoscaler/prod/huaweicloud-ak}}');
    expect(env.HUAWEICLOUD_SDK_SK).toBe('{{resolve:ssm:/aps-autoscaler/prod/huaweicloud-sk}}');
    expect(JSON.stringify(template)).not.toContain('simulator-secret-key');
    expect(env.REMEDIATION_QUEUE_URL).toEqual({ Ref: 'RemediationQueue' });
  });
});

// Each replayable event in events/ through `osls invoke local --stage local`,
// the way the README tells users to run them. `invoke local` runs the bundle
// in another process on the real clock, so the simulator runs on it too.
describe('osls invoke local with the events in events/', () => {
  let sim: Simulator;
  let sqs: LocalSqs;
  let env: Record<string, string>;
  beforeAll(async () => {
    sim = await startSimulator({ clock: { now: 'real', rebase: true } });
    sqs = await startLocalSqs();
    env = {
      APS_ENDPOINT: sim.url,
      ECS_ENDPOINT: sim.url,
      REMEDIATION_QUEUE_URL: sqs.remediationQueueUrl,
      DEAD_LETTER_QUEUE_URL: sqs.deadLetterQueueUrl,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
  });
  beforeEach(async () => {
    sim.reset();
    await sqs.drain(sqs.deadLetterQueueUrl);
  });
  afterAll(async () => {
    await sqs.close();
    await sim.close();
  });

  it('sweep with events/schedule.json removes the demo fleet idle servers', async () => {
    const { result } = await invokeLocal({
      fn: 'sweep',
      event: 'events/schedule.json',
      env,
      timeoutMs: 90_000,
    });
    const report = result as SweepReport;
    expect(report.status).toBe('completed');
    expect(report.totals.outcomes.removed).toBe(3);
    expect(mutatingCalls(sim)).toHaveLength(3);
  });

  it('sweep with events/schedule-dry-run.json changes nothing', async () => {
    const { result, logs } = await invokeLocal({
      fn: 'sweep',
      event: 'events/schedule-dry-run.json',
      env,
      timeoutMs: 90_000,
    });
    expect((result as SweepReport).totals.outcomes['would-remove']).toBe(3);
    expect(mutatingCalls(sim)).toEqual([]);
    expect(logs.some((l) => l['audit'] === 'decision')).toBe(true);
  });

  it.each([
    ['events/sqs-evaluate-group.json', 1],
    ['events/sqs-remove-member.json', 1],
  ])('remediate with %s removes the idle member and fails nothing', async (event, removals) => {
    const { result } = await invokeLocal({ fn: 'remediate', event, env, timeoutMs: 90_000 });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(mutatingCalls(sim)).toHaveLength(removals);
    expect(sim.state.membersOf('sg-scale-in').map((s) => s.id)).not.toContain('srv-si-idle-1');
  });

  it('remediate with events/sqs-mixed-batch.json dead-letters the poison record and spares the busy server', async () => {
    const { result } = await invokeLocal({
      fn: 'remediate',
      event: 'events/sqs-mixed-batch.json',
      env,
      timeoutMs: 90_000,
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sim.state.getServer('srv-si-busy')?.server_group_id).toBe('sg-scale-in');
    const dead = await sqs.drain(sqs.deadLetterQueueUrl);
    expect(dead.map((m) => m.attributes['kind'])).toEqual(['poison']);
  });
});
