import { createServer } from 'node:net';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultDeps } from '../../../functions/runtime.ts';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import { type LocalS3, startLocalS3 } from '../../../scripts/lib/local-s3.ts';
import type { Simulator } from '../../../sim/server.ts';
import {
  capturingLogger,
  capturingMetrics,
  depsFor,
  emfValues,
  startFrozenSimulator,
} from '../../helpers/stack.ts';

// Every failure kind must be loud: an ERROR line naming the cause, a metric
// an alarm watches, and under FAIL_ON_ERRORS a thrown error (so the Lambda
// Errors alarm fires) only after the report is in S3 (a real s3rver here).

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 9;
}

describe('sweep failures are visible', () => {
  let sim: Simulator;
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startLocalS3();
    const { S3Client } = await import('@aws-sdk/client-s3');
    client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  });
  afterAll(async () => {
    client.destroy();
    await s3.close();
  });
  beforeEach(async () => {
    sim = await startFrozenSimulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  async function readObject(key: string): Promise<string> {
    const answer = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return (await answer.Body?.transformToString()) ?? '';
  }

  function sweep(env: Record<string, string>, failOnErrors: boolean) {
    const { logger, logs } = capturingLogger();
    const { metrics, emf } = capturingMetrics();
    const handler = createSweepHandler(
      depsFor(sim, {
        logger,
        metrics,
        env: { ...env, REPORT_BUCKET: s3.bucket, FAIL_ON_ERRORS: String(failOnErrors) },
        s3: async () => client,
      }),
    );
    const context = {
      ...fakeContext({ remainingMs: 60_000, now: () => sim.now().getTime() }),
      awsRequestId: `req-${Math.random().toString(36).slice(2, 10)}`,
    };
    return {
      logs,
      emf,
      context,
      run: () => handler(loadEvent('schedule.json'), context),
    };
  }

  const errorLine = (logs: { lines: Record<string, unknown>[] }) =>
    logs.lines.filter((l) => l['level'] === 'ERROR');

  interface Kind {
    name: string;
    env: () => Promise<Record<string, string>>;
    before?: () => void;
    /** What the ERROR lines must say about the cause. */
    cause: RegExp;
    /** What the summary line says. */
    summary: RegExp;
    /** The metric the alarm watches, and its value. */
    metric: [name: string, dimension: Record<string, string> | undefined, value: number];
  }

  const kinds: Kind[] = [
    {
      name: 'bad credentials (every call 401)',
      env: async () => ({ HUAWEICLOUD_SDK_SK: 'a-wrong-secret-key-0000000000' }),
      cause: /request id \w+\) failed with 401 APIGW\.0301/,
      summary: /1 listing errors, status partial/,
      metric: ['Sweeps', { Status: 'partial' }, 1],
    },
    {
      name: 'unreachable endpoint',
      env: async () => {
        const port = await closedPort();
        return { APS_ENDPOINT: `http://127.0.0.1:${port}` };
      },
      cause: /network error to 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
      summary: /1 listing errors, status partial/,
      metric: ['ApiErrors', undefined, 1],
    },
    {
      name: 'failed removals',
      env: async () => ({}),
      before: () => sim.setFaults({ seed: 1, routes: { ecsAction: { error500: 1 } } }),
      cause: /failed with 500/,
      // srv-fl-idle-b is in no ECS group (the demo fleet): nothing is called for it.
      summary:
        /^3 planned: 0 removed, 1 refused \(not-in-ecs-group 1\), 2 failed \(request ids \S+, \S+\),.*status completed/,
      metric: ['Removals', { Outcome: 'failed' }, 2],
    },
    {
      name: 'aborted sweep (the sweep cap)',
      env: async () => ({ MAX_REMOVALS_PER_SWEEP: '2' }),
      cause: /status aborted \(.*exceed MAX_REMOVALS_PER_SWEEP/,
      summary: /status aborted/,
      metric: ['Sweeps', { Status: 'aborted' }, 1],
    },
  ];

  for (const kind of kinds) {
    it(`${kind.name}: ERROR line, metric, thrown error under FAIL_ON_ERRORS after the report is kept`, async () => {
      kind.before?.();
      const env = await kind.env();
      const { run, logs, emf, context } = sweep(env, true);
      const error = await run().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.name).toBe('SweepFailedError');
      const errors = errorLine(logs);
      expect(errors.length).toBeGreaterThan(0);
      // The host called is named, whatever the failure.
      expect(JSON.stringify(errors)).toContain(new URL(env.APS_ENDPOINT ?? sim.url).host);
      expect(JSON.stringify(errors)).toMatch(kind.cause);
      const finished = errors.find((l) => l['message'] === 'sweep finished');
      expect(finished?.['summary']).toEqual(expect.any(String));
      expect(error?.message).toContain(String(finished?.['summary']));
      const [name, dimension, value] = kind.metric;
      expect(emfValues(emf, name)).toContainEqual({
        value,
        dimensions: expect.objectContaining({ service: 'aps-autoscaler', ...dimension }),
      });
      // Kept before the throw: the dated report, its page and latest.json.
      const key = String(finished?.['reportKey']);
      expect(key).toMatch(
        new RegExp(`^reports/\\d{4}-\\d{2}-\\d{2}/${context.awsRequestId}\\.json$`),
      );
      expect(error?.message).toContain(key);
      expect(JSON.parse(await readObject(key))).toMatchObject({ reportKey: key });
      expect(await readObject(key.replace(/json$/, 'html'))).toMatch(/^<!doctype html>/);
      expect(JSON.parse(await readObject('latest.json')).reportKey).toBe(key);
    });
  }

  for (const kind of kinds) {
    it(`${kind.name}: no throw with FAIL_ON_ERRORS=false, still an ERROR line`, async () => {
      kind.before?.();
      const { run, logs } = sweep(await kind.env(), false);
      const report = await run();
      expect(report.summary).toMatch(kind.summary);
      expect(errorLine(logs).map((l) => l['message'])).toContain('sweep finished');
    });
  }

  it('logs a clean sweep at INFO with the summary line and the report key', async () => {
    const { run, logs, emf } = sweep({}, true);
    const report = await run();
    expect(report.summary).toBe(
      `3 planned: 2 removed, 1 refused (not-in-ecs-group 1), 2 scale-out recommended, 48 server-hours freed, saving no prices given: set HOURLY_PRICE_BY_FLAVOR, status completed, dry-run off, report ${report.reportKey}`,
    );
    expect(errorLine(logs)).toEqual([]);
    const finished = logs.lines.find((l) => l['message'] === 'sweep finished');
    expect(finished).toMatchObject({ level: 'INFO', summary: report.summary });
    expect(emfValues(emf, 'ServerHoursFreed')).toContainEqual({
      value: 48,
      dimensions: expect.objectContaining({ stage: 'test' }),
    });
  });

  it('prices the removals with HOURLY_PRICE_BY_FLAVOR', async () => {
    const flavors = ['srv-fl-idle-a', 'srv-fl-idle-b', 'srv-si-idle-1'].map(
      (id) => sim.state.getServer(id)?.product_info?.flavor_id,
    );
    const prices = Object.fromEntries(flavors.map((f) => [f ?? '(none)', 0.1]));
    const { run } = sweep({ HOURLY_PRICE_BY_FLAVOR: JSON.stringify(prices) }, true);
    const report = await run();
    expect(report.estimatedMonthlySaving).toBe(146);
    expect(report.summary).toContain('saving ~146.00 a month');
    expect(report.counts.saving).toMatchObject({ priced: true, source: 'HOURLY_PRICE_BY_FLAVOR' });
  });
});

describe('S3 client of the handlers', () => {
  it.each([
    [{ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' }, true],
    [{}, false],
  ])(
    'path-style addressing (what s3rver needs) only with AWS_ENDPOINT_URL_S3: %j',
    async (env, pathStyle) => {
      const client = await defaultDeps({ AWS_REGION: 'us-east-1', ...env }).s3?.();
      expect(client?.config.forcePathStyle).toBe(pathStyle);
      client?.destroy();
    },
  );
});
