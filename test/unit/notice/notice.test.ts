import 'aws-sdk-client-mock-vitest/extend';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { finishSweep } from '../../../lib/finish-sweep.ts';
import { createMemoryLog } from '../../../lib/logger.ts';
import {
  groupReportFactory,
  removalFactory,
  sweepReportFactory,
} from '../../helpers/report-factory.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:aps-autoscaler-prod-alarms';
const settings = {
  reportBucket: undefined,
  hourlyPriceByFlavor: undefined,
  failOnErrors: false,
  apsEndpoint: 'https://aps.example',
  ecsEndpoint: 'https://ecs.example',
};

const sns = mockClient(SNSClient);
afterEach(() => {
  sns.reset();
  vi.restoreAllMocks();
});

const finish = (report: ReturnType<typeof sweepReportFactory>, log = createMemoryLog()) =>
  finishSweep(report, {
    settings,
    sweepId: 'req-1',
    log,
    notice: { topicArn: TOPIC, sns: async () => new SNSClient({ region: 'eu-west-1' }) },
  });

const twoRemoved = () =>
  sweepReportFactory([
    groupReportFactory({
      serverGroupName: 'office',
      memberReasons: { idle: 2, busy: 3, 'recently-created': 1 },
      removals: [
        removalFactory({ serverId: 'srv-a', machineName: 'APS-A' }),
        removalFactory({ serverId: 'srv-b', machineName: 'APS-B' }),
      ],
    }),
    groupReportFactory({
      serverGroupId: 'sg-2',
      decision: 'skip',
      reason: 'held',
      memberReasons: {},
    }),
  ]);

describe('the notice of a sweep', () => {
  it('publishes exactly one notice naming each removed server, with attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await finish(twoRemoved());
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.Subject).toBe('aps-autoscaler acted: 2 server(s) removed (p1)');
    expect(input.Message).toContain('APS-A (srv-a) in office');
    expect(input.Message).toContain('APS-B (srv-b) in office');
    expect(input.Message).toContain('3 × busy');
    expect(input.Message).toContain('1 × recently-created');
    expect(input.Message).toContain('1 × group skipped: held');
    expect(input.Message).toContain('Saving: 48.0 server-hours freed');
    expect(input.MessageAttributes).toMatchObject({
      status: { DataType: 'String', StringValue: 'acted' },
      removed: { DataType: 'String', StringValue: '2' },
    });
  });

  it('publishes none for a sweep that changed nothing', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await finish(sweepReportFactory([groupReportFactory({ decision: 'steady' })]));
    await finish(
      sweepReportFactory(
        [groupReportFactory({ removals: [removalFactory({ outcome: 'would-remove' })] })],
        {
          dryRun: true,
        },
      ),
    );
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('publishes one for a sweep that aborted or whose removal failed, naming the failure', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await finish(sweepReportFactory([], { status: 'aborted', abortReason: '60 planned > cap 50' }));
    await finish(
      sweepReportFactory([
        groupReportFactory({
          removals: [removalFactory({ serverId: 'srv-f', outcome: 'failed', detail: 'HTTP 503' })],
        }),
      ]),
    );
    const [aborted, failed] = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(aborted?.Subject).toContain('aborted');
    expect(aborted?.Message).toContain('aborted: 60 planned > cap 50');
    expect(failed?.Subject).toContain('failed');
    expect(failed?.Message).toContain('aps-1 (srv-f) in group 1: HTTP 503');
  });

  it('turns a failed publish into a WARN, never a failed sweep', async () => {
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AuthorizationError' }));
    const log = createMemoryLog();
    const finished = await finish(twoRemoved(), log);
    expect(finished.summary).toContain('2 removed');
    expect(log.lines.find((l) => l.message === 'sweep notice not published')).toMatchObject({
      level: 'warn',
      context: { topicArn: TOPIC, error: 'AuthorizationError: not authorized' },
    });
  });

  it('locally prints the notice and writes it under the notice directory', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'notice-')), 'notices');
    const print = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await finishSweep(twoRemoved(), {
      settings,
      sweepId: 'req-9',
      log: createMemoryLog(),
      notice: { topicArn: undefined, dir },
    });
    const text = readFileSync(join(dir, 'notice-req-9.txt'), 'utf8');
    expect(text).toContain('APS-A (srv-a) in office');
    expect(print.mock.calls.flat().join('\n')).toContain('APS-B (srv-b)');
  });
});
