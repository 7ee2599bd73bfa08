import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { recommendNow } from '../functions/recommend.ts';
import { defaultDeps } from '../functions/runtime.ts';
import { describeFailure } from '../lib/errors.ts';
import type { Recommendation } from '../lib/history/recommend.ts';
import { recommendOnSimulator } from './lib/recommend-sim.ts';

// `npm run recommend`: the floors each group needs, from its demand history
// (docs/learned-floors.md).

const USAGE = `usage: npm run recommend -- [--sim [--weeks N] [--groups N] [--seed N]] [--out FILE] [--keep]
  --sim          play N simulated weeks (default 3) of the simulator's weekly fleet first
  --out FILE     write the SCHEDULES JSON there, the tags beside it (FILE.tags.json) and the page (FILE.html)
  --keep         (not --sim) keep the result beside the reports, as the weekly function does`;

function writeOut(out: string, rec: Recommendation, page: string): string[] {
  const files: [string, string][] = [
    // One line: the value of SCHEDULES (or --param schedules) as it is, or a SCHEDULES_FILE.
    [out, `${JSON.stringify(rec.schedules)}\n`],
    [`${out.replace(/\.json$/, '')}.tags.json`, `${JSON.stringify(rec.tags, null, 2)}\n`],
    [`${out.replace(/\.json$/, '')}.html`, page],
  ];
  mkdirSync(dirname(out), { recursive: true });
  for (const [file, body] of files) writeFileSync(file, body);
  return files.map(([file]) => file);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sim: { type: 'boolean', default: false },
      weeks: { type: 'string', default: '3' },
      groups: { type: 'string', default: '4' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const count = (name: 'weeks' | 'groups' | 'seed', min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name}: expected a whole number >= ${min}`);
    return n;
  };
  let rec: Recommendation;
  let page: string;
  if (values.sim) {
    const sim = await recommendOnSimulator({
      weeks: count('weeks', 2),
      groups: count('groups', 1),
      seed: count('seed', 0),
    });
    ({ recommendation: rec, page } = sim);
    console.log(
      `played ${sim.played.sweeps} sweeps (${count('weeks', 2)} weeks at 15 minutes, ${sim.played.groups.length} groups, holiday ${sim.holiday}) in ${(sim.played.durationMs / 1000).toFixed(1)} s`,
    );
    const short = sim.replay.reduce((n, r) => n + r.shortHours.length, 0);
    const hours = sim.replay.reduce((n, r) => n + r.serverHours, 0);
    const flat = sim.replay.reduce((n, r) => n + r.flatServerHours, 0);
    console.log(
      `replay with the recommendation: ${short} hours short of servers; ${hours} server-hours vs ${flat} with a flat floor at the weekly peak (ratio ${(hours / flat).toFixed(2)})`,
    );
  } else {
    const result = await recommendNow(
      defaultDeps(),
      { getRemainingTimeInMillis: () => 15 * 60_000 },
      { keep: values.keep },
    );
    ({ recommendation: rec, page } = result);
    for (const key of result.kept) console.log(`kept ${key}`);
  }
  for (const line of rec.lines) console.log(line);
  if (values.out !== undefined) {
    for (const file of writeOut(values.out, rec, page)) console.log(`wrote ${file}`);
  }
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(`recommend: ${describeFailure(error).message}\n${USAGE}`);
  process.exitCode = 2;
}
