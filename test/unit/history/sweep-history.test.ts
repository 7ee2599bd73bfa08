import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { SweepHistory } from '../../../lib/history/sweep-history.ts';
import type { GroupEvaluation } from '../../../lib/removal/lifecycle.ts';
import type { EvaluationLimits } from '../../../lib/scaling/types.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { serverGroupFactory } from '../../helpers/factories.ts';

// Monday 07:30 UTC: the coming hour is Mon 08:00–09:00, slot 8.
const NOW = Date.parse('2026-11-09T07:30:00Z');
const LIMITS: EvaluationLimits = {
  minServersPerGroup: 1,
  maxRemovalsPerGroup: 10,
  protectTagKey: 'aps-autoscaler:protect',
};
const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

/**
 * An S3 whose learned-needs GET (every group needing 3 servers from 08:00)
 * answers only when `release` is called: the read is still under way while
 * the sweep evaluates.
 */
function slowNeedsS3(groupIds: readonly string[]) {
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const needs = Array.from({ length: 168 }, (_, slot) => (slot % 24 >= 8 ? 3 : 1));
  const body = JSON.stringify({
    generatedAt: '2026-11-08T00:00:00.000Z',
    groups: Object.fromEntries(groupIds.map((id) => [id, { name: id, timeZone: 'UTC', needs }])),
  });
  const client = {
    send: async () => {
      await gate;
      return { Body: { transformToString: async () => body } };
    },
  } as unknown as S3Client;
  return { s3: async () => client, release: () => release() };
}

const evaluationOf = (id: string) =>
  ({ group: serverGroupFactory({ id, name: id }) }) as unknown as GroupEvaluation;
const emptyReport = {} as SweepReport;

describe('SweepHistory', () => {
  it('with LEARNED_FLOORS=warn starts the sweep before the needs arrive, and still warns for the groups seen before them', async () => {
    const { s3, release } = slowNeedsS3(['sg-a', 'sg-b']);
    const options = {
      bucket: 'b',
      learnedFloors: 'warn' as const,
      historyWeeks: 0,
      sweepMode: 'inline' as const,
      s3,
      log: silent,
      now: () => NOW,
    };
    // The read has not answered: start must not wait for it.
    const history = await SweepHistory.start(['p1'], options);
    history.observe('p1', evaluationOf('sg-a'), LIMITS);
    release();
    const finished = history.finish(emptyReport, 'sweep-1');
    history.observe('p1', evaluationOf('sg-b'), LIMITS);
    const report = await finished;
    expect(report.stormWarnings?.map((w) => [w.serverGroupId, w.need, w.floor])).toEqual([
      ['sg-a', 3, 1],
      ['sg-b', 3, 1],
    ]);
  });

  it('with LEARNED_FLOORS=raise waits for the needs before the sweep evaluates', async () => {
    const { s3, release } = slowNeedsS3(['sg-a']);
    let started = false;
    const starting = SweepHistory.start(['p1'], {
      bucket: 'b',
      learnedFloors: 'raise',
      historyWeeks: 0,
      sweepMode: 'inline',
      s3,
      log: silent,
      now: () => NOW,
    }).then((h) => {
      started = true;
      return h;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(started).toBe(false);
    release();
    const history = await starting;
    expect(history.limits(LIMITS).learnedFloorOf?.('sg-a', NOW)?.value).toBe(3);
  });
});
