import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLog } from '../../../lib/logger.ts';
import {
  createS3Client,
  keepReport,
  LATEST_REPORT_KEY,
  reportKeyOf,
} from '../../../lib/report-store.ts';
import { type LocalS3, startLocalS3 } from '../../../scripts/lib/local-s3.ts';
import { groupReportFactory, sweepReportFactory } from '../../helpers/report-factory.ts';

// A real S3 API (s3rver) on loopback; the client finds it through AWS_ENDPOINT_URL_S3.
describe('keepReport against a local S3 server', () => {
  let s3: LocalS3;
  let client: S3Client;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    s3 = await startLocalS3();
    for (const [name, value] of Object.entries(s3.env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    client = await createS3Client({ forcePathStyle: true });
  });
  afterAll(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    client.destroy();
    await s3.close();
  });

  async function read(key: string): Promise<unknown> {
    const answer = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return JSON.parse(await (answer.Body?.transformToString() ?? Promise.resolve('null')));
  }

  it('writes the dated report and latest.json, and returns the dated key', async () => {
    const report = sweepReportFactory([groupReportFactory()]);
    const kept = await keepReport(report, {
      bucket: s3.bucket,
      sweepId: 'req-0001',
      s3: async () => client,
    });
    expect(kept).toEqual({ kept: true, key: 'reports/2026-11-29/req-0001.json' });
    expect(await read('reports/2026-11-29/req-0001.json')).toEqual(report);
    expect(await read(LATEST_REPORT_KEY)).toEqual(report);
  });

  it('logs a WARN carrying the whole report when the bucket does not exist, and does not throw', async () => {
    const report = sweepReportFactory([groupReportFactory()]);
    const log = createMemoryLog();
    const kept = await keepReport(report, {
      bucket: 'no-such-bucket',
      sweepId: 'req-0002',
      s3: async () => client,
      log,
    });
    expect(kept).toEqual({ kept: false, error: expect.stringMatching(/^NoSuchBucket: /) });
    expect(log.lines).toEqual([
      {
        level: 'warn',
        message: 'report not kept',
        context: {
          bucket: 'no-such-bucket',
          key: 'reports/2026-11-29/req-0002.json',
          error: expect.stringMatching(/NoSuchBucket/),
          report,
        },
      },
    ]);
  });

  it('names the endpoint error when S3 is unreachable', async () => {
    const report = sweepReportFactory([]);
    const log = createMemoryLog();
    const { S3Client } = await import('@aws-sdk/client-s3');
    const down = new S3Client({
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      region: 'us-east-1',
      maxAttempts: 1,
    });
    const kept = await keepReport(report, {
      bucket: s3.bucket,
      sweepId: 'r3',
      s3: async () => down,
      log,
    });
    expect(kept.kept).toBe(false);
    expect(log.lines[0]?.context?.error).toMatch(/ECONNREFUSED/);
  });
});

describe('reportKeyOf', () => {
  it.each([
    ['a/b', 'sweep id has characters unfit for a key'],
    ['', 'sweep id has characters unfit for a key'],
  ])('refuses the sweep id %j', (id, message) => {
    expect(() => reportKeyOf({ startedAt: '2026-11-29T00:00:00Z' }, id)).toThrow(message);
  });
});
