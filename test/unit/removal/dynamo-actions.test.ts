import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The DynamoDB actions the drain table's code calls (lib/removal/store, lease)
// are the ones serverless.yml grants and docs/drain-lifecycle.md lists: read
// from the code, so a new call without its permission fails here, not in AWS.

const ROOT = join(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(ROOT, dir, f), 'utf8'));
}

/** `dynamodb:<Op>` for every `new XCommand(` / `new sdk.XCommand(` in `text`. */
function calledActions(texts: readonly string[]): string[] {
  const actions = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(/new (?:sdk\.)?([A-Z][A-Za-z]+)Command\(/g)) {
      actions.add(`dynamodb:${match[1]}`);
    }
  }
  return [...actions].sort();
}

describe('the drain table permissions', () => {
  const called = calledActions(sources('lib/removal'));

  it('finds the calls it checks (the scan is not vacuous)', () => {
    expect(called).toContain('dynamodb:UpdateItem');
    expect(called).toContain('dynamodb:Query');
  });

  it('grants in serverless.yml exactly the actions the code calls', () => {
    const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
    const granted = [...new Set(yml.match(/dynamodb:[A-Za-z]+/g))].sort();
    expect(granted).toEqual(called);
  });

  it('lists in docs/drain-lifecycle.md exactly the actions the code calls', () => {
    const doc = readFileSync(join(ROOT, 'docs/drain-lifecycle.md'), 'utf8');
    const section = doc.slice(doc.indexOf('- IAM for `sweep` and `remediate`'));
    const listed = section.slice(0, section.indexOf('\n- ')).match(/dynamodb:[A-Za-z]+/g);
    expect([...new Set(listed)].sort()).toEqual(called);
  });
});
