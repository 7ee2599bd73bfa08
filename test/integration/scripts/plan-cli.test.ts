import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import type { WhatIfComparison } from '../../../lib/what-if/what-if.ts';
import { clientEnvOf, type Simulator, startSimulator } from '../../../sim/server.ts';
import { mutatingCalls } from '../../helpers/stack.ts';

// `npm run plan` as an operator runs it: a child process, its stdout and
// stderr, its exit code and the files it writes.

const run = promisify(execFile);

/** The environment without any Huawei key or endpoint of the machine running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('HUAWEICLOUD_') && !k.endsWith('_ENDPOINT')) env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

async function plan(args: string[], env: NodeJS.ProcessEnv) {
  try {
    const { stdout, stderr } = await run('node', ['--import', 'tsx', 'scripts/plan.ts', ...args], {
      env,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A quick well-formedness parse: every element closed in order, one html root. */
function parseHtml(html: string): string[] {
  const problems: string[] = [];
  const VOID = new Set(['meta', 'input', 'br', 'img', 'hr', 'link', 'col', 'wbr']);
  const body = html
    .replace(/^<!doctype html>\s*/i, '')
    .replace(/<(script|style)>[\s\S]*?<\/\1>/g, '<$1></$1>')
    .replace(/<!--[\s\S]*?-->/g, '');
  const stack: string[] = [];
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>/g)) {
    const [, closing, name = ''] = m;
    const tag = name.toLowerCase();
    if (VOID.has(tag)) continue;
    if (closing === '') stack.push(tag);
    else if (stack.pop() !== tag) problems.push(`</${tag}> at ${m.index} closes the wrong element`);
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (!/^<!doctype html>/i.test(html)) problems.push('no doctype');
  return problems;
}

describe('npm run plan against the simulator', () => {
  it('--sim on the demo fleet prints the table, a summary and the what-if, and writes both files', async () => {
    const out = mkdtempSync(join(tmpdir(), 'plan-'));
    const prices = join(out, 'prices.json');
    writeFileSync(prices, JSON.stringify({ currency: 'EUR', perServerHour: {}, default: 0.5 }));
    const { code, stdout, stderr } = await plan(
      [
        '--sim',
        '--out',
        out,
        '--what-if',
        'shrink=15,threshold=70,min=2',
        '--what-if',
        'min=0',
        '--prices',
        prices,
      ],
      cleanEnv({ DRY_RUN: 'false' }),
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^plan mode \(read only\) on the built-in simulator: demo fleet/);
    expect(lines[1]).toMatch(/^GROUP +DECISION +WHY +USAGE +REMOVALS +LIMITS$/);
    expect(stdout).toMatch(
      /^sg-floor +scale-in .* srv-fl-idle-a \(would-remove\), srv-fl-idle-b \(not-in-ecs-group\) +floor 1 from MIN_SERVERS_PER_GROUP; max-removals 10 from MAX_REMOVALS_PER_GROUP$/m,
    );
    expect(stdout).toMatch(/^sg-scale-out +scale-out +usage ≥ 60%: add 2/m);
    expect(stdout).toMatch(
      /^plan completed: 8 groups \(2 scale-in, 1 steady, 1 scale-out, 4 skip\), 3 planned: 2 would be removed, 1 refused \(not-in-ecs-group 1\), .*nothing was changed$/m,
    );
    expect(stdout).toMatch(/^ +baseline +shrink=15,threshold=70,min=2 +min=0$/m);
    // Three planned; srv-fl-idle-b is in no ECS group, so a run removes two, as the plan says.
    expect(stdout).toMatch(/^would remove +2 +\d+ +\d+$/m);
    // The counts table the page's headline shows, with the saving and the prices used.
    expect(stdout).toMatch(/^Would remove \(dry run\) +2$/m);
    expect(stdout).toMatch(
      /^Estimated saving +24\.00 EUR per 24 h +at --prices: any other product 0\.5\/h$/m,
    );
    // 2 removals × 24 h × 0.50 EUR.
    expect(stdout).toMatch(/^estimated saving +24\.00 EUR +/m);
    expect(stdout).toContain(`wrote ${join(out, 'plan.json')}`);
    expect(stdout).toContain(`wrote ${join(out, 'plan.html')}`);

    const saved = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as {
      report: SweepReport;
      whatIf: WhatIfComparison;
    };
    expect(saved.report.dryRun).toBe(true);
    expect(saved.report.groups.map((g) => g.serverGroupId)).toHaveLength(8);
    expect(saved.report.totals.outcomes['would-remove']).toBe(2);
    expect(saved.report.totals.outcomes['not-in-ecs-group']).toBe(1);
    expect(saved.whatIf.baseline.removals).toBe(2);
    expect(saved.whatIf.sets.map((s) => s.label)).toEqual([
      'shrink=15,threshold=70,min=2',
      'min=0',
    ]);
    // min=0 also lets the floor group's last idle server go.
    expect(saved.whatIf.sets[1]?.removals).toBeGreaterThan(2);

    const html = readFileSync(join(out, 'plan.html'), 'utf8');
    expect(parseHtml(html)).toEqual([]);
    expect(html).toContain('<title>aps-autoscaler plan: project ');
    for (const g of saved.report.groups) expect(html).toContain(g.serverGroupName);
    expect(html).toContain('shrink=15,threshold=70,min=2');
  }, 90_000);

  it('says the simulator is the default when no key is set, on the first line', async () => {
    const out = mkdtempSync(join(tmpdir(), 'plan-'));
    const { code, stdout } = await plan(
      ['--size', '30x4', '--seed', '7', '--out', out],
      cleanEnv({ RATE_LIMIT_RPS: '0' }),
    );
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/on the built-in simulator: generated fleet 30x4 seed 7/);
    const saved = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as {
      report: SweepReport;
    };
    expect(saved.report.totals.groups).toBe(30);
    const { stdout: noKey } = await plan(['--out', out], cleanEnv());
    expect(noKey.split('\n')[0]).toMatch(/on the built-in simulator \(no HUAWEICLOUD_SDK_AK set\)/);
  }, 90_000);
});

/** The first Monday 09:00 in Shanghai (UTC+8, no daylight saving) at least two days from now. */
function nextShanghaiMonday9(): Date {
  const at = new Date(Date.now() + 2 * 86_400_000);
  at.setUTCHours(1, 0, 0, 0);
  while (at.getUTCDay() !== 1) at.setUTCDate(at.getUTCDate() + 1);
  return at;
}

describe('npm run plan --at', () => {
  const schedules = new URL('../../../schedules/example.json', import.meta.url).pathname;

  it('evaluates the fetched schedules fleet at another instant and says which limits applied', async () => {
    const out = mkdtempSync(join(tmpdir(), 'plan-at-'));
    const at = nextShanghaiMonday9()
      .toISOString()
      .replace(/:00\.000Z$/, '+00:00');
    const { code, stdout, stderr } = await plan(
      ['--fleet', 'events/fleets/schedules.json', '--at', at, '--out', out],
      cleanEnv({ SCHEDULES_FILE: schedules }),
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`evaluated at ${new Date(at).toISOString()} on the data fetched now`);
    expect(stdout).toMatch(
      /^sg-office +scale-in .*\(would-remove\), srv-office-2 \(would-remove\) +floor 4 from schedule office window Mon-Fri 08:00-19:00; max-removals 10 from MAX_REMOVALS_PER_GROUP$/m,
    );
    expect(stdout).toMatch(
      /^sg-typo +skip +unknown-schedule: tag aps-autoscaler:schedule names "ofice"/m,
    );
    const html = readFileSync(join(out, 'plan.html'), 'utf8');
    expect(html).toContain('floor 4 from schedule office window Mon-Fri 08:00-19:00');
  }, 60_000);

  it('says so when --at is in the past', async () => {
    const { code, stdout } = await plan(['--sim', '--at', '2026-01-05T09:00+08:00'], cleanEnv());
    expect(code).toBe(0);
    expect(stdout).toMatch(/^note: --at is [\d.]+ hours in the past: /m);
  }, 60_000);

  it('refuses an instant without its offset, naming --at', async () => {
    const { code, stderr } = await plan(['--sim', '--at', '2026-12-07T09:00'], cleanEnv());
    expect(code).toBe(2);
    expect(stderr).toContain('--at must be an instant with its offset');
  }, 60_000);
});

describe('npm run plan with a refused key or project', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ clock: { now: 'real', rebase: true } });
  });
  afterAll(async () => {
    await sim?.close();
  });

  const realEnv = (overrides: Record<string, string>) =>
    cleanEnv({ ...clientEnvOf(sim), HUAWEICLOUD_SDK_REGION: 'cn-north-4', ...overrides });

  it('a wrong SK: one line with the status and the request id, nothing else, exit 2', async () => {
    const out = mkdtempSync(join(tmpdir(), 'plan-'));
    const first = sim.calls.length;
    const { code, stdout, stderr } = await plan(
      ['--out', out],
      realEnv({ HUAWEICLOUD_SDK_SK: 'not-the-secret-key' }),
    );
    const denied = sim.calls.slice(first).find((c) => c.status === 401);
    expect(denied).toBeDefined();
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^plan: access denied \(401 APIGW\.0301\) by http:\/\/127\.0\.0\.1:\d+, /,
    );
    expect(lines[0]).toContain(`request id ${denied?.requestId}`);
    expect(lines[0]).toContain('HUAWEICLOUD_SDK_SK');
    expect(stderr).not.toContain('not-the-secret-key');
    expect(() => readFileSync(join(out, 'plan.json'))).toThrow();
    expect(mutatingCalls(sim)).toEqual([]);
  }, 90_000);

  it('a wrong project: one line naming the project variable, exit 2', async () => {
    const first = sim.calls.length;
    const { code, stdout, stderr } = await plan(
      ['--out', mkdtempSync(join(tmpdir(), 'plan-'))],
      realEnv({ HUAWEICLOUD_SDK_PROJECT_ID: '0123456789abcdef0123456789abcdef' }),
    );
    const denied = sim.calls.slice(first).find((c) => c.status === 403);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^plan: access denied \\(403 [^)]+\\) .*request id ${denied?.requestId}: .*HUAWEICLOUD_SDK_PROJECT_ID`,
        ),
      ),
    ]);
  }, 90_000);

  it('the right key against the same endpoint reads the fleet', async () => {
    const { code, stdout } = await plan(
      ['--out', mkdtempSync(join(tmpdir(), 'plan-'))],
      realEnv({}),
    );
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(
      new RegExp(`^plan mode \\(read only\\) against project ${sim.projectId} in cn-north-4`),
    );
    expect(mutatingCalls(sim)).toEqual([]);
  }, 90_000);
});

describe('npm run plan with every setting a deployed stage can have', () => {
  it('runs with log-off on and a drain long enough for it, as the functions would', async () => {
    const { code, stdout } = await plan(
      ['--sim'],
      cleanEnv({ LOGOFF_DISCONNECTED_AFTER_MINUTES: '60', DRAIN_SECONDS: '900' }),
    );
    expect(code).toBe(0);
    expect(stdout).toContain('nothing was changed');
  }, 60_000);

  it.each([
    [{ DRAIN_SECONDS: 'abc' }, 'DRAIN_SECONDS: '],
    [{ DRAIN_SECONDS: '-1' }, 'DRAIN_SECONDS: '],
    [
      { LOGOFF_DISCONNECTED_AFTER_MINUTES: '60' },
      'DRAIN_SECONDS: must be at least LOGOFF_DELAY_SECONDS + 60 (360)',
    ],
    [{ MIN_SERVERS_PER_GROUP: 'two' }, 'MIN_SERVERS_PER_GROUP: expected a whole number'],
  ])(
    'refuses %o as the functions do, naming the variable',
    async (env, message) => {
      const { code, stderr } = await plan(['--sim'], cleanEnv(env));
      expect(code).toBe(2);
      expect(stderr).toContain(`plan: invalid configuration: ${message}`);
    },
    60_000,
  );
});
