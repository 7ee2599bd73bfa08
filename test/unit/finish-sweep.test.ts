import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { finishSweep, SweepFailedError, sweepProblems } from '../../lib/finish-sweep.ts';
import { createMemoryLog } from '../../lib/logger.ts';
import {
  groupReportFactory,
  removalFactory,
  sweepReportFactory,
} from '../helpers/report-factory.ts';

const settings = {
  reportBucket: undefined,
  hourlyPriceByFlavor: undefined,
  failOnErrors: true,
  apsEndpoint: 'https://aps.example',
  ecsEndpoint: 'https://ecs.example',
};

const finishedLine = (log: ReturnType<typeof createMemoryLog>) =>
  log.lines.find((l) => l.message === 'sweep finished');

describe('finishSweep', () => {
  it('logs a clean sweep at INFO and returns the summary and server-hours freed', async () => {
    const log = createMemoryLog();
    const report = sweepReportFactory([groupReportFactory({ removals: [removalFactory()] })]);
    const finished = await finishSweep(report, { settings, sweepId: 'r1', log });
    expect(finishedLine(log)?.level).toBe('info');
    expect(finished).toMatchObject({
      serverHoursFreed: 24,
      summary:
        '1 planned: 1 removed, 0 scale-out recommended, 24 server-hours freed, saving no prices given: set HOURLY_PRICE_BY_FLAVOR, status completed, dry-run off',
    });
    expect(finished.reportKey).toBeUndefined();
  });

  it('logs a sweep cut short by the deadline at WARN and does not throw', async () => {
    const log = createMemoryLog();
    const report = sweepReportFactory([], {
      status: 'partial',
      notVisited: [{ projectId: 'p1', serverGroupId: 'sg-9' }],
      notVisitedCount: 1,
    });
    await finishSweep(report, { settings, sweepId: 'r1', log });
    expect(finishedLine(log)?.level).toBe('warn');
    expect(sweepProblems(report)).toEqual([]);
  });

  it('throws after logging at ERROR when a listing failed, naming the endpoints', async () => {
    const log = createMemoryLog();
    const report = sweepReportFactory([], {
      status: 'partial',
      errors: [
        { projectId: 'p1', error: 'GET /v1/p1/app-server-groups failed with 401 APIGW.0301' },
      ],
    });
    await expect(finishSweep(report, { settings, sweepId: 'r1', log })).rejects.toThrow(
      SweepFailedError,
    );
    expect(finishedLine(log)).toMatchObject({
      level: 'error',
      context: {
        problems: [
          '1 listing error(s), the first: GET /v1/p1/app-server-groups failed with 401 APIGW.0301',
        ],
        endpoints: { aps: 'https://aps.example', ecs: 'https://ecs.example' },
      },
    });
  });

  it('counts a report that could not be kept as an error, and says so in the summary', async () => {
    const log = createMemoryLog();
    const broken = async () =>
      ({
        send: async () => {
          throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
        },
      }) as unknown as S3Client;
    const run = finishSweep(sweepReportFactory([]), {
      settings: { ...settings, reportBucket: 'reports-bucket' },
      sweepId: 'r1',
      log,
      s3: broken,
    });
    await expect(run).rejects.toThrow(/report not kept: AccessDenied: Access Denied/);
    // One ERROR line, naming the cause; the WARN line carries the report itself.
    expect(log.lines.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'report not kept'],
      ['error', 'sweep finished'],
    ]);
    expect(finishedLine(log)?.context?.['problems']).toEqual([
      'report not kept: AccessDenied: Access Denied',
    ]);
    expect(finishedLine(log)?.context?.['reportKey']).toBeUndefined();
  });
});
