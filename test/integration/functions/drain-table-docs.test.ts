import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { awsActionsOf } from '../../helpers/aws-actions.ts';

// The roles' grants are held to the bundles by serverless.test.ts; this holds
// docs/drain-lifecycle.md's list of the drain table's actions to the same bundles.

const ROOT = new URL('../../../', import.meta.url).pathname;

describe('docs/drain-lifecycle.md', () => {
  it('lists exactly the DynamoDB actions the bundles of sweep and remediate send', async () => {
    const sent = new Set<string>();
    for (const name of ['sweep', 'remediate']) {
      for (const action of (await awsActionsOf(`functions/${name}.ts`)).actions) {
        if (action.startsWith('dynamodb:')) sent.add(action);
      }
    }
    expect(sent).toContain('dynamodb:UpdateItem');
    const doc = readFileSync(`${ROOT}docs/drain-lifecycle.md`, 'utf8');
    const section = doc.slice(doc.indexOf('- IAM for `sweep` and `remediate`'));
    const listed = section.slice(0, section.indexOf('\n- ')).match(/dynamodb:[A-Za-z]+/g) ?? [];
    expect([...new Set(listed)].sort()).toEqual([...sent].sort());
  });
});
