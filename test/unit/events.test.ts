import { describe, expect, it } from 'vitest';
import { PoisonMessageError } from '../../lib/errors.ts';
import { assertSqsEvent, parseScheduleEvent } from '../../lib/events.ts';

describe('parseScheduleEvent', () => {
  it('accepts an EventBridge scheduled event with an empty detail', () => {
    expect(
      parseScheduleEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }),
    ).toEqual({});
  });

  it('accepts no event at all', () => {
    expect(parseScheduleEvent(undefined)).toEqual({});
  });

  it('reads dry-run and project overrides', () => {
    expect(
      parseScheduleEvent({
        detail: { dryRun: true, projects: [{ projectId: 'p1', region: 'ap-southeast-1' }] },
      }),
    ).toEqual({ dryRun: true, projects: [{ projectId: 'p1', region: 'ap-southeast-1' }] });
  });

  it.each([
    [{ detail: { dryRun: 'yes' } }, 'detail.dryRun'],
    [{ detail: { projects: [{ projectId: 'p1', region: 'mars' }] } }, 'detail.projects[0].region'],
    [{ detail: { projects: [] } }, 'detail.projects'],
    [{ detail: { dryrun: true } }, 'detail'],
    ['a string', '(root)'],
  ])('rejects %j naming %s', (event, field) => {
    expect(() => parseScheduleEvent(event)).toThrow(PoisonMessageError);
    expect(() => parseScheduleEvent(event)).toThrow(field);
  });
});

describe('assertSqsEvent', () => {
  it('accepts records with a message id and a body', () => {
    expect(() => assertSqsEvent({ Records: [{ messageId: 'a', body: '{}' }] })).not.toThrow();
  });

  it('rejects an event without Records, naming the field', () => {
    expect(() => assertSqsEvent({ detail: {} })).toThrow('Records');
  });
});
