import { describe, expect, it } from 'vitest';
import {
  DrainSecondsSchema,
  DrainTableNameSchema,
  drainUntil,
  MAX_DRAIN_SECONDS,
} from '../../lib/config-drain.ts';
import {
  createTableInput,
  DRAIN_TABLE_DEFINITION,
  TTL_ATTRIBUTE,
} from '../../lib/removal/store/drain-table.ts';

describe('DrainSecondsSchema', () => {
  it.each([
    [undefined, 120],
    ['', 120],
    ['0', 0],
    ['120', 120],
    ['900', 900],
  ])('reads %s as %s seconds', (raw, seconds) => {
    expect(DrainSecondsSchema.parse(raw)).toBe(seconds);
  });

  it.each(['901', '-1', '1.5', 'soon'])('refuses %s', (raw) => {
    expect(DrainSecondsSchema.safeParse(raw).success).toBe(false);
  });

  it('stays within what SQS DelaySeconds accepts', () => {
    expect(MAX_DRAIN_SECONDS).toBe(900);
  });
});

describe('DrainTableNameSchema', () => {
  it.each(['aps-autoscaler-drain-dev', 'a.b_c'])('accepts %s', (name) => {
    expect(DrainTableNameSchema.parse(name)).toBe(name);
  });
  it.each(['', 'ab', 'has space', 'x'.repeat(256)])('refuses %j', (name) => {
    expect(DrainTableNameSchema.safeParse(name).success).toBe(false);
  });
});

describe('drainUntil', () => {
  it('adds the drain period in seconds to an epoch-ms instant', () => {
    expect(drainUntil(1_000, 120)).toBe(121_000);
  });
});

describe('createTableInput', () => {
  it('creates the keys and billing of the one table definition', () => {
    const input = createTableInput('t-name');
    expect(input).toEqual({
      TableName: 't-name',
      BillingMode: DRAIN_TABLE_DEFINITION.BillingMode,
      AttributeDefinitions: DRAIN_TABLE_DEFINITION.AttributeDefinitions,
      KeySchema: DRAIN_TABLE_DEFINITION.KeySchema,
    });
    expect(input.KeySchema?.map((k) => k.AttributeName)).toEqual(['pk', 'sk']);
  });

  it('names the TTL attribute the leases carry', () => {
    expect(TTL_ATTRIBUTE).toBe('ttl');
    expect(DRAIN_TABLE_DEFINITION.TimeToLiveSpecification.Enabled).toBe(true);
  });
});
