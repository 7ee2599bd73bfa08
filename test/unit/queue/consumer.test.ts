import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { PermanentFailureError, RetryableFailureError } from '../../../lib/errors.ts';
import { createMemoryLog } from '../../../lib/logger.ts';
import { createRecordHandler, summaryOf } from '../../../lib/queue/consumer.ts';
import type { DeadLetterRecord } from '../../../lib/queue/dead-letter.ts';
import type { RemediationResult } from '../../../lib/sweep/remediate.ts';

const record = (body: string, messageId = 'm-1') => ({ messageId, body }) as SQSRecord;
const VALID = JSON.stringify({ type: 'evaluate-group', projectId: 'p-1', serverGroupId: 'sg-1' });
const DONE: RemediationResult = { type: 'evaluate-group', serverGroupId: 'sg-1', status: 'done' };

function handlerWith(process: () => Promise<RemediationResult>, withQueue = true) {
  const dead: DeadLetterRecord[] = [];
  const log = createMemoryLog();
  const records = [record('x')];
  const handle = createRecordHandler(records, {
    log,
    process,
    deadLetter: withQueue ? async (r) => void dead.push(r) : undefined,
  });
  return { handle, dead, log };
}

describe('createRecordHandler', () => {
  it('processes a valid record and logs its summary', async () => {
    const { handle, dead, log } = handlerWith(async () => DONE);
    expect(await handle(record(VALID))).toEqual(DONE);
    expect(dead).toEqual([]);
    expect(log.lines.find((l) => l.message === 'record processed')?.context).toMatchObject({
      messageId: 'm-1',
      status: 'done',
    });
  });

  it('dead-letters a poison record without processing it', async () => {
    let processed = 0;
    const { handle, dead } = handlerWith(async () => {
      processed++;
      return DONE;
    });
    expect(await handle(record('not json'))).toMatchObject({
      status: 'dead-lettered',
      kind: 'poison',
    });
    expect(dead).toHaveLength(1);
    expect(dead[0]?.body).toBe('not json');
    expect(processed).toBe(0);
  });

  it('dead-letters a permanent failure with its message', async () => {
    const { handle, dead } = handlerWith(async () => {
      throw new PermanentFailureError('403 forbidden');
    });
    expect(await handle(record(VALID))).toMatchObject({ status: 'dead-lettered', kind: 'failed' });
    expect(dead[0]?.error).toBe('403 forbidden');
  });

  it('rethrows a retryable failure so only this record is redelivered', async () => {
    const { handle, dead } = handlerWith(async () => {
      throw new RetryableFailureError('503');
    });
    await expect(handle(record(VALID))).rejects.toBeInstanceOf(RetryableFailureError);
    expect(dead).toEqual([]);
  });

  it('logs one ERROR per record handed back, with its message id, type, group and cause', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), {
      code: 'ECONNREFUSED',
    });
    const { handle, log } = handlerWith(async () => {
      throw new RetryableFailureError('GetItem on table drains failed', { cause: refused });
    });
    await expect(handle(record(VALID, 'm-7'))).rejects.toBeInstanceOf(RetryableFailureError);
    expect(log.lines.filter((l) => l.message === 'record failed, will be retried')).toEqual([
      {
        level: 'error',
        message: 'record failed, will be retried',
        context: expect.objectContaining({
          messageId: 'm-7',
          type: 'evaluate-group',
          serverGroupId: 'sg-1',
          error: 'GetItem on table drains failed',
          cause: 'Error ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:8000',
        }),
      },
    ]);
  });

  it('hands back an error of no known class rather than dead-letter it', async () => {
    const { handle, dead } = handlerWith(async () => {
      throw new TypeError('unexpected');
    });
    await expect(handle(record(VALID))).rejects.toBeInstanceOf(TypeError);
    expect(dead).toEqual([]);
  });

  it('keeps a record to dead-letter on the queue when no dead-letter queue is set', async () => {
    const { handle, log } = handlerWith(async () => DONE, false);
    await expect(handle(record('not json'))).rejects.toThrow('DEAD_LETTER_QUEUE_URL is not set');
    // Handed back to SQS: its one ERROR line says why.
    expect(log.lines.filter((l) => l.level === 'error')).toMatchObject([
      {
        message: 'record failed, will be retried',
        context: { messageId: 'm-1', error: expect.stringContaining('DEAD_LETTER_QUEUE_URL') },
      },
    ]);
  });
});

describe('summaryOf', () => {
  it('names the outcome of a remove-member result', () => {
    expect(
      summaryOf({
        type: 'remove-member',
        serverGroupId: 'sg-1',
        instanceUuid: 'i-1',
        status: 'refused',
        detail: 'busy',
      }),
    ).toEqual({
      type: 'remove-member',
      serverGroupId: 'sg-1',
      instanceUuid: 'i-1',
      status: 'refused',
      detail: 'busy',
      outcome: undefined,
    });
  });
});
