import { describe, expect, it } from 'vitest';
import {
  HuaweiApiError,
  isTransient,
  NetworkError,
  PermanentFailureError,
  PoisonMessageError,
  RetryableFailureError,
} from '../../../lib/errors.ts';
import { classify, fateOfError, throwIfFailed } from '../../../lib/queue/fate.ts';
import { DrainStoreError } from '../../../lib/removal/store/store-errors.ts';

const store = (cause: unknown) =>
  new DrainStoreError(
    { operation: 'PutItem', tableName: 'drains', detail: String(cause) },
    { cause },
  );
const aws = (name: string, status?: number) =>
  Object.assign(new Error(name), {
    name,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
  });
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });

describe('isTransient, every dependency', () => {
  it.each([
    ['Huawei 503', new HuaweiApiError({ method: 'GET', path: '/', status: 503 }), true],
    ['Huawei 429', new HuaweiApiError({ method: 'GET', path: '/', status: 429 }), true],
    ['Huawei 403', new HuaweiApiError({ method: 'GET', path: '/', status: 403 }), false],
    ['Huawei network', new NetworkError({ method: 'GET', path: '/' }), true],
    ['DynamoDB refused connection', store(refused()), true],
    ['DynamoDB throttled', store(aws('ProvisionedThroughputExceededException', 400)), true],
    ['DynamoDB 500', store(aws('InternalServerError', 500)), true],
    ['DynamoDB access denied', store(aws('AccessDeniedException', 400)), false],
    ['a drain item that does not fit its schema', store(undefined), false],
    ['SQS throttled', aws('RequestThrottled', 403), true],
    ['S3 503', aws('SlowDown', 503), true],
    ['S3 access denied', aws('AccessDenied', 403), false],
    ['a refused connection, bare', refused(), true],
  ])('%s → %s', (_, error, transient) => {
    expect(isTransient(error)).toBe(transient);
  });
});

describe('fateOfError and classify', () => {
  it('sends a transient DynamoDB failure back to SQS, never to the dead-letter queue', () => {
    const error = classify(store(refused()));
    expect(error).toBeInstanceOf(RetryableFailureError);
    expect(fateOfError(error)).toBe('retry');
  });

  it('dead-letters a poison body and a permanent failure only', () => {
    expect(fateOfError(new PoisonMessageError('bad'))).toBe('dead-letter');
    expect(fateOfError(classify(store(aws('AccessDeniedException', 400))))).toBe('dead-letter');
    expect(fateOfError(new PermanentFailureError('403'))).toBe('dead-letter');
    expect(fateOfError(new Error('unknown'))).toBe('retry');
  });
});

describe('throwIfFailed', () => {
  it('acknowledges a message whose server a budget held back: done, not retried', () => {
    const held = {
      serverId: 's1',
      instanceId: undefined,
      machineName: undefined,
      idleMinutes: 60,
      outcome: 'budget' as const,
      detail: 'held back by BUDGETS[0] (2 at once, group); frees up when a drain in flight ends',
    };
    expect(() => throwIfFailed([held])).not.toThrow();
    expect(() => throwIfFailed([held, { ...held, serverId: 's2', outcome: 'failed' }])).toThrow();
  });
});
