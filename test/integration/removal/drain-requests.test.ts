import type { DynamoDBClient, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../../functions/sweep.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import { useDrainStack } from '../../helpers/drain-stack.ts';
import { depsFor } from '../../helpers/stack.ts';

// The DynamoDB requests of one acting inline sweep, against the simulator and
// a local DynamoDB: each drained group's lease and records share one item
// (lib/removal/store/lease-item.ts), so a group costs four writes — the lease
// taken with the records, maintenance confirmed, acting, the end with the
// release — and recovery's listing one Query for the project.

const DRAIN_SECONDS = 120;

/** What a request did, from its expressions. */
function kindOf(name: string, input: { UpdateExpression?: string } & object): string {
  if (name !== 'UpdateItemCommand') return name.replace(/Command$/, '');
  const values = (input as UpdateItemCommandInput).ExpressionAttributeValues ?? {};
  const update = (input as UpdateItemCommandInput).UpdateExpression ?? '';
  if (':servers' in values) return 'take+record';
  if (':none' in values) return 'take';
  if (':released' in values) return update.includes('REMOVE #s.') ? 'end+release' : 'release';
  if (':drain' in values) return 'confirm';
  if (':acting' in values) return 'acting';
  if (update.includes('REMOVE #s.')) return 'end';
  return update.includes('ADD fence') ? 'take' : 'other';
}

describe('DynamoDB requests of an acting inline sweep, simulator + local DynamoDB', () => {
  const stack = useDrainStack();

  it('costs each drained group one write to start (lease + records) and one to end (end + release)', async () => {
    const byGroup = new Map<string, string[]>();
    const all: string[] = [];
    const client = new Proxy(stack.dynamo.client, {
      get(target, name, receiver) {
        if (name !== 'send') return Reflect.get(target, name, receiver);
        return (command: {
          constructor: { name: string };
          input: { Key?: { sk?: { S?: string } } };
        }) => {
          const kind = kindOf(command.constructor.name, command.input);
          all.push(kind);
          const sk = command.input.Key?.sk?.S;
          if (sk !== undefined) byGroup.set(sk, [...(byGroup.get(sk) ?? []), kind]);
          return target.send(command as never);
        };
      },
    }) as DynamoDBClient;
    const handler = createSweepHandler({
      ...depsFor(stack.sim, {
        env: { DRAIN_SECONDS: String(DRAIN_SECONDS), DRAIN_TABLE_NAME: stack.dynamo.tableName },
      }),
      dynamo: async () => client,
      sleep: async (ms) => stack.sim.clock.advance(ms),
    });
    const context = fakeContext({ remainingMs: 600_000, now: () => stack.sim.now().getTime() });
    const report = (await handler(loadEvent('schedule.json'), context)) as SweepReport;
    const removed = report.groups.filter((g) => g.removals.some((r) => r.outcome === 'removed'));
    expect(removed.length).toBeGreaterThan(0);
    const drained = [...byGroup].filter(([, kinds]) => kinds.includes('take+record'));
    expect(drained.map(([sk]) => sk).sort()).toEqual(
      removed.map((g) => `group#${g.serverGroupId}`).sort(),
    );
    for (const [sk, kinds] of drained) {
      expect([sk, kinds]).toEqual([sk, ['take+record', 'confirm', 'acting', 'end+release']]);
    }
    // Besides: recovery's one Query; no group takes a lease it drains nothing under.
    expect(
      all.filter((k) => !['take+record', 'confirm', 'acting', 'end+release'].includes(k)),
    ).toEqual(['Query']);
  });
});
