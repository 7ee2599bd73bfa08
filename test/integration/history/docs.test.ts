import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../../lib/config.ts';
import { HistorySampleSchema } from '../../../lib/history/sample.ts';
import { fencedBlocks } from '../../helpers/readme.ts';

const run = promisify(execFile);
const PAGE = readFileSync(new URL('../../../docs/learned-floors.md', import.meta.url), 'utf8');

/** The commands of the page's ```bash blocks, in order. */
const commands = fencedBlocks(PAGE, 'bash')
  .flatMap((block) => block.split('\n'))
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

describe('docs/learned-floors.md', () => {
  it('tells to run recommend on the simulator, then validate its file; both do what the page says', async () => {
    expect(commands).toHaveLength(2);
    const env = {
      ...process.env,
      NO_COLOR: '1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const recommend = await run('bash', ['-c', commands[0] ?? ''], { env, timeout: 240_000 });
    expect(recommend.stdout).toMatch(
      /^played 1344 sweeps \(2 weeks at 15 minutes, 2 groups, holiday 2026-11-09\)/m,
    );
    expect(recommend.stdout).toMatch(
      /^replay with the recommendation: 0 hours short of servers; .* \(ratio 0\.\d\d\)$/m,
    );
    expect(recommend.stdout).toMatch(
      /^ {2}Mon[-,A-Za-z]* \d\d:00-\d\d:00 floor \d+: peak \d+ servers on \d of the last \d Mondays/m,
    );
    expect(recommend.stdout).toContain('wrote .reports/learned/schedules.json\n');
    const validate = await run('bash', ['-c', commands[1] ?? ''], { env, timeout: 240_000 });
    expect(validate.stdout).toMatch(/\nstage dev: ok\n$/);
  }, 480_000);

  it('lists every history field the sweep writes, and the Athena table has the same columns', () => {
    const fields = Object.keys(HistorySampleSchema.shape);
    const table = [...PAGE.matchAll(/^\| `([a-zA-Z]+)`(?:, `([a-zA-Z]+)`)? \|/gm)].flatMap((m) =>
      [m[1], m[2]].filter((f): f is string => f !== undefined),
    );
    expect(table.filter((f) => fields.includes(f)).sort()).toEqual([...fields].sort());
    const ddl =
      /CREATE EXTERNAL TABLE aps_history \(([\s\S]*?)\)\nPARTITIONED/.exec(PAGE)?.[1] ?? '';
    const columns = [...ddl.matchAll(/`?([a-zA-Z]+)`? (?:string|int)/g)].map((m) => m[1]);
    expect(columns).toEqual(fields);
  });

  it('names settings the configuration reads', () => {
    for (const name of ['LEARNED_FLOORS', 'HISTORY_WEEKS']) {
      expect(PAGE).toContain(`\`${name}\``);
      expect(CONFIG_VARIABLES).toContain(name);
    }
  });
});
