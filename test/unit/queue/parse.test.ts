import { describe, expect, it } from 'vitest';
import { PoisonMessageError } from '../../../lib/errors.ts';
import { parseQueueMessage } from '../../../lib/queue/parse.ts';

describe('parseQueueMessage', () => {
  it('parses an evaluate-group message', () => {
    const body = JSON.stringify({
      type: 'evaluate-group',
      projectId: 'p1',
      serverGroupId: 'sg-1',
      dryRun: false,
    });
    expect(parseQueueMessage(body)).toEqual({
      type: 'evaluate-group',
      projectId: 'p1',
      serverGroupId: 'sg-1',
      dryRun: false,
    });
  });

  it('parses a remove-member message', () => {
    const body = JSON.stringify({
      type: 'remove-member',
      projectId: 'p1',
      serverGroupId: 'sg-1',
      instanceUuid: '34dac9a0-c4a7-457b-bab2-e2c696e0e401',
      reason: 'alarm 42',
    });
    expect(parseQueueMessage(body)).toMatchObject({ type: 'remove-member', reason: 'alarm 42' });
  });

  it.each([
    ['not JSON', '{"type":', 'Records[3].body: not valid JSON'],
    [
      'an unknown type',
      '{"type":"drain","projectId":"p1","serverGroupId":"x"}',
      'Records[3].body.type',
    ],
    [
      'a missing field',
      '{"type":"remove-member","projectId":"p1","serverGroupId":"x"}',
      'Records[3].body.instanceUuid',
    ],
    [
      'a wrong type',
      '{"type":"evaluate-group","projectId":"p1","serverGroupId":"x","dryRun":"yes"}',
      'Records[3].body.dryRun',
    ],
    [
      'an unknown field',
      '{"type":"evaluate-group","projectId":"p1","serverGroupId":"x","force":true}',
      'Records[3].body',
    ],
    [
      'a bad project id',
      '{"type":"evaluate-group","projectId":"../etc","serverGroupId":"x"}',
      'Records[3].body.projectId',
    ],
    ['an array', '[]', 'Records[3].body'],
  ])('rejects %s as poison, naming the field', (_, body, field) => {
    expect(() => parseQueueMessage(body, 'Records[3].body')).toThrow(PoisonMessageError);
    expect(() => parseQueueMessage(body, 'Records[3].body')).toThrow(field);
  });

  it('never echoes the body in the error', () => {
    const secret = 'SECRET-VALUE-123';
    const body = JSON.stringify({
      type: 'evaluate-group',
      projectId: secret.repeat(10),
      serverGroupId: 1,
    });
    const thrown = (() => {
      try {
        parseQueueMessage(body);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    // It throws (valid input would leave `thrown` undefined and fail here) ...
    expect(thrown).toBeInstanceOf(PoisonMessageError);
    // ... and its message names no part of the body.
    expect(String(thrown)).not.toContain(secret);
  });
});
