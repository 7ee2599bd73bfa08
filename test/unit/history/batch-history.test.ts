import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { BatchHistory, withLearnedFloor } from '../../../lib/history/batch-history.ts';
import { decodeSamples } from '../../../lib/history/store.ts';
import type { QueueMessage } from '../../../lib/queue/messages.ts';
import type { GroupEvaluation, RemovalSettings } from '../../../lib/removal/lifecycle.ts';

const NOW = Date.parse('2026-11-09T07:30:00Z');

/** What sampleOf reads of an evaluation (lib/history/sample.ts); the rest is not needed here. */
function evaluationOf(groupId: string): GroupEvaluation {
  return {
    decision: {
      kind: 'steady',
      groupId,
      groupName: `pool ${groupId}`,
      inService: 3,
      usedSessions: 5,
      sessionsPerServer: 2,
    },
  } as unknown as GroupEvaluation;
}

const evaluate = (id: string): QueueMessage => ({
  type: 'evaluate-group',
  projectId: 'p1',
  serverGroupId: id,
});

function capturingS3() {
  const puts: { Key: string; Body: Uint8Array }[] = [];
  const client = {
    send: async (command: { input: { Key: string; Body: Uint8Array } }) => {
      puts.push(command.input);
      return {};
    },
  } as unknown as S3Client;
  return { puts, s3: async () => client };
}

describe('BatchHistory', () => {
  it("keeps one object for the batch's evaluate-group messages, none for a record that failed", async () => {
    const { puts, s3 } = capturingS3();
    const history = new BatchHistory({
      bucket: 'b',
      historyWeeks: 4,
      s3,
      log: { info() {}, warn() {}, error() {}, debug() {} } as never,
      now: () => NOW,
    });
    await history.recording(evaluate('g-1'), async (seen) => seen(evaluationOf('g-1')));
    await expect(
      history.recording(evaluate('g-2'), async (seen) => {
        seen(evaluationOf('g-2'));
        throw new Error('throttled: back to SQS');
      }),
    ).rejects.toThrow('throttled');
    const removeMember: QueueMessage = {
      ...evaluate('g-3'),
      type: 'remove-member',
      instanceUuid: 'i-1',
    };
    await history.recording(removeMember, async (seen) => seen(evaluationOf('g-3')));
    const kept = await history.keep('batch-1');
    expect(kept).toEqual({ samples: 1, objects: 1, bytes: expect.any(Number) });
    expect(puts.map((p) => p.Key)).toEqual([
      'history/samples/project=p1/dt=2026-11-09/hour=07/batch-1.jsonl.gz',
    ]);
    const { samples } = await decodeSamples(puts[0]!.Body);
    expect(samples.map((s) => s.group)).toEqual(['g-1']);
  });

  it('keeps nothing with HISTORY_WEEKS=0', async () => {
    const { puts, s3 } = capturingS3();
    const history = new BatchHistory({
      bucket: 'b',
      historyWeeks: 0,
      s3,
      log: {} as never,
      now: () => NOW,
    });
    await history.recording(evaluate('g-1'), async (seen) => seen(evaluationOf('g-1')));
    expect(await history.keep('batch-1')).toBeUndefined();
    expect(puts).toEqual([]);
  });
});

describe('withLearnedFloor', () => {
  const settings = { limits: { minServersPerGroup: 1 } } as unknown as RemovalSettings;
  it("applies the message's learned floor to its group only", () => {
    const floor = { value: 6, from: 'learned (history of Mon 08:00–09:00)' };
    const applied = withLearnedFloor(settings, {
      ...evaluate('g-1'),
      learnedFloor: floor,
    } as QueueMessage);
    expect(applied.limits.learnedFloorOf?.('g-1', NOW)).toEqual(floor);
    expect(applied.limits.learnedFloorOf?.('g-2', NOW)).toBeUndefined();
    expect(withLearnedFloor(settings, evaluate('g-1'))).toBe(settings);
  });
});
